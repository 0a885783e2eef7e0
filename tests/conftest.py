import pytest

pytest_plugins = ["harness.testing.fixtures"]


@pytest.fixture
def home(harness_home):
    """Short alias: the temporary HARNESS_HOME of this test."""
    return harness_home
