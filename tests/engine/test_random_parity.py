"""Same seed, same numbers: every random function against PyTorch's CPU generator,
bit for bit (issue #23), over seeds, sizes around torch's switch points, both
float dtypes, and interleaved calls on the global generator and on Generators."""

import platform
import random

import numpy as np
import pytest

import nn
import nn.functional as F
import tensor
import tensor.utils.data as data

torch = pytest.importorskip("torch")
TF = torch.nn.functional

SIZES = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 100, 127, 1000,
         1023, 4097, 100_000]
SEEDS = [0, 1, 2, 7, 42, 1234, 2**31 - 1, 2**32 - 1, 2**32, 2**40 + 5, 2**64 - 1, -1, -2**63]


def _vendor() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":")[1].strip() for line in f if "vendor_id" in line), "")
    except OSError:
        return platform.processor()


# torch's float32 randn (≥ 16 elements) runs its AVX2 kernel on x86 with AVX2; elsewhere
# its scalar float kernel, which this engine does not reproduce
AVX2 = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")
# on Intel CPUs PyTorch's MKL build draws bernoulli_(p) (dropout) from MKL's own stream
MKL_BERNOULLI = torch.backends.mkl.is_available() and _vendor() == "GenuineIntel"
needs_avx2 = pytest.mark.skipif(not AVX2, reason="torch's float32 randn is its AVX2 kernel")
needs_mt_bernoulli = pytest.mark.skipif(MKL_BERNOULLI, reason="torch draws bernoulli_(p) "
                                        "from MKL on Intel CPUs")


def assert_same(ours, theirs, what=""):
    a = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, b.shape, a.dtype, b.dtype)
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    bad = (a.view(np.uint8) != b.view(np.uint8)).reshape(a.size, a.itemsize).any(-1)
    a, b = a.ravel(), b.ravel()
    assert not bad.any(), (what, int(bad.sum()), a[bad][:4], b[bad][:4])


def both(seed):
    tensor.manual_seed(seed)
    torch.manual_seed(seed)


# --- the stream, rand and randn ----------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_rand_and_randn_every_size_both_dtypes(seed):
    for dtype in ("float32", "float64"):
        both(seed)
        for n in SIZES if seed in (0, 42) else SIZES[:-1]:
            for fn in ("rand", "randn"):
                if fn == "randn" and dtype == "float32" and n >= 16 and not AVX2:
                    continue
                assert_same(getattr(tensor, fn)(n, dtype=getattr(tensor, dtype)),
                     getattr(torch, fn)(n, dtype=getattr(torch, dtype)), (seed, fn, dtype, n))
        assert_same(tensor.get_rng_state(), torch.get_rng_state(), "state")
    assert tensor.initial_seed() == torch.initial_seed()


@needs_avx2
def test_float32_randn_a_million_values_and_shapes():
    """The emulated AVX2 log/sincos agree to the last bit over 10⁶ values."""
    both(2024)
    assert_same(tensor.randn(1000, 1000), torch.randn(1000, 1000))
    assert_same(tensor.randn(3, 5, 7), torch.randn(3, 5, 7))
    assert_same(tensor.randn((2, 8)), torch.randn((2, 8)))


def test_small_randn_keeps_its_second_sample_across_calls():
    """Below 16 elements torch's Box–Muller keeps r·sin θ for the next call; rand
    between the calls does not clear it; manual_seed does."""
    both(5)
    for n, dt in [(3, "float64"), (1, "float32"), (2, "float64"), (5, "float32")]:
        assert_same(tensor.randn(n, dtype=getattr(tensor, dt)),
                    torch.randn(n, dtype=getattr(torch, dt)))
        assert_same(tensor.rand(1), torch.rand(1))
        assert_same(tensor.get_rng_state(), torch.get_rng_state(), "cached sample in the state")


