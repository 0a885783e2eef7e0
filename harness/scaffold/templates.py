"""File templates for ``harness plugins new`` (``string.Template``: ``$name``, ``$$`` for $).

Keys: ``name`` (component and entry-point name), ``package`` (import name),
``dist`` (distribution name), ``cls`` (component class), ``kind``, ``group``
(config group), ``harness_version``.

The packages import the harness only through ``harness.contract`` (the public
surface for plugins; ``harness.testing`` in their tests). Options are typed (``config.py``, registered with ``harness_config_schemas``).
"""

from __future__ import annotations

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "A harness $kind plugin: $name"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["harness-ml>=$harness_version"$extra_deps]

[project.optional-dependencies]
test = ["pytest>=8"]

# The harness finds the plugin through this entry point (group `harness`).
[project.entry-points.harness]
$name = "$package"

[tool.setuptools.packages.find]
include = ["$package*"]
"""

INIT = '''\
"""harness plugin `$name`: registers the $kind and its typed options."""

from harness.contract import hookimpl


@hookimpl
def harness_register_${group}s(register):
    # Import the component lazily: `harness --help` and other plugins stay fast.
    from $package.$kind import $cls

    register("$name", $cls)


@hookimpl
def harness_config_schemas(register):
    # `$group=$name` composes this dataclass: Hydra checks each value's type.
    from $package.config import ${cls}Config

    register("$group", "$name", ${cls}Config)
'''

INIT_NO_CONFIG = '''\
"""harness plugin `$name`: registers the $kind."""

from harness.contract import hookimpl


@hookimpl
def harness_register_${group}s(register):
    # Import the component lazily: `harness --help` and other plugins stay fast.
    from $package.$kind import $cls

    register("$name", $cls)
'''

ESTIMATOR = '''\
"""The `$name` estimator: a ridge classifier on scikit-learn's digits (replace with yours)."""

from __future__ import annotations

from harness.contract import ConfigError, Estimator


class $cls(Estimator):
    primary_metric = "accuracy"
    goal = "maximize"
    packages = ("scikit-learn",)

    def validate(self, config):
        # Runs in the driver before anything is written: a mistake exits 2. Types
        # were checked while composing (config.py); check what types cannot say.
        alpha = config.estimator.alpha
        if alpha <= 0:
            raise ConfigError(f"estimator.alpha must be > 0, got {alpha}")

    def train(self, run):
        # Heavy imports here, not at module level.
        import joblib
        from sklearn.datasets import load_digits
        from sklearn.linear_model import RidgeClassifier
        from sklearn.model_selection import train_test_split

        options = run.params.estimator
        features, labels = load_digits(return_X_y=True)
        x_train, x_test, y_train, y_test = train_test_split(
            features, labels, test_size=float(options.test_size), random_state=int(run.params.seed)
        )
        model = RidgeClassifier(alpha=float(options.alpha)).fit(x_train, y_train)
        run.log("accuracy", float(model.score(x_test, y_test)))
        run.outputs_dir.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, run.outputs_dir / "model.joblib")
'''

ESTIMATOR_CONFIG = '''\
"""The typed options of the `$name` estimator: `harness train +estimator=$name`.

Each field's `#:` comment is its description in `harness train --help`.
"""

from dataclasses import dataclass, field


@dataclass
class ${cls}Options:
    name: str = "$name"
    #: Regularisation strength (> 0).
    alpha: float = 1.0
    #: Held-out share for the reported accuracy.
    test_size: float = 0.25


@dataclass
class ${cls}Config:
    # An estimator's option sits at the top level: its `estimator` node (and any
    # shared hyperparameters it sets, such as lr or epochs).
    estimator: ${cls}Options = field(default_factory=${cls}Options)
'''

ESTIMATOR_TEST = '''\
"""The harness contract for the `$name` estimator, through the real CLI."""

from harness.testing.contracts import EstimatorContract


class Test$cls(EstimatorContract):
    name = "$name"
    plugin = "$name"  # the component must come from this plugin
    invalid_overrides = ("estimator.alpha=-1",)
