"""Hyperparameter sweeps on Hydra multirun: sweep records, the summary table,
early-termination policies and the per-job watch.

Hydra's sweepers and launchers run the jobs; this package only adds what Hydra
lacks: one sweep id per multirun, every run linked to it, a results summary,
early termination, and HyperDrive's limits (see docs/sweeps.md).
"""
