"""Environment errors: a bad spec is the user's mistake (exit 2, nothing written);
a build that fails (the resolver found no solution, a download broke) fails the
run that needed it (exit 1)."""

from __future__ import annotations

from harness.errors import ConfigError, HarnessError


class EnvironmentSpecError(ConfigError):
    """The environment definition itself is invalid (unknown key, bad requirement,
    a conda-only package, a Python not on the machine)."""


class EnvironmentBuildError(HarnessError):
    """uv could not build the environment; the message is uv's error, one paragraph."""

    exit_code = 1