'''

COMPUTE = '''\
"""The `$name` compute: runs the job's worker in a child process on this machine.

Start from here to run jobs elsewhere (a scheduler, a container, ssh): the worker
command must run, its output be streamed and kept in logs/, and its exit status
come back in a JobResult.
"""

from __future__ import annotations

import sys

from harness.contract import Compute, ConfigError, JobResult
from harness.contract.compute_kit import job_environment, run_supervised


class $cls(Compute):
    def validate(self, config):
        # Runs in the driver before anything is written: a mistake exits 2.
        timeout = config.compute.timeout
        if timeout is not None and timeout <= 0:
            raise ConfigError(f"compute.timeout must be a positive number of seconds, got {timeout}")

    def launch(self, job):
        extra = {str(k): str(v) for k, v in (job.params["compute"].get("env") or {}).items()}
        outcome = run_supervised(
            [sys.executable, "-m", "harness.worker", str(job.spec_path)],
            cwd=job.workdir,
            env=job_environment(extra),
            stdout_path=job.logs_dir / "stdout.txt",
            stderr_path=job.logs_dir / "stderr.txt",
            timeout=job.params["compute"].get("timeout"),
        )
        code = 124 if outcome.timed_out else outcome.exit_code
        return JobResult(exit_code=code, canceled=outcome.canceled)
'''

COMPUTE_CONFIG = '''\
"""The typed options of the `$name` compute: `harness train compute=$name`."""

from dataclasses import dataclass, field
from typing import Dict, Optional

# OmegaConf needs typing.Optional and typing.Dict in structured configs.
# ruff: noqa: UP006, UP045


@dataclass
class ${cls}Config:
    name: str = "$name"
    #: Seconds before the job is stopped and marked Failed; None: no limit.
    timeout: Optional[float] = None
    #: Extra environment variables for the job's process.
    env: Dict[str, str] = field(default_factory=dict)
'''

COMPUTE_TEST = '''\
"""The harness contract for the `$name` compute, through the real CLI."""

from harness.testing.contracts import ComputeContract


class Test$cls(ComputeContract):
    name = "$name"
    plugin = "$name"  # the component must come from this plugin
    invalid_overrides = ("compute.timeout=-5",)
'''

LOGGER = '''\
"""The `$name` logger: every event of a run as one JSON line in `$name/events.jsonl`."""

from __future__ import annotations

import json

from harness.contract import Logger


class $cls(Logger):
    def __init__(self, run, options):
        super().__init__(run, options)
        folder = run.run_dir / "$name"
        folder.mkdir(parents=True, exist_ok=True)
        # Loggers run on rank 0 only: this process is the file's one writer.
        self.file = open(folder / options["filename"], "a")  # noqa: SIM115

    def _write(self, event):
        self.file.write(json.dumps(event, default=str) + "\\n")
        self.file.flush()

    def log_params(self, params):
        self._write({"event": "params", "params": params})

    def log_metrics(self, events):
        for event in events:
            self._write({"event": "metric", "name": event.name, "step": event.step, "value": event.value})

    def finish(self, status):
        self._write({"event": "finish", "status": status})
        self.file.close()
'''

LOGGER_CONFIG = '''\
"""The typed options of the `$name` logger: `harness train +logger=$name`."""

from dataclasses import dataclass


@dataclass
class ${cls}Config:
    #: The file the events go to, in the run folder's `$name/`.
    filename: str = "events.jsonl"
'''

LOGGER_TEST = '''\
"""The harness contract for the `$name` logger, through the real CLI."""

import json

from harness.testing.contracts import LoggerContract


class Test$cls(LoggerContract):
    name = "$name"
    plugin = "$name"  # the component must come from this plugin

    def check_logged(self, run_dir, logged):
        lines = (run_dir / "$name" / "events.jsonl").read_text().splitlines()
        events = [json.loads(line) for line in lines]
        assert events[0] == {"event": "params", "params": logged.params}
        metrics = {}
        for event in events:
            if event["event"] == "metric":
                metrics.setdefault(event["name"], []).append(event["value"])
        assert metrics == logged.metrics
        assert events[-1] == {"event": "finish", "status": logged.status}
