"""The plugin contract: what a plugin author codes against, and the manager that
loads plugins through it.

- ``hookspecs``: every ``harness_*`` hook (the single reference);
- ``components``: the base classes a plugin registers (Estimator, Compute, Logger,
  Datastore) and ``JobResult``; ``datastore``: the Datastore base and its kit;
- ``jobspec``: ``job.json``, the only thing that crosses from the driver to a job;
- ``context``: the run a job logs through (``Run.get_context()``);
- ``compute_kit``: what a compute builds on (supervision, the stop and interrupt
  check, the early worker, the rank entry point);
- ``records``, ``files``, ``envvars``, ``compat``: run records a plugin may read and
  annotate, atomic workspace writes, environment variable names, script paths;
- ``background``: ``BackgroundSink``, a bounded queue and thread that keeps a
  logger's slow writes off the job's path (public for third-party loggers);
- ``manager``: entry points → pluggy → the table of registered components.

Built-in plugins import nothing else of the core (an import contract checks it).
"""
