import numpy as np
import pytest

import tensor


@pytest.fixture(autouse=True)
def _seed():
    tensor.manual_seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true",
                     help="also run the opt-in tests that need ../shared/data")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="opt-in: pass --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
