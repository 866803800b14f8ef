"""Module buffers (register_buffer, buffers, named_buffers, state_dict and
load_state_dict with them, .to/.double) against PyTorch's, on the same module
written once for both libraries."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")
TN = torch.nn


def _make(m):
    lib = torch if m is TN else tensor

    class Scaler(m.Module):
        def __init__(self):
            super().__init__()
            self.lin = m.Linear(3, 2)
            self.register_buffer("scale", lib.ones(2) * 2)
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.register_buffer("absent", None)
            self.register_buffer("steps", lib.tensor(0))

        def forward(self, x):
            return self.lin(x) * self.scale + self.cache

    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.a = Scaler()
            self.blocks = m.ModuleList([Scaler(), m.BatchNorm1d(2)])

        def forward(self, x):
            return self.blocks[1](self.blocks[0](x) + self.a(x))

    return Net()


def _names(pairs):
    return [(n, tuple(t.shape), str(t.dtype)) for n, t in pairs]


def test_buffers_are_listed_and_saved_as_torch():
    ours, theirs = _make(nn), _make(TN)
    assert _names(ours.named_buffers()) == _names(theirs.named_buffers())
    assert _names(ours.state_dict().items()) == _names(theirs.state_dict().items())
    assert len(list(ours.buffers())) == len(list(theirs.buffers()))
    assert _names(ours.a.named_buffers(prefix="p")) == _names(theirs.a.named_buffers(prefix="p"))
    assert _names(ours.named_buffers(recurse=False)) == _names(theirs.named_buffers(
        recurse=False))
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))


def test_state_dicts_load_both_ways():
    ours, theirs = _make(nn), _make(TN)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    theirs(torch.tensor(x))  # moves the BatchNorm's statistics
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours(tensor.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    back = _make(TN)
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for (k, a), b in zip(back.state_dict().items(), ours.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, err_msg=k)


def test_to_double_converts_floating_buffers_only():
    ours, theirs = _make(nn).double(), _make(TN).double()
    assert _names(ours.named_buffers()) == _names(theirs.named_buffers())


@pytest.mark.parametrize("call", [
    lambda m, lib: m.register_buffer(3, lib.ones(1)),
    lambda m, lib: m.register_buffer("a.b", lib.ones(1)),
    lambda m, lib: m.register_buffer("", lib.ones(1)),
    lambda m, lib: m.register_buffer("x", [1.0]),
])
def test_register_buffer_errors(call):
    with pytest.raises(Exception) as want:
        call(TN.Module(), torch)
    with pytest.raises(type(want.value)):
        call(nn.Module(), tensor)
