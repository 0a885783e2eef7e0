"""The plugin contract: every hook a harness plugin may implement.

This module is the single reference for plugin authors (docs/plugins.md mirrors it,
and a test keeps the two in step). Hooks are prefixed ``harness_``.

Registration hooks receive a ``register`` callback, as in llm's ``register_models``:
a plugin calls ``register(name, component_class)`` once per component; what it
registers is checked there (the kind's base class, a valid name, no name twice).
When two plugins register the same kind and name, the plugin loaded first keeps it
and a warning names both.

Lifecycle hooks run in the driver process (the one that ran ``harness train``),
never inside the job, so a slow or failing hook cannot disturb training. A hook
implementation that raises disables its plugin for the command (one warning naming
plugin, distribution, version and hook); the others still run. The harness calls
hooks through pluggy's relay, so ``wrapper=True`` implementations work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from harness.contract.context import Run
    from harness.run.record import RunRecord

__all__ = [
    "Register",
    "RegisterSchema",
    "hookimpl",
    "hookspec",
    "harness_after_run",
    "harness_before_run",
    "harness_config_schemas",
    "harness_config_searchpath",
    "harness_on_run_error",
    "harness_register_computes",
    "harness_register_datastores",
    "harness_register_estimators",
    "harness_register_loggers",
    "harness_worker_start",
]

PROJECT = "harness"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: The callback handed to every ``harness_register_*`` hook: ``register(name, cls)``.
Register = Callable[[str, type], None]
#: ``register(group, name, dataclass)``: a typed config option (``harness_config_schemas``).
RegisterSchema = Callable[[str, str, type], None]


@hookspec
def harness_register_estimators(register: Register) -> None:
    """Register estimator classes (subclasses of ``harness.Estimator``).

    Called once per process when the plugin manager is first built, before any
    config is composed. Call ``register("name", EstimatorClass)``; the name is what
    ``estimator.name`` in the config selects. A class that implements
    ``Estimator.load_model`` makes the models it saves servable without an entry
    script (``harness models serve``). Returns nothing.
    """


@hookspec
def harness_register_computes(register: Register) -> None:
    """Register compute classes (subclasses of ``harness.Compute``).

    Called once per process when the plugin manager is built. ``compute.name`` in
    the config selects one; it launches the job's worker processes and returns
    their exit status. Returns nothing.
    """


@hookspec
def harness_register_datastores(register: Register) -> None:
    """Register datastore classes (subclasses of ``harness.Datastore``).

    Called once per process when the plugin manager is built. The name is a
    datastore *type*: a named datastore in the workspace (``harness datastore add
    NAME URL --type TYPE``) is built as ``cls(name, url, options)``. Returns nothing.
    """


@hookspec
def harness_register_loggers(register: Register) -> None:
    """Register logger classes (subclasses of ``harness.Logger``).

    Called once per process when the plugin manager is built. The keys of the
    ``logger`` config node select the active loggers; each receives the run's
    params, batched metric events and final status on rank 0. Returns nothing.
    """


@hookspec
def harness_config_searchpath() -> list[str]:
    """Return Hydra config search-path entries that hold this plugin's config groups.

    Called before Hydra composes the config of ``harness train``. Return entries
    such as ``["pkg://harness.plugins.sklearn.conf"]``; a folder there named
    ``estimator/`` with ``mypkg.yaml`` makes ``+estimator=mypkg`` compose it.
    Not firstresult: every plugin's entries are added, in load order (the harness's
    own plugins, then by distribution name); when two plugins ship the same group
    option, the first entry wins (the plugin whose same-named component is used)
    and a warning names both.
    """


@hookspec
def harness_config_schemas(register: RegisterSchema) -> None:
    """Register typed config options: call ``register(group, name, dataclass)``.

    Called before Hydra composes the config of ``harness train`` (and by
    ``harness train --help``). The dataclass *is* the option ``group=name``, stored
    in Hydra's ConfigStore as Hydra's own plugins store theirs: Hydra checks every
    field's type (and an Enum's choices) while composing, and the dataclass holds
    the only copy of each default, so no YAML file repeats them. ``compute``
    options land in ``compute``, ``logger`` options in ``logger.NAME``, and
    ``estimator`` options at the top level (a dataclass with an ``estimator`` field,
    plus top-level hyperparameters such as ``lr``). Returns nothing.
    """


@hookspec
def harness_before_run(record: RunRecord) -> None:
    """Called in the driver after the run record exists (status ``Queued``), just
    before the compute starts the job. Returns nothing; an exception here is
    reported and the run continues, unless the failing plugin supplies one of the
    run's components: then the run ends ``Failed`` with that line.
    """


@hookspec
def harness_after_run(record: RunRecord, status: str) -> None:
    """Called in the driver once the run has its final status (``Completed``,
    ``Failed`` or ``Canceled``), after that status is written. Returns nothing.
    """


@hookspec
def harness_on_run_error(record: RunRecord, error: str) -> None:
    """Called in the driver when a run ends ``Failed``, before ``harness_after_run``.

    ``error`` is the last line of the job's error (the full traceback is in the
    run's ``logs/``). Returns nothing.
    """


@hookspec
def harness_worker_start(run: Run) -> None:
    """Called in every job process (each MPI rank too) once the run context exists,
    before the estimator trains. A compute plugin uses it to attach what it set up,
    such as the MPI communicator as ``run.comm``. Returns nothing. An exception
    disables the plugin in that process; the run fails when the plugin supplies one
    of its components.
    """


def _hook_names() -> list[str]:
    return [name for name in __all__ if name.startswith("harness_")]


def hook_signatures() -> dict[str, str]:
    """Hook name → ``name(args) -> return`` as written above (for docs and tests)."""
    import inspect

    namespace: dict[str, Any] = globals()
    # Annotations are strings here (postponed evaluation); show them unquoted.
    return {
        name: f"{name}{inspect.signature(namespace[name])}".replace("'", "")
        for name in _hook_names()
    }
