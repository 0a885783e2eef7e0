"""ChainerMN set-up for a job under ``compute=mpi`` (``run.world_size > 1``).

Every rank runs the same worker; rank 0 reads the data and scatters shards,
gradients are all-reduced by the multi-node optimizer, validation results are
averaged by the multi-node evaluator, and only rank 0 logs and saves.
``batch_size`` is per rank, so the effective batch is ``batch_size × world_size``
(ChainerMN's convention).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from harness.plugins.chainer.compat import import_chainermn


def communicator(run: Any) -> Any:
    """A ChainerMN communicator over the run's MPI communicator (COMM_WORLD if unset)."""
    chainermn = import_chainermn()
    name = str(run.params.estimator.get("communicator") or "naive")
    kwargs = {"mpi_comm": run.comm} if run.comm is not None else {}
    comm = chainermn.create_communicator(name, **kwargs)
    if comm.size != run.world_size:
        raise RuntimeError(
            f"ChainerMN sees {comm.size} ranks but the run has world_size {run.world_size}"
        )
    return comm


@contextmanager
def abort_on_exception() -> Iterator[None]:
    """ChainerMN's ``global_except_hook``: an exception on any rank prints its
    traceback and calls MPI_Abort, so the other ranks do not hang in a collective.

    The harness worker catches exceptions to record the status, so they never reach
    ``sys.excepthook`` on their own; we hand them to ChainerMN's hook here.
    """
    chainermn = import_chainermn()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "add_hook() seems to be called multiple times"
        chainermn.global_except_hook.add_hook()
    try:
        yield
    except Exception:
        sys.stderr.flush()
        sys.excepthook(*sys.exc_info())  # prints the traceback, then MPI_Abort(1)
        raise


def scatter(
    comm: Any, arrays: Any, tuples: Callable[[Any, Any], Any], seed: int
) -> tuple[Any, Any, dict[str, Any]]:
    """Rank 0's dataset split into one shard per rank (shuffled with ``seed``)."""
    chainermn = import_chainermn()
    train = test = info = None
    if comm.rank == 0:
        info = {"name": arrays.name, "shape": list(arrays.shape), "classes": arrays.num_classes}
        train = tuples(arrays.x_train, arrays.y_train)
        test = tuples(arrays.x_test, arrays.y_test)
    info = comm.bcast_obj(info)
    train = chainermn.scatter_dataset(train, comm, shuffle=True, seed=seed)
    test = chainermn.scatter_dataset(test, comm)
    return train, test, info


def optimizer(actual: Any, comm: Any) -> Any:
    return import_chainermn().create_multi_node_optimizer(actual, comm)


def evaluator(actual: Any, comm: Any) -> Any:
    return import_chainermn().create_multi_node_evaluator(actual, comm)
