"""The spine of one run: the train config (``config``), the driver that turns it
into a job spec, a run record and a compute launch (``driver``), and the process
supervision every compute reuses (``supervise``). Each job process then runs
``python -m harness.worker`` (kept at the top level: it is the public entry point
that every compute plugin launches)."""
