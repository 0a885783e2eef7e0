"""The harness's Azure ML v1 layer (``harness compat azureml --install``).

Names map onto the harness's Python API (``harness.sdk``); what cannot exist on a
laptop (subscriptions, portal URLs, Docker images) is accepted with one warning or
refused with one line saying what to use instead. See docs/migrating-from-azureml.md.
"""

__version__ = "1.0.0+harness"
