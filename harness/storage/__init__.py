"""The workspace on disk: where it lives and how to write into it atomically
(``workspace``), and the model registry (``model_registry``). Run history lives in
``harness.run``, datastores in ``harness.datastore``."""
