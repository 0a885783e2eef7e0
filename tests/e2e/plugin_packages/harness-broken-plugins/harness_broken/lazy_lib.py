from harness import hookimpl


@hookimpl
def harness_register_estimators(register):
    from harness_missing_lib_for_tests import Estimator  # not installed, on purpose

    register("lazy", Estimator)
