"""Parameter expressions (``choice``, ``uniform``, ...): harness.sdk.sweep's."""

from harness.sdk.sweep import (  # noqa: F401
    choice,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)
