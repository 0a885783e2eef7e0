"""Runs: the record of one job (store) and the API a job logs through (context)."""
