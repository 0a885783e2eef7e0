"""The plugin contract: what a plugin author codes against, and the manager that
loads plugins through it.

- ``hookspecs``: every ``harness_*`` hook (the single reference);
- ``components``: the base classes a plugin registers (Estimator, Compute, Logger,
  Datastore) and ``JobResult``;
- ``jobspec``: ``job.json``, the only thing that crosses from the driver to a job;
- ``background``: ``BackgroundSink``, a bounded queue and thread that keeps a
  logger's slow writes off the job's path (public for third-party loggers);
- ``manager``: entry points → pluggy → the table of registered components.
"""
