"""``hydra/sweeper=optuna``: the harness's own Hydra sweeper on Optuna 4's ask/tell API.

It replaces ``hydra-optuna-sweeper``, which pins ``optuna<3`` and whose storage
does not work with SQLAlchemy 2. The spelling stays the same
(``hydra/sweeper=optuna``, ``hydra/sweeper/sampler=random``,
``hydra.sweeper.n_trials``, ``'x=interval(0, 1)'``), and the study is stored in the
sweep's own folder so that ``harness sweeps resume`` can continue it.
"""