@pytest.mark.parametrize("mean,std", [(0.3, 1.7), (-2.0, 0.01), (5.0, 3.0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_and_uniform_with_parameters(mean, std, dtype):
    for n in (5, 16, 17, 1000, 4099):
        if dtype == "float32" and n >= 16 and not AVX2:
            continue
        both(n)
        ours = tensor.zeros(n, dtype=getattr(tensor, dtype))
        theirs = torch.zeros(n, dtype=getattr(torch, dtype))
        assert_same(ours.normal_(mean, std), theirs.normal_(mean, std), ("normal_", n))
        assert_same(ours.uniform_(mean - std, mean + std), theirs.uniform_(mean - std, mean + std))
        assert_same(ours.exponential_(1 / std), theirs.exponential_(1 / std), ("exponential_", n))
        assert_same(tensor.normal(mean, std, (n,), dtype=getattr(tensor, dtype)),
             torch.normal(mean, std, (n,), dtype=getattr(torch, dtype)))


def test_in_place_samplers_on_views_visit_torch_order():
    """A transposed view is filled in memory order and takes normal's per-element path."""
    both(11)
    a, b = tensor.zeros(6, 5), torch.zeros(6, 5)
    assert_same(a.t().normal_(), b.t().normal_(), "normal_ on a transpose")
    assert_same(a[:, 1].uniform_(-1, 1), b[:, 1].uniform_(-1, 1), "uniform_ on a column")
    assert_same(a, b)
    assert_same(a.t().bernoulli_(tensor.rand(5, 6)), b.t().bernoulli_(torch.rand(5, 6)))


# --- integers, permutations, Bernoulli, multinomial ----------------------------------------
@pytest.mark.parametrize("seed", SEEDS[:6])
def test_integers_and_permutations(seed):
    both(seed)
    for n in (0, 1, 2, 5, 17, 1000, 60_000):
        assert_same(tensor.randperm(n), torch.randperm(n), ("randperm", n))
    for low, high in ((0, 2), (3, 17), (-5, 5), (0, 2**28 - 1), (0, 2**28), (0, 2**31),
                      (-2**40, 2**40), (0, 2**62)):
        assert_same(tensor.randint(low, high, (7, 3)),
                    torch.randint(low, high, (7, 3)), (low, high))
    assert_same(tensor.randint(10, (4,)), torch.randint(10, (4,)))
    assert_same(tensor.randint(0, 9, (5,), dtype=tensor.float32),
         torch.randint(0, 9, (5,), dtype=torch.float32))
    assert_same(tensor.randint_like(tensor.zeros(3, 2), 4),
                torch.randint_like(torch.zeros(3, 2), 4))
    for dt in ("float32", "float64", "int32", "int64", "uint8", "bool"):
        assert_same(tensor.zeros(50, dtype=getattr(tensor, dt)).random_(),
             torch.zeros(50, dtype=getattr(torch, dt)).random_(), ("random_", dt))
    assert_same(tensor.zeros(9).random_(3, 12), torch.zeros(9).random_(3, 12))
    assert_same(tensor.zeros(9, dtype=tensor.int64).random_(20),
         torch.zeros(9, dtype=torch.int64).random_(20))
    assert_same(tensor.get_rng_state(), torch.get_rng_state())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bernoulli_and_multinomial(dtype):
    rng = np.random.default_rng(0)
    for seed in range(4):
        p = rng.random((6, 9)).astype(dtype)
        p[0, 3] = 0
        P, Q = tensor.tensor(p), torch.tensor(p)
        both(seed)
        assert_same(tensor.bernoulli(P), torch.bernoulli(Q))
        assert_same(P.bernoulli(), Q.bernoulli())
        for n, repl in ((1, True), (5, True), (40, True), (1, False), (4, False), (8, False)):
            assert_same(tensor.multinomial(P, n, repl), torch.multinomial(Q, n, repl), (n, repl))
            assert_same(P[2].multinomial(n, repl), Q[2].multinomial(n, repl), ("1-d", n, repl))
        if not MKL_BERNOULLI:
            assert_same(tensor.zeros(40, dtype=getattr(tensor, dtype)).bernoulli_(0.3),
                 torch.zeros(40, dtype=getattr(torch, dtype)).bernoulli_(0.3))
            assert_same(tensor.bernoulli(P, 0.6), torch.bernoulli(Q, 0.6))
        assert_same(tensor.get_rng_state(), torch.get_rng_state())


def test_normal_from_tensors():
    rng = np.random.default_rng(1)
    m, s = rng.random((5, 4)).astype(np.float32), rng.random((5, 4)).astype(np.float32)
    for seed in range(3):
        both(seed)
        assert_same(tensor.normal(tensor.tensor(m), tensor.tensor(s)),
             torch.normal(torch.tensor(m), torch.tensor(s)))
        assert_same(tensor.normal(tensor.tensor(m), 2.0), torch.normal(torch.tensor(m), 2.0))
        assert_same(tensor.normal(0.5, tensor.tensor(s)), torch.normal(0.5, torch.tensor(s)))
        assert_same(tensor.normal(tensor.tensor(m[0]), tensor.tensor(s)),
             torch.normal(torch.tensor(m[0]), torch.tensor(s)))


# --- interleaved calls, Generators, state ------------------------------------------------------
def _calls(lib, g):
    """Each call takes the generator g (None: the global one) and returns a tensor."""
    kw = {"generator": g}
    return [
        lambda: lib.rand(7, **kw), lambda: lib.rand(33, dtype=lib.float64, **kw),
        lambda: lib.randn(3, **kw), lambda: lib.randn(5, dtype=lib.float64, **kw),
        lambda: lib.randn(2, 24, dtype=lib.float64, **kw),
        lambda: lib.randint(0, 1000, (6,), **kw), lambda: lib.randperm(37, **kw),
        lambda: lib.zeros(9).uniform_(-2, 3, **kw), lambda: lib.zeros(4).normal_(1, 2, **kw),
        lambda: lib.zeros(20, dtype=lib.float64).exponential_(**kw),
        lambda: lib.zeros(6, dtype=lib.int64).random_(**kw),
        lambda: lib.normal(0.0, 1.0, (17,), **kw),
        lambda: lib.bernoulli(lib.full((8,), 0.4), **kw),
        lambda: lib.multinomial(lib.ones(3, 5), 2, **kw),
        lambda: lib.multinomial(lib.ones(3, 5), 9, True, **kw),
    ] + ([lambda: lib.randn(50, **kw)] if AVX2 else [])


@pytest.mark.parametrize("order_seed", range(6))
def test_interleaved_calls_on_the_global_generator_and_two_generators(order_seed):
    pick = random.Random(order_seed)
    both(order_seed)
    gens = [(None, None), (tensor.Generator().manual_seed(order_seed + 10),
                           torch.Generator().manual_seed(order_seed + 10)),
            (tensor.Generator(), torch.Generator())]  # the default seed of a new Generator
    ours = [_calls(tensor, g) for g, _ in gens]
    theirs = [_calls(torch, g) for _, g in gens]
    for step in range(60):
        k, i = pick.randrange(len(gens)), pick.randrange(len(ours[0]))
        assert_same(ours[k][i](), theirs[k][i](), (step, k, i))
    assert_same(tensor.get_rng_state(), torch.get_rng_state())
    for (a, b) in gens[1:]:
        assert_same(a.get_state(), b.get_state())
        assert a.initial_seed() == b.initial_seed()


def test_state_round_trips_between_the_frameworks():
    both(99)
    tensor.randn(3, dtype=tensor.float64)  # a cached sample in the state
    torch.randn(3, dtype=torch.float64)
    saved = tensor.get_rng_state()
    assert saved.dtype == tensor.uint8 and saved.shape == (5056,)
    first = tensor.randn(5), tensor.rand(40)
    tensor.set_rng_state(saved)
    assert_same(tensor.randn(5), first[0])
    assert_same(tensor.rand(40), first[1])
    tensor.set_rng_state(tensor.tensor(torch.get_rng_state().numpy()))  # torch's bytes load here
    assert_same(tensor.randn(5), torch.randn(5))
    torch.set_rng_state(torch.from_numpy(tensor.get_rng_state().numpy()))  # and ours there
    assert_same(tensor.rand(3, dtype=tensor.float64), torch.rand(3, dtype=torch.float64))
    g = tensor.Generator().manual_seed(3)
    state = g.get_state()
    a = tensor.randn(20, generator=g)
    assert_same(tensor.randn(20, generator=g.set_state(state)), a)
    with pytest.raises(RuntimeError, match="5056"):
        tensor.set_rng_state(tensor.zeros(10, dtype=tensor.uint8))
    with pytest.raises(ValueError):
        tensor.manual_seed(2**64)
    s = tensor.seed()
    assert tensor.initial_seed() == s and 0 <= s < 2**64


# --- what uses the generator: init, dropout, data order ---------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_default_init_of_linear_and_conv_and_the_init_functions(dtype):
    both(0)
    td, tt = getattr(tensor, dtype), getattr(torch, dtype)
    for ours, theirs in [(nn.Linear(784, 128, dtype=td), torch.nn.Linear(784, 128, dtype=tt)),
                         (nn.Linear(3, 1, dtype=td), torch.nn.Linear(3, 1, dtype=tt)),
                         (nn.Conv2d(1, 32, 3, dtype=td), torch.nn.Conv2d(1, 32, 3, dtype=tt)),
                         (nn.Conv2d(32, 64, 3, 2, dtype=td),
                          torch.nn.Conv2d(32, 64, 3, 2, dtype=tt))]:
        assert_same(ours.weight, theirs.weight)
        assert_same(ours.bias, theirs.bias)
    w, v = tensor.zeros(64, 100, dtype=td), torch.zeros(64, 100, dtype=tt)
    for name, kwargs in [("kaiming_normal_", {"nonlinearity": "relu"}),
                         ("kaiming_uniform_", {"mode": "fan_out"}), ("xavier_uniform_", {}),
                         ("xavier_normal_", {"gain": 2.0}), ("normal_", {"std": 0.02}),
                         ("uniform_", {"a": -0.1, "b": 0.2}), ("trunc_normal_", {"std": 0.5}),
                         ("trunc_normal_", {})]:
        if not AVX2 and dtype == "float32" and "normal" in name:
            continue
        assert_same(getattr(nn.init, name)(w, **kwargs), getattr(torch.nn.init, name)(v, **kwargs),
             name)


@needs_mt_bernoulli
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_masks_and_gradients(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 100)).astype(dtype)
    for p in (0.1, 0.25, 0.5, 0.9):
        both(int(p * 100))
        a, b = tensor.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ya, yb = F.dropout(a, p), TF.dropout(b, p)
        assert_same(ya, yb, p)
        ya.sum().backward()
        yb.sum().backward()
        assert_same(a.grad, b.grad)
        assert_same(nn.Dropout(p)(tensor.tensor(x)), torch.nn.Dropout(p)(torch.tensor(x)))
        assert_same(tensor.get_rng_state(), torch.get_rng_state())


@pytest.mark.parametrize("explicit", [False, True], ids=["global", "generator="])
def test_dataloader_order_and_random_split(explicit):
    def run(lib, loader_mod, n, bs, drop_last):
        lib.manual_seed(3)
        g = lib.Generator().manual_seed(9) if explicit else None
        loader = loader_mod.DataLoader(loader_mod.TensorDataset(lib.arange(n)), batch_size=bs,
                                       shuffle=True, drop_last=drop_last, generator=g)
        out = []
        for _ in range(2):  # two epochs, with draws in between (as a training step's)
            for (batch,) in loader:
                out += [batch.tolist(), lib.rand(1).item()]
        unshuffled = loader_mod.DataLoader(loader_mod.TensorDataset(lib.arange(n)), batch_size=bs)
        out += [b.tolist() for (b,) in unshuffled] + [lib.randn(2).tolist()]
        return out + [lib.get_rng_state().tolist()]

    import torch.utils.data as tdata

    for n, bs, drop_last in ((103, 10, False), (100, 10, False), (103, 10, True), (1, 3, False)):
        assert run(tensor, data, n, bs, drop_last) == run(torch, tdata, n, bs, drop_last)
    for lengths in ([0.3, 0.3, 0.4], [10, 5, 15]):
        both(4)
        ga = tensor.Generator().manual_seed(42) if explicit else None
        gb = torch.Generator().manual_seed(42) if explicit else tensor_default(torch)
        ours = [s.indices for s in data.random_split(range(30), lengths, generator=ga)]
        theirs = [list(s.indices) for s in tdata.random_split(range(30), lengths, generator=gb)]
        assert ours == theirs


def tensor_default(lib):
    return lib.default_generator


def test_checkpoint_saves_and_restores_the_global_generator(tmp_path):
    from tinygrad_mnist.training import checkpoint as ckpt
    from tinygrad_mnist.training.model import mlp

    model = mlp(sizes=(784, 8, 10), seed=1)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    tensor.randn(7)  # somewhere in the stream, with nothing special about it
    ckpt.save_checkpoint(tmp_path / "c.safetensors", model, opt, None,
                         {"epoch": 0, "config": {}})
    after = tensor.rand(100), F.dropout(tensor.ones(50), 0.5)
    tensor.manual_seed(12345)
    ckpt.load_checkpoint(tmp_path / "c.safetensors", model, opt, None)
    assert_same(tensor.rand(100), after[0])
    assert_same(F.dropout(tensor.ones(50), 0.5), after[1])


def test_errors_name_the_op_as_torch_raises_them():
    for op, call in [("uniform_", lambda lib: lib.zeros(3, dtype=lib.int64).uniform_()),
                     ("normal_", lambda lib: lib.zeros(3, dtype=lib.int64).normal_()),
                     ("multinomial", lambda lib: lib.multinomial(lib.ones(3), 0)),
                     ("multinomial", lambda lib: lib.multinomial(lib.ones(3), 4)),
                     ("multinomial", lambda lib: lib.multinomial(lib.tensor([-1.0, 2.0]), 1)),
                     ("uniform_", lambda lib: lib.zeros(3).uniform_(1, 0))]:
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(type(theirs.value)) as ours:
            call(tensor)
        assert op in str(ours.value)
