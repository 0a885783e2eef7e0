"""The plugin contract: what a plugin author codes against, and the manager that
loads plugins through it.

- ``hookspecs``: every ``harness_*`` hook (the single reference);
- ``components``: the base classes a plugin registers (Estimator, Compute, Logger,
  Datastore) and ``JobResult``;
- ``jobspec``: ``job.json``, the only thing that crosses from the driver to a job;
- ``manager``: entry points → pluggy → the table of registered components.
"""
