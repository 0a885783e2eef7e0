"""Samplings: grid → Hydra's basic sweeper; random/Bayesian → the Optuna sweeper."""

from harness.sdk.sweep import BayesianSampling, GridSampling, RandomSampling


class GridParameterSampling(GridSampling):
    pass


class RandomParameterSampling(RandomSampling):
    pass


class BayesianParameterSampling(BayesianSampling):
    pass
