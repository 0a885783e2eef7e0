"""The example harness plugin: registers its components and ships its config groups.

Only hookimpls live here, so loading the plugin imports nothing heavy; each
component module is imported when its registration hook runs, and the
estimator imports scikit-learn only inside ``train``.
"""

from harness import hookimpl


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
def harness_config_searchpath():
    # conf/estimator/hgb.yaml → `+estimator=hgb`, conf/logger/csv.yaml → `+logger=csv`,
    # conf/compute/nice.yaml → `compute=nice`.
    return ["pkg://harness_example.conf"]
