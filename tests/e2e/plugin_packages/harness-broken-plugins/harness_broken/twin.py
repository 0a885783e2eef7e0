from harness import Estimator


def twin_class(origin: int) -> type:
    class Twin(Estimator):
        def train(self, run):
            run.log("accuracy", 1.0)
            run.log("twin_origin", origin)

    return Twin
