"""The example harness plugin: registers its components and their options.

Only hookimpls live here, so loading the plugin imports nothing heavy; each
component module is imported when its registration hook runs, and the
estimator imports scikit-learn only inside ``train``. Everything comes from
``harness.contract``, the harness's public surface for plugins.
"""

from harness.contract import hookimpl


@hookimpl
def harness_register_estimators(register):
    from harness_example.hgb import HistGradientBoostingEstimator

    register("hgb", HistGradientBoostingEstimator)


@hookimpl
def harness_register_loggers(register):
    from harness_example.csv_logger import CsvLogger

    register("csv", CsvLogger)


@hookimpl
def harness_register_computes(register):
    from harness_example.nice_compute import NiceCompute

    register("nice", NiceCompute)


@hookimpl
def harness_config_schemas(register):
    # The recommended way: typed options (a dataclass), checked while composing.
    from harness_example.config import HgbConfig

    register("estimator", "hgb", HgbConfig)


@hookimpl
def harness_config_searchpath():
    # YAML options work too: conf/logger/csv.yaml → `+logger=csv`,
    # conf/compute/nice.yaml → `compute=nice`.
    return ["pkg://harness_example.conf"]
