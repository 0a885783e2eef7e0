"""``azureml.train.dnn``: PyTorch, Chainer and TensorFlow estimators.

Each is the generic Estimator (script mode); the framework must be installed in
the environment the job runs in (``pip install 'harness-ml[pytorch]'`` or
``[chainer]``). A Chainer script works on NumPy 2: script mode restores
``np.sctypes`` before ``import chainer``.
"""

from typing import Any

from azureml.train.estimator import Estimator


class PyTorch(Estimator):
    _framework = "PyTorch"


class Chainer(Estimator):
    _framework = "Chainer"


class TensorFlow(Estimator):
    _framework = "TensorFlow"


class Mpi:
    def __new__(cls, process_count_per_node: int = 1, **_: Any) -> Any:
        from azureml.core.runconfig import MpiConfiguration

        return MpiConfiguration(process_count_per_node)


class Nccl(Mpi):
    pass


class Gloo(Mpi):
    pass


__all__ = ["Chainer", "Gloo", "Mpi", "Nccl", "PyTorch", "TensorFlow"]
