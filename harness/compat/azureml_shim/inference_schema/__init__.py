"""``inference_schema`` as v1 entry scripts import it, for ``harness models serve``.

The decorators keep the samples a score.py declares, so the service can answer
``GET /swagger.json``, and turn the request's JSON into the declared types before
``run()`` sees it (a numpy array, a DataFrame, or the plain value), as the real
package does. A real ``inference_schema`` installed in the service's environment
comes first on ``sys.path`` and is used instead.
"""
