"""``tensor.utils.data``: ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split``
and ``DataLoader``, with ``torch.utils.data``'s behaviour.

A `DataLoader` asks its dataset for one sample at a time and collates them, as
PyTorch does. Datasets that can cut a whole batch at once with one NumPy index
(`TensorDataset`, and the torchvision stand-ins) say so with ``get_batch``; the
loader then skips the per-sample calls and gets the same batch, faster.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import creation
from ..random import Generator, resolve, sampling
from ..tensor import Tensor


class Dataset:
    """A map-style dataset: ``dataset[i]`` is one sample, ``len(dataset)`` their count."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} has no __getitem__()")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} has no __len__()")


class IterableDataset(Dataset):
    """A dataset read as a stream: ``__iter__`` yields the samples in order (no
    ``dataset[i]``); a `DataLoader` batches them as they come."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} has no __iter__()")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate it")


class TensorDataset(Dataset):
    """Sample i is ``(t[i] for t in tensors)``; all tensors share their first dim."""

    def __init__(self, *tensors: Tensor):
        sizes = {len(t) for t in tensors}
        if len(sizes) > 1:
            raise ValueError(f"TensorDataset: size mismatch between tensors (first dims "
                             f"{[len(t) for t in tensors]})")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])

    def get_batch(self, indices: np.ndarray) -> list:
        """The collated batch of ``indices`` (what default_collate would make of the
        samples), with one index per tensor."""
        return [creation.from_numpy(t.data[indices]) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def get_batch(self):
        """The dataset's batch fetch through this subset's indices, where it has one
        (an AttributeError otherwise, so ``hasattr`` says no)."""
        inner = getattr(self.dataset, "get_batch", None)
        if inner is None:
            raise AttributeError(f"{type(self.dataset).__name__} has no get_batch")
        own = np.asarray(self.indices)
        return lambda indices: inner(own[indices])


def random_split(dataset, lengths, generator=None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths, or of fractions
    of ``len(dataset)`` that sum to 1 (remainders go one each to the first subsets)."""
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for frac in lengths:
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction {frac} is not between 0 and 1")
        counts = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths {sum(lengths)} does not equal "
                         f"the length of the input dataset ({n})")
    order = sampling.randperm(resolve(generator), n).tolist()
    bounds = np.cumsum([0, *lengths])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def default_collate(batch: list):
    """Samples into a batch, as PyTorch's: tensors and arrays are stacked along a new
    first dim, numbers become a tensor (floats as float64), tuples/lists and dicts
    are collated field by field, strings stay a list."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return creation.stack(batch)
    if isinstance(elem, np.ndarray):
        return creation.from_numpy(np.stack(batch))
    if isinstance(elem, (bool, np.bool_)):
        return creation.tensor(batch)
    if isinstance(elem, numbers.Integral):
        return creation.tensor(batch, dtype="long")
    if isinstance(elem, np.number):
        return creation.from_numpy(np.asarray(batch))
    if isinstance(elem, numbers.Real):
        return creation.tensor(batch, dtype="double")
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, dict):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, (tuple, list)):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               "equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


class DataLoader:
    """Batches of a dataset: ``for X, y in DataLoader(ds, batch_size=64, shuffle=True)``.

    Runs in this process: ``num_workers`` and ``pin_memory`` are accepted for PyTorch
    code and change nothing.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, generator=None, **kwargs):
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0
                                       or isinstance(batch_size, bool)):
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got "
                             f"{batch_size!r}")
        if isinstance(dataset, IterableDataset) and (shuffle or sampler is not None
                                                     or batch_sampler is not None):
            raise ValueError("DataLoader: an IterableDataset gives its own order; shuffle, "
                             "sampler and batch_sampler must be left unset")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if num_workers < 0:
            raise ValueError("DataLoader: num_workers option should be non-negative")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.num_workers, self.pin_memory, self.drop_last = num_workers, pin_memory, drop_last
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = generator

    def _order(self):
        """The epoch's indices, and what PyTorch's RandomSampler draws once they run out
        (it starts on a second permutation and drops it), or None."""
        if self.sampler is not None:
            return list(self.sampler), None
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n), None
        gen = self.generator
        if gen is None:  # RandomSampler seeds a generator of its own from the global one
            gen = Generator().manual_seed(int(resolve(None).random64(1)[0] % 2**63))
        return sampling.randperm(gen, n), lambda: gen.skip(n - 1)

    def _batches(self):
        if self.batch_sampler is not None:
            yield from self.batch_sampler
            return
        order, run_out = self._order()
        n, size = len(order), self.batch_size
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):
            if run_out and start + size > n:  # the sampler ran out filling this last batch
                run_out, _ = None, run_out()
            yield order[start:start + size]
        if run_out:
            run_out()

    def __iter__(self):
        # PyTorch draws a base seed for its workers each time a loader is iterated, from
        # the loader's generator (or the global one): drawn here too, so the streams agree
        resolve(self.generator).random64(1)
        return self._iterate()

    def _iterate(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._stream()
            return
        if self.batch_size is None and self.batch_sampler is None:  # no batching
            order, run_out = self._order()
            yield from (self.dataset[int(i)] for i in order)
            if run_out:
                run_out()
            return
        get_batch = _batch_getter(self.dataset) if self.collate_fn is default_collate else None
        for indices in self._batches():
            if get_batch is not None:
                yield get_batch(np.asarray(indices))
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in indices])

    def _stream(self):
        """An IterableDataset's samples, collated batch_size at a time."""
        if self.batch_size is None:
            yield from self.dataset
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        if _defined_by(type(self.dataset), "__len__") is Dataset:  # an IterableDataset's
            raise TypeError(f"DataLoader: {type(self.dataset).__name__} has no len()")
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


def _defined_by(cls, name: str):
    return next((k for k in cls.__mro__ if name in k.__dict__), None)


def _batch_getter(dataset):
    """The dataset's whole-batch fetch, when it gives what its ``__getitem__`` does: a
    subclass that overrides ``__getitem__`` (to augment, say) is asked per sample."""
    cls = type(dataset)
    if isinstance(dataset, Subset) and _defined_by(cls, "__getitem__") is Subset:
        inner = _batch_getter(dataset.dataset)
        own = np.asarray(dataset.indices)
        return None if inner is None else (lambda indices: inner(own[indices]))
    owner = _defined_by(cls, "get_batch")
    if owner is None or _defined_by(cls, "__getitem__") is not _defined_by(owner, "__getitem__"):
        return None
    return dataset.get_batch
