"""The spine of one run: the train config (``config``), the driver that turns it
into a job spec, a run record and a compute launch (``driver``), and the state of
one ``harness train`` (``session``). What every compute reuses (supervision,
interrupts, the early worker, the rank entry point) is public, in
``harness.contract.compute_kit``; each job process runs ``python -m harness.worker``."""
