"""Model serving: a registered model as a local web service (``harness models serve``).

- ``store``: service records, ``$HARNESS_HOME/services/<name>/service.json``;
- ``liveness``: a service whose process died shows ``Failed``;
- ``staging``: the model files copied in for the service, SHA-256 checked;
- ``spec``: what a deployment asks for, checked before anything is written;
- ``launch``: bind the port, start the service process detached, wait for it;
- ``process``: the service process itself (uvicorn, one or more workers);
- ``app``, ``scoring``, ``inputs``, ``stats``: the Starlette app in each worker.

The CLI (``harness models serve``, ``harness services``) and the Python API
(``harness.sdk.service``) call these; see docs/serving.md.
"""
