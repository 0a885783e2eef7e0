"""Only what pyproject.toml cannot say statically: the package list.

The built-in plugins live in the top-level ``plugins/`` folder but are installed as
``harness.plugins.<name>``, inside the ``harness`` package, so that no third-party
distribution can shadow or overwrite them (a scaffolded ``harness_sklearn`` used to
replace the built-in's files).
"""

import shutil
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

# The hint for a forgotten Azure ML opt-in (harness/compat/azureml_hint.py): a copy
# of that module and a .pth that installs its finder go to the root of
# site-packages, so `import azureml` without the opt-in names the fix in every
# interpreter of the environment (a notebook kernel too). pip's RECORD lists both,
# so uninstalling the harness removes them.
HINT_SOURCE = Path(__file__).parent / "harness" / "compat" / "azureml_hint.py"
HINT_MODULE = "_harness_azureml_hint"
HINT_PTH = "harness_azureml_hint.pth"


def write_hint(folder: str) -> None:
    root = Path(folder)
    shutil.copyfile(HINT_SOURCE, root / f"{HINT_MODULE}.py")
    (root / HINT_PTH).write_text(f"import {HINT_MODULE}; {HINT_MODULE}.install()\n")


class BuildPyWithHint(build_py):
    """A regular wheel: everything in build_lib lands in site-packages."""

    def run(self) -> None:
        super().run()
        write_hint(self.build_lib)


class EditableWheelWithHint(editable_wheel):
    """`pip install -e`: the editable wheel holds only links to the checkout, so the
    two files are written into the unpacked wheel it is zipped from."""

    def _install_namespaces(self, installation_dir, pth_prefix):  # noqa: ANN001, ANN202
        super()._install_namespaces(installation_dir, pth_prefix)
        write_hint(installation_dir)


NOT_PACKAGES = ["*.__pycache__", "*.__pycache__.*"]
# harness/plugins is a symlink to ../plugins so that a source checkout imports the
# built-ins under the same names (python -m harness from the checkout); the package
# list takes them from plugins/ alone.
core = find_namespace_packages(
    ".",
    include=["harness", "harness.*", "hydra_plugins", "hydra_plugins.*"],
    exclude=[*NOT_PACKAGES, "harness.plugins", "harness.plugins.*"],
)
builtins = [
    f"harness.plugins.{name}" for name in find_namespace_packages("plugins", exclude=NOT_PACKAGES)
]

setup(
    packages=[*core, "harness.plugins", *builtins],
    package_dir={"harness.plugins": "plugins"},
    cmdclass={"build_py": BuildPyWithHint, "editable_wheel": EditableWheelWithHint},
)
