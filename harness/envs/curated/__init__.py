"""Curated environments shipped with the harness (one YAML file each)."""
