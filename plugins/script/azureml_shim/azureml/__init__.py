"""A harness shim of the Azure ML v1 SDK namespace (script mode, azureml_compat=true)."""
