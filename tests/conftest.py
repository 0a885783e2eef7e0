import signal

import pytest

# A shell without job control starts background commands with SIGINT ignored, and
# an ignored signal is inherited across exec: the harness processes that the Ctrl-C
# tests interrupt would never see it. Restore normal Ctrl-C for the whole session.
signal.signal(signal.SIGINT, signal.default_int_handler)

pytest_plugins = ["harness.testing.fixtures"]


@pytest.fixture
def home(harness_home):
    """Short alias: the temporary HARNESS_HOME of this test."""
    return harness_home