'''

DATASTORE = '''\
"""The `$name` datastore: files in a local folder (replace the primitives with your storage).

The public API (upload with skip/overwrite rules and a manifest, download, list,
verify, `$${datastore:...}` paths) is built by harness on top of these primitives.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from filelock import FileLock

from harness.contract import (
    META_DIR,
    TEMP_MARK,
    Datastore,
    DatastoreError,
    FileEntry,
    atomic_write_bytes,
)


class $cls(Datastore):
    type = "$name"

    def __init__(self, name, url, options=None):
        super().__init__(name, url, options)
        # `$name:///some/folder` or a plain folder path.
        self.root = Path(url.split("://", 1)[-1]).expanduser().resolve()

    def _path(self, key):
        # Keys arrive normalised by harness (no '..', not absolute).
        return self.root / key if key else self.root

    def file_size(self, key):
        path = self._path(key)
        if path.is_dir():
            raise DatastoreError(f"datastore '{self.name}': '{key}' is a folder, not a file")
        return path.stat().st_size if path.exists() else None

    def iter_files(self, prefix):
        base = self._path(prefix)
        if base.is_file():
            yield prefix, base.stat().st_size
            return
        found = []
        for path in base.rglob("*") if base.is_dir() else []:
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and not key.startswith(META_DIR + "/") and TEMP_MARK not in path.name:
                found.append((key, path.stat().st_size))
        yield from sorted(found)

    def open_read(self, key):
        return open(self._path(key), "rb")

    def put_file(self, key, src, progress=None):
        # Write under a temporary name, then rename: a reader never sees half a file.
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}{TEMP_MARK}{os.getpid()}-")
        try:
            with os.fdopen(fd, "wb") as out, open(src, "rb") as source:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    if progress:
                        progress(len(chunk))
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return FileEntry(size, digest.hexdigest())

    def read_meta(self, name):
        path = self.root / META_DIR / name
        return path.read_bytes() if path.exists() else None

    def write_meta(self, name, data):
        atomic_write_bytes(self.root / META_DIR / name, data)

    def meta_lock(self):
        (self.root / META_DIR).mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / META_DIR / "manifest.lock"))

    def local_path(self, key):
        return self._path(key)
'''

DATASTORE_TEST = '''\
"""The harness contract for the `$name` datastore: bytes round-trip, nothing is
overwritten without asking, and paths cannot leave the store."""

from harness.testing.datastore_contract import DatastoreContract


class Test$cls(DatastoreContract):
    type_name = "$name"

    def make_url(self, tmp_path):
        return f"$name://{tmp_path / 'store'}"
'''

README = """\
# $dist

A [harness](https://pypi.org/project/harness-ml/) plugin that adds the `$name` $kind.

## Install

```bash
pip install .            # or: pip install -e ".[test]" while developing
harness plugins show $name
```

## Use

```bash
$usage
```

$options_note

## Test

```bash
pip install -e ".[test]" && python -m pytest
```

The test subclasses the harness contract for ${kind}s
(`harness.testing.contracts`), which runs the real `harness` command with a
temporary workspace.
"""

USAGE = {
    "estimator": "harness train +estimator=$name estimator.alpha=0.5\n"
    "harness train -m +estimator=$name estimator.alpha=0.1,1,10   # a sweep",
    "compute": "harness train compute=$name +compute.env.OMP_NUM_THREADS=1",
    "logger": "harness train +logger=$name      # then see the run folder's $name/events.jsonl",
    "datastore": "harness datastore add mydata $name:///srv/data --type $name\n"
    "harness datastore upload ./data --target datasets/x -d mydata\n"
    "harness train 'estimator.data.path=$${datastore:mydata:datasets/x/data.csv}'",
}

#: kind → (component module source, typed options module source, test source).
KIND_FILES = {
    "estimator": (ESTIMATOR, ESTIMATOR_CONFIG, ESTIMATOR_TEST),
    "compute": (COMPUTE, COMPUTE_CONFIG, COMPUTE_TEST),
    "logger": (LOGGER, LOGGER_CONFIG, LOGGER_TEST),
    # Datastores are configured in the workspace (`harness datastore add`), not in a
    # config group: no options module.
    "datastore": (DATASTORE, None, DATASTORE_TEST),
}
