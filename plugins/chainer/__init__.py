"""Built-in estimator plugin ``chainer``: Chainer MLP/CNN, and ChainerMN under MPI.

Chainer is imported lazily and only through ``harness.plugins.chainer.compat``, which
patches what NumPy 2 and newer setuptools removed.
"""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_estimators(register):
    from harness.plugins.chainer.estimator import ChainerEstimator

    register("chainer", ChainerEstimator)


@hookimpl
def harness_config_schemas(register):
    # Typed options instead of YAML files: a wrong type or an unknown key fails
    # while composing, and the dataclasses hold the only copy of the defaults.
    from harness.plugins.chainer.config import ChainerConfig

    register("estimator", "chainer", ChainerConfig)
