"""``azureml.train``: estimators and HyperDrive (harness script mode and sweeps)."""
