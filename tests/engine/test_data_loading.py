"""``tensor.utils.data`` against ``torch.utils.data``: batch counts and shapes,
collation of every sample type, drop_last, seedable shuffling, random_split's
lengths, and the batch fast path giving exactly the per-sample result."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensor
from tensor.utils.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

torch = pytest.importorskip("torch")
tud = torch.utils.data


def assert_same(ours, theirs):
    """Collated batches agree: same nesting, types, shapes, dtypes and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tensor.Tensor)
        assert str(ours.dtype) == str(theirs.dtype) and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for k in theirs:
            assert_same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        assert ours == theirs


SAMPLES = {
    "ints": [1, 2, 3], "floats": [0.5, 1.5], "bools": [True, False],
    "np_float32": [np.float32(1), np.float32(2)],
    "arrays": [np.zeros((2, 2), np.uint8), np.ones((2, 2), np.uint8)],
    "strings": ["a", "b"], "tuples": [(1, 2.0), (3, 4.0)], "dicts": [{"x": 1}, {"x": 2}],
    "lists": [[1, 2], [3, 4]],
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_default_collate_matches_torch(kind):
    batch = SAMPLES[kind]
    assert_same(default_collate(batch), tud.default_collate(batch))


def test_default_collate_of_tensors_matches_torch(rng):
    a = rng.standard_normal((4, 3)).astype(np.float32)
    assert_same(default_collate([tensor.tensor(r) for r in a]),
          tud.default_collate([torch.tensor(r) for r in a]))
    assert_same(default_collate([(tensor.tensor(r), i) for i, r in enumerate(a)]),
          tud.default_collate([(torch.tensor(r), i) for i, r in enumerate(a)]))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(0, 23), st.integers(1, 9), st.booleans())
def test_batches_match_torch_without_shuffling(n, batch_size, drop_last):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    ours = DataLoader(TensorDataset(tensor.tensor(x), tensor.tensor(y)), batch_size=batch_size,
                      drop_last=drop_last)
    theirs = tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor(y)),
                            batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    batches = list(ours)
    assert len(batches) == len(list(theirs))
    for a, b in zip(batches, theirs):
        assert_same(a, b)


