"""``harness compat azureml --install|--uninstall``: the opt-in step of the Azure ML
v1 layer (see harness/compat/__init__.py and docs/migrating-from-azureml.md)."""

from __future__ import annotations

import argparse

from harness.errors import HarnessError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness compat",
        description="Compatibility layers. `azureml`: make `import azureml.core` (Azure ML "
        "SDK v1 notebooks and scripts) use the harness in this Python environment.",
    )
    sub = parser.add_subparsers(dest="layer", required=True, metavar="LAYER")
    aml = sub.add_parser("azureml", help="the Azure ML v1 layer: --install, --uninstall, or status")
    group = aml.add_mutually_exclusive_group()
    group.add_argument(
        "--install",
        action="store_true",
        help="expose the shim as the `azureml` package in this environment",
    )
    group.add_argument("--uninstall", action="store_true", help="remove it again")
    aml.add_argument("--site", help="the site-packages folder (default: this interpreter's)")
    return parser


def main(args: list[str]) -> int:
    from harness import compat

    opts = build_parser().parse_args(args)
    if opts.install:
        path = compat.install(opts.site)
        print(f"installed the azureml layer: {path}")
        print(
            "`import azureml.core` now uses the harness in this environment "
            "(restart running notebook kernels)"
        )
        return 0
    if opts.uninstall:
        removed = compat.uninstall(opts.site)
        print(f"removed {removed}" if removed else "the azureml layer was not installed here")
        return 0
    if compat.is_installed(opts.site):
        print(f"the azureml layer is installed ({compat.site_dir(opts.site) / compat.PTH_NAME})")
        return 0
    found = compat.real_azureml()
    if found:
        raise HarnessError(f"a real azureml package is installed here ({found})")
    print("the azureml layer is not installed; run `harness compat azureml --install`")
    return 1
