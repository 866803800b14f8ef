"""ModuleList, ModuleDict and ParameterList against PyTorch's: the same sequence of
operations on both, then names, parameters, state_dict keys, repr and errors."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")
TN = torch.nn


def _layers(m, n):
    return [m.Linear(i + 1, i + 2) for i in range(n)]


# programs run on both libraries: (container, m) -> result (a module, or a value)
LIST_PROGRAMS = [
    lambda c, m: c,
    lambda c, m: c.append(m.ReLU()),
    lambda c, m: c.extend([m.Tanh(), m.Linear(2, 2)]),
    lambda c, m: (c.insert(1, m.Sigmoid()), c)[1],
    lambda c, m: (c.insert(-1, m.Sigmoid()), c)[1],
    lambda c, m: (c.insert(0, m.GELU()), c)[1],
    lambda c, m: (c.pop(1), c)[1],
    lambda c, m: (c.pop(), c)[1],
    lambda c, m: c[1:],
    lambda c, m: c[::2],
    lambda c, m: c[-1],
    lambda c, m: (c.__delitem__(0), c)[1],
    lambda c, m: (c.__delitem__(slice(0, 2)), c)[1],
    lambda c, m: (c.__setitem__(-1, m.ELU()), c)[1],
    lambda c, m: c + m.ModuleList([m.ReLU()]),
    lambda c, m: (c.__iadd__([m.SiLU()]), c)[1],
    lambda c, m: m.ModuleList([m.Linear(2, 2)]) + c,
    lambda c, m: m.ModuleList(),
    lambda c, m: c[5],
    lambda c, m: c[-4],
    lambda c, m: c.append(3),
    lambda c, m: c.extend(3),
    lambda c, m: c(1),
    lambda c, m: (setattr(c, "extra", m.Linear(1, 1)), c)[1],
]


def _describe(result):
    """What a container operation gives, comparable across libraries."""
    if isinstance(result, (nn.Module, TN.Module)):
        state = result.state_dict()
        return ("module", repr(result), [(k, tuple(v.shape)) for k, v in state.items()],
                [n for n, _ in result.named_parameters()], len(list(result.parameters())),
                [n for n, _ in result.named_children()],
                len(result) if hasattr(result, "__len__") else None)
    return ("value", repr(result))


def assert_like_torch(program, make):
    """Assert ``program`` on our container describes as on PyTorch's, or raises the
    same error with the same message."""
    ours_c, theirs_c = make(nn), make(TN)
    try:
        theirs = _describe(program(theirs_c, TN))
    except Exception as e:  # noqa: BLE001  (compared)
        with pytest.raises(type(e)) as got:
            program(ours_c, nn)
        assert str(got.value) == str(e)
        return
    assert _describe(program(ours_c, nn)) == theirs


@pytest.mark.parametrize("case", range(len(LIST_PROGRAMS)))
@pytest.mark.parametrize("n", [0, 1, 3])
def test_module_list_as_torch(case, n):
    assert_like_torch(LIST_PROGRAMS[case], lambda m: m.ModuleList(_layers(m, n)))


def test_module_list_repeats_collapse_in_repr_and_models_register_it():
    def make(m):
        class Blocks(m.Module):
            def __init__(self):
                super().__init__()
                self.h = m.ModuleList([m.Linear(4, 4) for _ in range(3)] + [m.ReLU()])
                self.heads = m.ModuleDict({"a": m.Linear(4, 2), "b": m.LayerNorm(4)})

            def forward(self, x):
                for block in self.h:
                    x = block(x)
                return self.heads["a"](x) + self.heads["b"](x).sum(-1, keepdim=True)

        return Blocks()

    ours, theirs = make(nn), make(TN)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(tensor.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    opt = nn.optim.SGD(ours.parameters(), lr=0.1)  # the optimizer sees every parameter
    assert len(opt.param_groups[0]["params"]) == len(list(theirs.parameters())) == 10


DICT_PROGRAMS = [
    lambda c, m: c,
    lambda c, m: (c.__setitem__("z", m.ReLU()), c)[1],
    lambda c, m: (c.__setitem__("a", m.Tanh()), c)[1],  # replaced in place: order kept
    lambda c, m: (c.update({"q": m.Linear(1, 1), "a": m.SiLU()}), c)[1],
    lambda c, m: (c.update([("w", m.Linear(1, 1))]), c)[1],
    lambda c, m: (c.pop("a"), c)[1],
    lambda c, m: (c.__delitem__("b"), c)[1],
    lambda c, m: (c.clear(), c)[1],
    lambda c, m: list(c),
    lambda c, m: list(c.keys()),
    lambda c, m: [type(v).__name__ for v in c.values()],
    lambda c, m: [k for k, _ in c.items()],
    lambda c, m: ("a" in c, "x" in c, len(c)),
    lambda c, m: c["b"],
    lambda c, m: c["missing"],
    lambda c, m: c.__setitem__(1, m.ReLU()),
    lambda c, m: c.__setitem__("x", 5),
    lambda c, m: c.update([("x",)]),
]


@pytest.mark.parametrize("case", range(len(DICT_PROGRAMS)))
def test_module_dict_as_torch(case):
    assert_like_torch(DICT_PROGRAMS[case],
         lambda m: m.ModuleDict({"b": m.Linear(2, 3), "a": m.ReLU(), "c": m.Linear(3, 1)}))


PARAM_PROGRAMS = [
    lambda c, m: c,
    lambda c, m: c.append(m.Parameter((torch if m is TN else tensor).ones(2))),
    lambda c, m: c.extend([torch.zeros(3, 1) if m is TN else tensor.zeros(3, 1)]),
    lambda c, m: c[0],
    lambda c, m: c[-1].shape,
    lambda c, m: c[7],
    lambda c, m: len(c),
    lambda c, m: [tuple(p.shape) for p in c],
    lambda c, m: c[1:],
]


@pytest.mark.parametrize("case", range(len(PARAM_PROGRAMS)))
def test_parameter_list_as_torch(case):
    def make(m):
        lib = torch if m is TN else tensor
        return m.ParameterList([m.Parameter(lib.ones(2, 3)), lib.zeros(4, dtype=lib.float64)])

    assert_like_torch(PARAM_PROGRAMS[case], make)


def test_a_parameter_list_trains():
    plist = nn.ParameterList([tensor.ones(3), tensor.ones(3) * 2])
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in plist)
    opt = nn.optim.SGD(plist.parameters(), lr=0.5)
    (plist[0] * plist[1]).sum().backward()
    opt.step()
    np.testing.assert_allclose(plist[0].detach().numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(plist[1].detach().numpy(), [1.5, 1.5, 1.5])