class Squares(Dataset):
    """A user's dataset: one sample at a time, no batch fast path."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(3, i, np.float32), i * i


def test_user_datasets_go_sample_by_sample_as_torch():
    ours, theirs = DataLoader(Squares(10), batch_size=4), tud.DataLoader(Squares(10), batch_size=4)
    for a, b in zip(ours, theirs):
        assert_same(a, b)
    assert [s for s in DataLoader(Squares(3), batch_size=None)][2][1] == 4


def test_shuffling_is_a_permutation_and_seedable():
    ds = TensorDataset(tensor.arange(100))
    seen = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=7, shuffle=True)])
    assert sorted(seen.tolist()) == list(range(100)) and seen.tolist() != list(range(100))

    def order(seed):
        loader = DataLoader(ds, batch_size=10, shuffle=True,
                            generator=tensor.Generator().manual_seed(seed))
        return [b[0].tolist() for b in loader]

    assert order(1) == order(1) and order(1) != order(2)
    tensor.manual_seed(3)
    first = [b[0].tolist() for b in DataLoader(ds, batch_size=10, shuffle=True)]
    tensor.manual_seed(3)
    assert first == [b[0].tolist() for b in DataLoader(ds, batch_size=10, shuffle=True)]


def test_batch_fast_path_equals_the_per_sample_path(rng):
    x = tensor.tensor(rng.integers(0, 255, (50, 1, 4, 4)).astype(np.uint8))
    y = tensor.tensor(rng.integers(0, 10, 50))
    ds = TensorDataset(x, y)
    subset = Subset(ds, rng.permutation(50)[:30])
    for data in (ds, subset):
        assert hasattr(data, "get_batch")
        fast = list(DataLoader(data, batch_size=8, shuffle=True,
                               generator=tensor.Generator().manual_seed(0)))
        slow = list(DataLoader(data, batch_size=8, shuffle=True, collate_fn=default_collate,
                               generator=tensor.Generator().manual_seed(0)))
        slow_path = DataLoader(data, batch_size=8, collate_fn=lambda b: default_collate(b))
        assert len(fast) == len(slow) == len(slow_path)
        for a, b in zip(fast, slow):
            for ta, tb in zip(a, b):
                assert ta.dtype == tb.dtype
                np.testing.assert_array_equal(ta.numpy(), tb.numpy())


@pytest.mark.parametrize("n,lengths", [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]),
                                       (10, [3, 7]), (5, [0.2, 0.8]), (0, [0, 0])])
def test_random_split_lengths_match_torch(n, lengths):
    ours = random_split(list(range(n)), lengths, generator=tensor.Generator().manual_seed(0))
    theirs = tud.random_split(list(range(n)), lengths,
                              generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    together = sorted(x for s in ours for x in (s[i] for i in range(len(s))))
    assert together == list(range(n))


def test_bad_arguments_raise_as_torch():
    ds = TensorDataset(tensor.zeros(4))
    for kwargs in ({"batch_size": 0}, {"batch_size": -1}):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            DataLoader(ds, **kwargs)
        with pytest.raises(ValueError):
            tud.DataLoader(tud.TensorDataset(torch.zeros(4)), **kwargs)
    with pytest.raises(ValueError, match="size mismatch between tensors"):
        TensorDataset(tensor.zeros(3), tensor.zeros(4))
    with pytest.raises(ValueError, match="sum of input lengths"):
        random_split(range(5), [2, 2])
    with pytest.raises(NotImplementedError):
        len(Dataset())


def test_a_dataset_that_overrides_getitem_is_asked_per_sample_as_torch_does():
    """An augmenting TensorDataset subclass (and a Subset of it) gets its own
    __getitem__ called: the fast whole-batch path would silently skip it."""
    torch = pytest.importorskip("torch")
    from tensor.utils.data import DataLoader, Subset, TensorDataset

    def make(lib, base):
        class Flipped(base):
            def __getitem__(self, i):
                x, y = super().__getitem__(i)
                return -x, y + 100
        return Flipped(lib.arange(12.0).reshape(6, 2), lib.arange(6))

    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import Subset as TorchSubset
    from torch.utils.data import TensorDataset as TorchTensorDataset
    ours, theirs = make(tensor, TensorDataset), make(torch, TorchTensorDataset)
    for a, b in ((ours, theirs), (Subset(ours, [5, 1, 3]), TorchSubset(theirs, [5, 1, 3]))):
        got = [[t.numpy() for t in batch] for batch in DataLoader(a, batch_size=2)]
        want = [[t.numpy() for t in batch] for batch in TorchLoader(b, batch_size=2)]
        assert len(got) == len(want)
        for g, w in zip(got, want):
            for gt, wt in zip(g, w):
                np.testing.assert_array_equal(gt, wt)


def test_an_iterable_dataset_is_batched_as_it_streams():
    torch = pytest.importorskip("torch")
    from tensor.utils.data import DataLoader, IterableDataset

    def stream(lib, base, n):
        class Squares(base):
            def __iter__(self):
                return iter([(lib.tensor([float(i)]), i * i) for i in range(n)])
        return Squares()

    for n, size, drop in ((7, 3, False), (7, 3, True), (6, 2, False), (0, 2, False)):
        got = list(DataLoader(stream(tensor, IterableDataset, n), batch_size=size,
                              drop_last=drop))
        want = list(torch.utils.data.DataLoader(
            stream(torch, torch.utils.data.IterableDataset, n), batch_size=size,
            drop_last=drop))
        assert [[t.tolist() for t in b] for b in got] == [[t.tolist() for t in b] for b in want]
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(stream(tensor, IterableDataset, 3), shuffle=True)
    with pytest.raises(TypeError, match="no len"):
        len(DataLoader(stream(tensor, IterableDataset, 3)))


def test_batch_size_true_is_refused():
    from tensor.utils.data import DataLoader

    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(list(range(4)), batch_size=True)
