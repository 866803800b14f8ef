"""``nn.Embedding`` and ``nn.functional.embedding`` against PyTorch: lookups of
generated index tensors (0-d, empty, repeated, int32/int64), the gradient that
adds up over repeated indices, ``padding_idx``, ``from_pretrained``, the
initialisation and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")

IDX_SHAPES = [(), (0,), (5,), (3, 4), (2, 3, 2)]


@pytest.mark.parametrize("seed", range(40))
def test_functional_embedding_matches_torch(seed):
    rng = np.random.default_rng(seed)
    rows, dim = int(rng.integers(1, 7)), int(rng.integers(1, 5))
    shape = IDX_SHAPES[seed % len(IDX_SHAPES)]
    idx = rng.integers(0, rows, shape).astype(["int64", "int32"][seed % 2])
    wv = rng.standard_normal((rows, dim)).astype(["float32", "float64"][seed // 2 % 2])
    pad = [None, 0, -1, rows - 1][seed // 4 % 4]
    g = rng.standard_normal(shape + (dim,)).astype(wv.dtype)
    res = []
    for lib in (tensor, torch):
        w = lib.tensor(wv, requires_grad=True)
        out = lib.nn.functional.embedding(lib.tensor(idx), w, padding_idx=pad)
        (out * lib.tensor(g)).sum().backward()
        res.append((out.detach().numpy(), str(out.dtype), w.grad.numpy()))
    (o1, d1, g1), (o2, d2, g2) = res
    assert d1 == d2 and o1.shape == o2.shape
    np.testing.assert_array_equal(o1, o2)
    np.testing.assert_allclose(g1, g2, rtol=1e-6, atol=1e-6)


def test_repeated_indices_accumulate():
    w = tensor.zeros(4, 2, requires_grad=True)
    nn.functional.embedding(tensor.tensor([1, 1, 3, 1]), w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])


ERRORS = [
    lambda lib: lib.nn.functional.embedding(lib.tensor([1.0]), lib.ones(3, 2)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([True]), lib.ones(3, 2)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1], dtype=lib.uint8), lib.ones(3, 2)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([3]), lib.ones(3, 2)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([-1]), lib.ones(3, 2)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3, 2), padding_idx=3),
    lambda lib: lib.nn.Embedding(10, 3, padding_idx=10),
    lambda lib: lib.nn.Embedding(10, 3, padding_idx=-11),
    lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case):
    kinds = []
    for lib in (tensor, torch):
        try:
            ERRORS[case](lib)
            kinds.append(None)
        except (RuntimeError, IndexError, AssertionError) as exc:
            kinds.append(type(exc))
    assert kinds[0] is not None and kinds[0] == kinds[1]


@pytest.mark.parametrize("args,kwargs", [((10, 3), {}), ((5, 2), {"padding_idx": 0}),
                                         ((5, 2), {"padding_idx": -2}),
                                         ((4, 6), {"dtype": "float64"})])
def test_module_matches_torch(args, kwargs):
    mods = []
    for lib in (tensor, torch):
        kw = dict(kwargs)
        if "dtype" in kw:
            kw["dtype"] = getattr(lib, kw["dtype"])
        mods.append(lib.nn.Embedding(*args, **kw))
    ours, want = mods
    assert repr(ours) == repr(want)
    assert ours.padding_idx == want.padding_idx
    assert tuple(ours.weight.shape) == tuple(want.weight.shape)
    assert str(ours.weight.dtype) == str(want.weight.dtype)
    assert ours.weight.requires_grad and ours.weight.is_leaf
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in want.named_parameters()]
    if ours.padding_idx is not None:
        assert not ours.weight.detach().numpy()[ours.padding_idx].any()
        x = tensor.tensor([ours.padding_idx, 1])
        ours(x).sum().backward()
        assert not ours.weight.grad.numpy()[ours.padding_idx].any()


def test_init_is_standard_normal():
    tensor.manual_seed(0)
    w = nn.Embedding(4000, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01  # 200,000 draws: σ/√n ≈ 0.002


def test_from_pretrained_shares_and_freezes():
    for lib in (tensor, torch):
        base = lib.arange(6.0).reshape(3, 2)
        e = lib.nn.Embedding.from_pretrained(base)
        assert repr(e) == "Embedding(3, 2)"
        assert not e.weight.requires_grad
        assert lib.nn.Embedding.from_pretrained(base, freeze=False).weight.requires_grad
        np.testing.assert_array_equal(e(lib.tensor([[2, 0]])).numpy(), [[[4, 5], [0, 1]]])


@pytest.mark.parametrize("kwargs", [{"max_norm": 1.0}, {"sparse": True},
                                    {"scale_grad_by_freq": True}])
def test_rare_options_say_not_implemented(kwargs):
    with pytest.raises(NotImplementedError, match="not supported"):
        nn.Embedding(4, 2, **kwargs)


def test_makemore_style_training_step_matches_torch():
    """C = Embedding(27, 2); emb = C(X); logits = emb.view(-1, 6) @ W + b: one SGD step."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 27, (8, 3))
    Y = rng.integers(0, 27, 8)
    cv, wv, bv = rng.standard_normal((27, 2)), rng.standard_normal((6, 27)), rng.standard_normal(27)
    after = []
    for lib in (tensor, torch):
        C = lib.nn.Embedding(27, 2)
        with lib.no_grad():
            C.weight.copy_(lib.tensor(cv, dtype=lib.float32))
        W, b = lib.tensor(wv, dtype=lib.float32, requires_grad=True), lib.tensor(
            bv, dtype=lib.float32, requires_grad=True)
        logits = C(lib.tensor(X)).view(-1, 6) @ W + b
        loss = lib.nn.functional.cross_entropy(logits, lib.tensor(Y))
        loss.backward()
        with lib.no_grad():
            for p in (C.weight, W, b):
                p -= 0.1 * p.grad
        after.append([p.detach().numpy().copy() for p in (C.weight, W, b)] + [loss.item()])
    for a, c in zip(*after):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)
