"""The random generator's fast paths against PyTorch, bit for bit: sizes around the
slices they work in, interleaved calls on the global generator and on Generators,
the state after each call; and glibc's log on whole arrays against ``math.log``."""

import importlib
import math
import random

import numpy as np
import pytest
from test_random_parity import AVX2, assert_same, both, needs_mt_bernoulli

import nn.functional as F
import tensor
from tensor.random import avx32, libm_log

torch = pytest.importorskip("torch")
generator = importlib.import_module("tensor.random.generator")  # (the package's
# attribute of that name is the function returning the global generator)

ROWS = avx32.CHUNK // 8 * 16  # elements in one slice of randn's blocks
SIZES = [0, 1, 2, 15, 16, 17, 31, 33, 255, 257, 4095, 64 * 784, ROWS - 1, ROWS, ROWS + 1,
         ROWS + 15, ROWS + 16, ROWS + 17, 2 * ROWS + 33]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rand_and_randn_around_the_slices(dtype):
    both(31)
    for n in SIZES:
        for fn in ("rand", "randn"):
            if fn == "randn" and dtype == "float32" and n >= 16 and not AVX2:
                continue
            assert_same(getattr(tensor, fn)(n, dtype=getattr(tensor, dtype)),
                        getattr(torch, fn)(n, dtype=getattr(torch, dtype)), (fn, dtype, n))
            assert_same(tensor.get_rng_state(), torch.get_rng_state(), ("state", fn, n))


