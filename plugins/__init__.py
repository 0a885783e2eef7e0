"""The built-in plugins, installed as ``harness.plugins.<name>``.

They live inside the ``harness`` package so that no third-party distribution can
shadow or overwrite them (a plugin package named ``harness_sklearn`` no longer
collides with anything). They are still loaded only through the ``harness``
entry-point group declared in pyproject.toml, exactly like third-party plugins.
"""
