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
