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
def harness_config_searchpath():
    return ["pkg://harness.plugins.pytorch.conf"]
