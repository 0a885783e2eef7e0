"""Plugin loading cost at start-up: `harness plugins list` with the plugins loaded
against the same command with every plugin disabled, alternated in one run.

- `harness --help` loads no plugin at all (a guard: it must stay at bare start-up).
- `harness plugins list --format json`: all built-in plugins (sklearn, local,
  loggers) loaded and their config groups scanned, vs HARNESS_DISABLE_PLUGINS=all
  of them, vs one more plugin through HARNESS_PLUGINS (the contract kit's probe).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from _common import alternate, parser, record, scratch_dir, stats, time_command

BUILTINS = "sklearn,local,loggers"


def main() -> None:
    opts = parser(__doc__).parse_args()
    repeats = 3 if opts.quick else 11
    exe = str(Path(sys.executable).with_name("harness"))
    base = {**os.environ, "HARNESS_HOME": str(scratch_dir("bench-home-"))}
    base.pop("HARNESS_PLUGINS", None)
    base.pop("HARNESS_DISABLE_PLUGINS", None)
    listing = [exe, "plugins", "list", "--format", "json"]
    samples = alternate(
        {
            "harness --help": lambda: time_command([exe, "--help"], base),
            "plugins list (built-ins)": lambda: time_command(listing, base),
            "plugins list (no plugins)": lambda: time_command(
                listing, {**base, "HARNESS_DISABLE_PLUGINS": BUILTINS}
            ),
            "plugins list (built-ins + probe)": lambda: time_command(
                listing, {**base, "HARNESS_PLUGINS": "harness.testing.probe"}
            ),
        },
        repeats,
    )
    median = {name: stats(values)["median"] for name, values in samples.items()}
    figures = {
        "startup_s": {name: stats(values) for name, values in samples.items()},
        "builtin_plugins_load_cost_s": median["plugins list (built-ins)"]
        - median["plugins list (no plugins)"],
        "probe_plugin_load_cost_s": median["plugins list (built-ins + probe)"]
        - median["plugins list (built-ins)"],
    }
    record(opts.results, "plugins", figures, opts.quick)


if __name__ == "__main__":
    main()
