"""The harness's Azure ML v1 layer (``harness compat azureml --install``).

Names map onto the harness's Python API (``harness.sdk``); what cannot exist on a
laptop (subscriptions, portal URLs, Docker images) is accepted with one warning or
refused with one line saying what to use instead. See docs/migrating-from-azureml.md.
"""

from azureml._compat import install_missing_module_finder

__version__ = "1.0.0+harness"

install_missing_module_finder()  # `import azureml.pipeline` etc.: one line saying what to use
