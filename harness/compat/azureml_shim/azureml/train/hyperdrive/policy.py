"""Early-termination policies: the harness sweep policies (docs/sweeps.md)."""

from harness.sdk.sweep import (  # noqa: F401
    BanditPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
)
