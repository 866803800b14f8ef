"""PyTorch's optimizer options (maximize, foreach, fused, differentiable, capturable,
decoupled_weight_decay): the same defaults in param_groups and repr, maximize as
gradient ascent, and the two a NumPy step cannot honour refused by name."""

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")

NAMES = ["SGD", "Adam", "AdamW", "Adadelta", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam"]


def _pair(name, **kwargs):
    ours = getattr(nn.optim, name)([tensor.zeros(3, requires_grad=True)], lr=0.1, **kwargs)
    theirs = getattr(torch.optim, name)([torch.zeros(3, requires_grad=True)], lr=0.1, **kwargs)
    return ours, theirs


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_and_repr_match_torch(name):
    ours, theirs = _pair(name, foreach=False)
    want = {k: v for k, v in theirs.state_dict()["param_groups"][0].items() if k != "params"}
    got = {k: v for k, v in ours.state_dict()["param_groups"][0].items() if k != "params"}
    assert got == want
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("flag", ["differentiable", "capturable"])
def test_unsupported_flags_are_refused_by_name(name, flag):
    import inspect

    if flag not in inspect.signature(getattr(torch.optim, name)).parameters:
        with pytest.raises(TypeError):
            getattr(nn.optim, name)([tensor.zeros(3, requires_grad=True)], **{flag: True})
        return
    with pytest.raises(NotImplementedError, match=f"{name}: {flag}=True"):
        getattr(nn.optim, name)([tensor.zeros(3, requires_grad=True)], **{flag: True})


@pytest.mark.parametrize("name", NAMES)
def test_maximize_ascends_as_torch(name):
    rng = np.random.default_rng(len(name))
    w0 = rng.standard_normal(4)
    ours_p = tensor.tensor(w0.copy(), requires_grad=True)
    theirs_p = torch.tensor(w0.copy(), requires_grad=True)
    ours = getattr(nn.optim, name)([ours_p], lr=0.05, maximize=True)
    theirs = getattr(torch.optim, name)([theirs_p], lr=0.05, maximize=True)
    for _ in range(4):
        g = rng.standard_normal(4)
        ours_p.grad, theirs_p.grad = tensor.tensor(g), torch.tensor(g)
        ours.step()
        theirs.step()
    np.testing.assert_allclose(ours_p.data, theirs_p.detach().numpy(), rtol=1e-12)


def test_adam_with_decoupled_weight_decay_is_adamw():
    rng = np.random.default_rng(0)
    ps = [tensor.tensor(rng.standard_normal(3), requires_grad=True) for _ in range(2)]
    ps[1].data[...] = ps[0].data
    a = nn.optim.Adam([ps[0]], lr=0.1, weight_decay=0.3, decoupled_weight_decay=True)
    b = nn.optim.AdamW([ps[1]], lr=0.1, weight_decay=0.3)
    for _ in range(3):
        g = rng.standard_normal(3)
        ps[0].grad, ps[1].grad = tensor.tensor(g), tensor.tensor(g)
        a.step()
        b.step()
    np.testing.assert_array_equal(ps[0].data, ps[1].data)
