import os

import numpy as np
import pytest

import tensor


@pytest.fixture(autouse=True)
def _seed():
    tensor.manual_seed(0)
    yield
    tensor.set_grad_enabled(True)  # a failing grad-mode test must not leak into the next


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true",
                     help="also run the opt-in tests that need ../shared/data")
    parser.addoption("--fuzz", type=int, default=0, metavar="N",
                     help="run the differential fuzzer with N fresh examples per op")


def pytest_configure(config):
    if config.getoption("--fuzz"):  # read by test_fuzz_torch.py when it is imported
        os.environ["TINYGRAD_FUZZ"] = str(config.getoption("--fuzz"))


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="opt-in: pass --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """One line naming the optional parts a green run skipped, and how to add them."""
    reasons = [str(getattr(r, "longrepr", ("", "", ""))[-1])
               for r in terminalreporter.stats.get("skipped", [])]
    parts = [(sum("import 'torch'" in r for r in reasons),  # pytest.importorskip's reason
              "need PyTorch (pip install torch==2.13.0)"),
             (sum("dot" in r or "Graphviz" in r for r in reasons),
              "need Graphviz's dot (apt install graphviz)"),
             (sum("chromium" in r for r in reasons),
              "take report screenshots with Chromium (apt install chromium)"),
             (sum("--run-slow" in r or "shared/data" in r for r in reasons),
              "are opt-in checks on the full datasets (--run-slow, with ../shared/data)")]
    said = [f"{n} {what}" for n, what in parts if n]
    if said:
        terminalreporter.write_line("optional parts skipped: " + "; ".join(said) + ".")
