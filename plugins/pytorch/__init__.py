"""Built-in estimator plugin ``pytorch``: MLP / CNN / LeNet or any ``torch.nn.Module``.

torch is imported only inside the functions that train, so loading this plugin
(``harness --help``, ``harness runs list``) stays fast.
"""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_estimators(register):
    from harness.plugins.pytorch.estimator import PyTorchEstimator

    register("pytorch", PyTorchEstimator)


@hookimpl
def harness_config_schemas(register):
    # The typed option `estimator=pytorch`: its dataclasses hold the only defaults.
    from harness.plugins.pytorch.config import PyTorchConfig

    register("estimator", "pytorch", PyTorchConfig)
