"""Fails while imported."""

raise RuntimeError("broken at import")
