"""Only what pyproject.toml cannot say statically: the package list.

The built-in plugins live in the top-level ``plugins/`` folder but are installed as
``harness.plugins.<name>``, inside the ``harness`` package, so that no third-party
distribution can shadow or overwrite them (a scaffolded ``harness_sklearn`` used to
replace the built-in's files).
"""

from setuptools import find_namespace_packages, setup

NOT_PACKAGES = ["*.__pycache__", "*.__pycache__.*"]
# harness/plugins is a symlink to ../plugins so that a source checkout imports the
# built-ins under the same names (python -m harness from the checkout); the package
# list takes them from plugins/ alone.
core = find_namespace_packages(
    ".",
    include=["harness", "harness.*", "hydra_plugins", "hydra_plugins.*"],
    exclude=[*NOT_PACKAGES, "harness.plugins", "harness.plugins.*"],
)
builtins = [f"harness.plugins.{name}" for name in find_namespace_packages("plugins", exclude=NOT_PACKAGES)]

setup(
    packages=[*core, "harness.plugins", *builtins],
    package_dir={"harness.plugins": "plugins"},
)