def _step(lib, rng, gen, dtype):
    """One random call of a random kind and size on ``gen`` (None: the global one)."""
    n = rng.choice([0, 1, 3, 15, 16, 17, 100, 1001, 64 * 784 // 7])
    kind = rng.choice(["rand", "randn", "randn", "bernoulli", "randint", "normal_"])
    kw = {"generator": gen} if gen is not None else {}
    dt = getattr(lib, dtype)
    if kind == "bernoulli":
        return lib.empty(n, dtype=dt).bernoulli_(rng.choice([0.25, 0.5, 1e-6, 0.999]), **kw)
    if kind == "randint":
        return lib.randint(0, rng.choice([2, 10, 2**30]), (n,), **kw)
    if kind == "normal_":
        return lib.empty(n, dtype=dt).normal_(0.5, 2.0, **kw)
    if kind == "randn" and dtype == "float32" and n >= 16 and not AVX2:
        return lib.rand(n, dtype=dt, **kw)
    return getattr(lib, kind)(n, dtype=dt, **kw)


@needs_mt_bernoulli
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_interleaved_calls_on_global_and_generator_objects(seed, dtype):
    both(seed)
    ours, theirs = tensor.Generator().manual_seed(seed + 7), torch.Generator().manual_seed(seed + 7)
    rng_a, rng_b = random.Random(seed), random.Random(seed)
    for step in range(25):
        pick = rng_a.random() < 0.5
        rng_b.random()
        assert_same(_step(tensor, rng_a, ours if pick else None, dtype),
                    _step(torch, rng_b, theirs if pick else None, dtype), (seed, step))
    assert_same(tensor.get_rng_state(), torch.get_rng_state(), "global state")
    assert_same(ours.get_state(), theirs.get_state(), "generator state")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_round_trips_after_the_fast_paths(dtype):
    """A state saved after fast-path draws, restored later, replays the same numbers,
    and loads into torch to give torch's."""
    both(3)
    dt = getattr(tensor, dtype)
    tensor.randn(64, 784, dtype=dt)
    tensor.rand(1001, dtype=dt)
    state = tensor.get_rng_state()
    first = [tensor.randn(4097, dtype=dt), tensor.rand(17, dtype=dt), tensor.randn(3, dtype=dt)]
    tensor.set_rng_state(state)
    again = [tensor.randn(4097, dtype=dt), tensor.rand(17, dtype=dt), tensor.randn(3, dtype=dt)]
    for a, b in zip(first, again):
        assert_same(a, b)
    torch.set_rng_state(torch.from_numpy(state.numpy().copy()))
    tdt = getattr(torch, dtype)
    if dtype == "float64" or AVX2:
        assert_same(first[0], torch.randn(4097, dtype=tdt))
        assert_same(first[1], torch.rand(17, dtype=tdt))


@needs_mt_bernoulli
@pytest.mark.parametrize("p", [0.0, 1e-9, 0.1, 0.25, 0.5, 0.75, 1 - 1e-12, 1.0])
def test_bernoulli_scalar_and_dropout_many_sizes(p):
    both(int(p * 1000))
    for n in (0, 1, 2, 3, 17, 1000, 64 * 128, 64 * 64 * 12 * 12 // 9):
        assert_same(tensor.empty(n).bernoulli_(p), torch.empty(n).bernoulli_(p), (p, n))
        if 0 < p < 1:
            x = tensor.ones(n)
            assert_same(F.dropout(x, p), torch.nn.functional.dropout(torch.ones(n), p), (p, n))
        assert_same(tensor.get_rng_state(), torch.get_rng_state(), ("state", p, n))


@pytest.mark.parametrize("numpy_high_first", [True, False])
def test_raw_draws_in_both_widths_are_one_stream(numpy_high_first, monkeypatch):
    """64-bit draws are two 32-bit ones, the first high, whichever way NumPy makes them."""
    if numpy_high_first and not generator._HIGH_FIRST:
        pytest.skip("this NumPy makes a full-range uint64 low half first")
    monkeypatch.setattr(generator, "_HIGH_FIRST", numpy_high_first)
    a, b = tensor.Generator().manual_seed(11), tensor.Generator().manual_seed(11)
    for n in (0, 1, 5, 1000, 4097):
        wide = a.random64(n)
        pairs = b.random(2 * n).astype(np.uint64).reshape(n, 2)
        assert np.array_equal(wide, (pairs[:, 0] << np.uint64(32)) | pairs[:, 1])
        assert np.array_equal(a.random(n + 1), b.random(n + 1))
    assert np.array_equal(a.get_state().numpy(), b.get_state().numpy())


def _log_inputs(rng):
    """randn's 1 − u (u = k·2⁻⁵³) and the values where libm_log is most likely wrong:
    near 1, at powers of two, at its grid's cell edges and at √½, over many binades."""
    u = rng.integers(0, 2**53, 200_000, dtype=np.uint64).astype(np.float64) * 2.0**-53
    k = np.arange(1, 2000, dtype=np.float64)
    edges = np.concatenate([1 + (np.arange(-38, 54) + 0.5) / 128, [math.sqrt(0.5)],
                            2.0 ** np.arange(-60, 3)])
    near_edges = np.concatenate([np.nextafter(edges, 0), edges, np.nextafter(edges, 3)])
    scales = 2.0 ** rng.integers(-1000, 1000, near_edges.size)
    return np.concatenate([1 - u, 1 - k * 2.0**-53, 1 + k * 2.0**-52, k * 2.0**-53,
                           near_edges, near_edges * scales,
                           np.exp(rng.uniform(-700, 700, 50_000)), [1.0, 0.5, 2.0]])


@pytest.mark.parametrize("seed", range(3))
def test_vectorised_log_is_glibcs(seed):
    x = _log_inputs(np.random.default_rng(seed))
    expected = np.array([math.log(v) for v in x.tolist()])
    ours = libm_log.log(x)
    bad = ours.view(np.int64) != expected.view(np.int64)
    assert not bad.any(), (int(bad.sum()), x[bad][:4], ours[bad][:4], expected[bad][:4])
    out = np.empty((2, x.size // 2))
    assert libm_log.log(x[: out.size].reshape(out.shape), out=out) is out
    assert np.array_equal(out.ravel(), expected[: out.size])


def test_vectorised_log_asks_glibc_only_near_midpoints(monkeypatch):
    """It may not just call math.log everywhere: a few per cent of randn's inputs."""
    x = _log_inputs(np.random.default_rng(9))[:200_000]
    calls = []
    real = math.log

    def counted(v):
        calls.append(v)
        return real(v)

    monkeypatch.setattr(libm_log.math, "log", counted)
    libm_log.log(x)
    monkeypatch.undo()
    assert 0 < len(calls) < 0.08 * x.size
