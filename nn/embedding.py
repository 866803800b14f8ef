"""``nn.Embedding`` and ``nn.functional.embedding``: a lookup table of learned
vectors, one row per token (makemore's ``C[X]``, GPT's token embeddings)."""

from __future__ import annotations

import numpy as np

import tensor
from tensor import Tensor, dtypes
from tensor.ops.embedding import Embedding as EmbeddingFn

from . import init
from .module import Module, Parameter


def _padding_idx(padding_idx, rows: int):
    if padding_idx is None:
        return None
    if not -rows <= padding_idx < rows:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + rows if padding_idx < 0 else padding_idx


def _unsupported(max_norm, scale_grad_by_freq, sparse, op: str) -> None:
    for name, value in (("max_norm", max_norm), ("scale_grad_by_freq", scale_grad_by_freq),
                        ("sparse", sparse)):
        if value:
            raise NotImplementedError(f"{op}: {name}= is not supported here")


def embedding(input, weight: Tensor, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """``weight[input]``: the rows of ``weight`` at the integer indices ``input``, of
    shape ``input.shape + (embedding_dim,)``."""
    _unsupported(max_norm, scale_grad_by_freq, sparse, "embedding")
    idx = np.asarray(getattr(input, "data", input))
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("embedding: expected tensor for argument #1 'indices' to have one "
                           "of the following scalar types: Long, Int; but got "
                           f"{dtypes.PUBLIC.get(idx.dtype, idx.dtype)} instead")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D, got shape {tuple(weight.shape)}")
    rows = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        bad = idx[(idx < 0) | (idx >= rows)].flat[0]
        raise IndexError(f"embedding: index {bad} out of range in self (weight of shape "
                         f"{tuple(weight.shape)})")
    return EmbeddingFn.apply(weight, idx=idx, padding_idx=_padding_idx(padding_idx, rows))


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, drawn from
    N(0, 1) (the ``padding_idx`` row zero, and it gets no gradient)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None,
                 max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None,
                 dtype=None):
        _unsupported(max_norm, scale_grad_by_freq, sparse, "Embedding")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_idx(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dt = dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dt),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with tensor.no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx=None,
                        max_norm=None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (shared; frozen by default)."""
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx,
                   max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)
