import harness_missing_lib_for_tests  # noqa: F401  (not installed, on purpose)
