"""``azureml.train.sklearn.SKLearn``: an Estimator whose script uses scikit-learn."""

from azureml.train.estimator import Estimator


class SKLearn(Estimator):
    _framework = "sklearn"


__all__ = ["SKLearn"]
