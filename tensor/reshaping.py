"""More shape methods of `Tensor`, the ones nanoGPT, makemore and d2l reach for
after the basics: memory layout (contiguous, stride), cutting (split, chunk,
tensor_split, narrow), reordering (movedim, swapaxes, unflatten, flip, roll),
tiling (repeat, tile, repeat_interleave), broadcasting (expand_as, broadcast_to) and
the diagonal. Views are views here as in PyTorch: split, chunk, narrow, movedim,
swapaxes, unflatten, diagonal and expand_as share the tensor's memory."""

from __future__ import annotations

import math

import numpy as np

from .dims import normalize_dims
from .function import storage
from .ops import movement as M
from .ops import shape as S


def _ints(args) -> tuple:
    """``f(1, 2)`` or ``f((1, 2))`` or ``f([1, 2])``: the sizes as a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(int(a) for a in args)


class ReshapingMethods:
    __slots__ = ()

    # ----- memory layout ---------------------------------------------------------------
    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self.data.flags.c_contiguous)

    def contiguous(self, memory_format=None):
        """This tensor if its elements lie in row-major order, else a copy that does."""
        return self if self.data.flags.c_contiguous else self.clone()

    def stride(self, dim=None):
        """Elements (not bytes, as NumPy's strides) to step to the next index per dim."""
        steps = tuple(s // self.data.itemsize for s in self.data.strides)
        if dim is None:
            return steps
        if self.ndim == 0:
            raise IndexError(f"stride: Dimension specified as {dim} but tensor has no "
                             f"dimensions")
        (d,) = normalize_dims(dim, self.ndim, "stride")
        return steps[d]

    def storage_offset(self) -> int:
        """Where this view starts in its storage, in elements."""
        start = self.data.__array_interface__["data"][0]
        return (start - storage(self.data).__array_interface__["data"][0]) // self.data.itemsize

    # ----- cutting into views ------------------------------------------------------------
    def _pieces(self, bounds, d, fn=S.Index):
        """The views self[..., a:b] along dim d for each pair of neighbouring bounds."""
        lead = (slice(None),) * d
        return tuple(fn.apply(self, key=(*lead, slice(a, b))) for a, b in zip(bounds, bounds[1:]))

    def split(self, split_size_or_sections, dim=0):
        if self.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        (d,) = normalize_dims(dim, self.ndim, "split")
        n = self.data.shape[d]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [int(s) for s in split_size_or_sections]
            if any(s < 0 for s in sizes):
                raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                                   f"entries, but got split_sizes={sizes}")
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                                   f"(input tensor's size at dimension {d}), but got "
                                   f"split_sizes={sizes}")
            return self._pieces([0, *np.cumsum(sizes).tolist()], d, M.SplitWithSizes)
        size = int(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={size}")
        if size == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        count = max(math.ceil(n / size), 1) if size else 1
        return self._pieces([min(i * size, n) for i in range(count)] + [n], d, M.Split)

    def chunk(self, chunks, dim=0):
        if self.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        (d,) = normalize_dims(dim, self.ndim, "chunk")
        n = self.data.shape[d]
        if n == 0:  # PyTorch gives `chunks` empty pieces
            return self._pieces([0] * (chunks + 1), d, M.Split)
        return self.split(math.ceil(n / chunks), d)

    def tensor_split(self, indices_or_sections, dim=0):
        """Pieces cut into ``sections`` near-equal parts (the first ``n % sections`` one
        longer), or cut before each of ``indices`` (Python slice bounds)."""
        if self.ndim == 0:
            raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got "
                               "a tensor with 0 dims")
        (d,) = normalize_dims(dim, self.ndim, "tensor_split")
        n = self.data.shape[d]
        cut = getattr(indices_or_sections, "data", indices_or_sections)
        if isinstance(cut, np.ndarray):
            if cut.ndim > 1:
                raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                                   f"zero-dimensional or one-dimensional tensor, but got a "
                                   f"tensor with {cut.ndim} dims")
            cut = cut.tolist()
        if isinstance(cut, (list, tuple)):
            return self._pieces([0, *(int(i) for i in cut), n], d)
        sections = int(cut)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        q, r = divmod(n, sections)
        sizes = [q + 1] * r + [q] * (sections - r)
        return self._pieces([0, *np.cumsum(sizes).tolist()], d)

    def narrow(self, dim, start, length):
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        (d,) = normalize_dims(dim, self.ndim, "narrow")
        n = self.data.shape[d]
        start, length = int(getattr(start, "data", start)), int(length)
        if not -n <= start <= n:
            raise IndexError(f"narrow(): start out of range (expected to be in range of "
                             f"[{-n}, {n}], but got {start})")
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if start < 0:
            start += n
        if start + length > n:
            raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds "
                               f"dimension size ({n}).")
        return self._pieces([start, start + length], d)[0]

    # ----- reordering ------------------------------------------------------------------
    def movedim(self, source, destination):
        src = normalize_dims(source, self.ndim, "movedim")
        dst = normalize_dims(destination, self.ndim, "movedim")
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                               f"({list(src)} dims) should contain the same number of dims as "
                               f"destination ({list(dst)} dims)")
        for what, dims in (("source", src), ("destination", dst)):
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"movedim: repeated dim in `{what}` ({list(dims)})")
        if self.ndim == 0:  # dims 0 and -1 both name the tensor itself
            return S.Permute.apply(self, dims=())
        rest = iter(i for i in range(self.ndim) if i not in src)
        order = [None] * self.ndim
        for s, t in zip(src, dst):
            order[t] = s
        order = tuple(o if o is not None else next(rest) for o in order)
        return S.Permute.apply(self, dims=order)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0, dim1):
        return self.transpose(dim0, dim1)

    def unflatten(self, dim, sizes):
        if self.ndim == 0:
            raise RuntimeError("unflatten: Dimension specified as 0 but tensor has no "
                               "dimensions")
        (d,) = normalize_dims(dim, self.ndim, "unflatten")
        sizes = [int(s) for s in sizes]
        n = self.data.shape[d]
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        known = math.prod(s for s in sizes if s != -1)
        if sizes.count(-1) > 1 or (-1 in sizes and (known == 0 or n % known)) or (
                -1 not in sizes and known != n):
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size "
                               f"of dim {d} ({n}) in the input tensor")
        sizes = [n // known if s == -1 else s for s in sizes]
        return S.Reshape.apply(self, shape=self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def flip(self, *dims):
        dims = _ints(dims)
        axes = normalize_dims(dims, self.ndim, "flip")
        if len(set(axes)) != len(axes):
            d = next(a for a in axes if axes.count(a) > 1)
            raise RuntimeError(f"flip: dim {d} appears multiple times in the list of dims")
        return M.Flip.apply(self, dims=axes if self.ndim else ())

    def fliplr(self):
        if self.ndim < 2:
            raise RuntimeError(f"fliplr: Input must be >= 2-d, got shape {tuple(self.shape)}.")
        return self.flip(1)

    def flipud(self):
        if self.ndim < 1:
            raise RuntimeError(f"flipud: Input must be >= 1-d, got shape {tuple(self.shape)}.")
        return self.flip(0)

    def roll(self, shifts, dims=None):
        shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
        if dims is None:
            if len(shifts) != 1:
                raise RuntimeError(f"roll: shifts and dimensions must align. shifts: "
                                   f"{len(shifts)}, dims:0")
            return M.Roll.apply(self, shifts=int(shifts[0]), dims=None)
        if self.ndim == 0:
            raise IndexError("roll: Dimension specified as 0 but tensor has no dimensions")
        axes = normalize_dims(dims, self.ndim, "roll")
        if len(axes) != len(shifts):
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims:{len(axes)}")
        return M.Roll.apply(self, shifts=tuple(int(s) for s in shifts), dims=axes)

    # ----- tiling ----------------------------------------------------------------------
    def repeat(self, *sizes):
        reps = _ints(sizes)
        if len(reps) < self.ndim:
            raise RuntimeError(f"repeat: Number of dimensions of repeat dims ({len(reps)}) can "
                               f"not be smaller than number of dimensions of tensor "
                               f"{tuple(self.shape)}")
        if any(r < 0 for r in reps):
            raise RuntimeError(f"repeat: Trying to create tensor with negative dimension: "
                               f"repeats {list(reps)} of shape {tuple(self.shape)}")
        return M.Repeat.apply(self, reps=reps)

    def tile(self, *dims):
        reps = _ints(dims)
        return self.repeat((1,) * (self.ndim - len(reps)) + reps)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element (or slice along ``dim``) repeated ``repeats`` times in place."""
        if dim is not None and self.ndim == 0:
            raise IndexError(f"repeat_interleave: Dimension out of range (dim {dim} of a 0-d "
                             f"tensor)")
        x = self.flatten() if dim is None else self
        (d,) = normalize_dims(0 if dim is None else dim, x.ndim, "repeat_interleave")
        n = x.data.shape[d] if x.ndim else 1
        reps = np.asarray(getattr(repeats, "data", repeats))
        if reps.dtype.kind not in "iu":
            raise NotImplementedError(f"repeat_interleave: repeats must be integers, not "
                                      f"{reps.dtype.name}")
        if reps.ndim > 1:
            raise RuntimeError("repeat_interleave: repeats must be an int or a 0-d or 1-d "
                               "integer tensor")
        if (reps < 0).any():
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        if reps.ndim == 1 and reps.size not in (1, n):
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input "
                               f"along dim, but got repeats.size(0) = {reps.size} and "
                               f"input.size({d}) = {n}")
        index = np.repeat(np.arange(n), np.broadcast_to(reps, (n,)) if reps.ndim else int(reps))
        return M.IndexSelect.apply(x, key=(slice(None),) * d + (index,))

    # ----- broadcasting ----------------------------------------------------------------
    def expand_as(self, other):
        return self._expand_named("expand_as", tuple(other.shape))

    def broadcast_to(self, size):
        return self._expand_named("broadcast_to", tuple(size))

    def _expand_named(self, op, shape):
        try:
            return self.expand(shape)
        except RuntimeError as exc:
            raise RuntimeError(f"{op}: {exc}") from None

    # ----- the diagonal ------------------------------------------------------------------
    def diagonal(self, offset=0, dim1=0, dim2=1):
        """A view of the diagonal over (dim1, dim2), as the last dim (writable)."""
        d1, d2 = normalize_dims((dim1, dim2), self.ndim, "diagonal")
        if d1 == d2:
            raise RuntimeError(f"diagonal: dimensions cannot be identical {dim1}, {dim2}")
        return M.Diagonal.apply(self, offset=int(offset), dim1=d1, dim2=d2)

    def diag(self, diagonal=0):
        """A vector's square matrix with it on the diagonal, or a matrix's diagonal (a
        copy)."""
        if self.ndim == 1:
            n = self.data.shape[0] + abs(int(diagonal))
            return M.DiagEmbed.apply(self, shape=(n, n), offset=int(diagonal), dim1=0, dim2=1)
        if self.ndim != 2:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return M.DiagonalCopy.apply(self, offset=int(diagonal), dim1=0, dim2=1)

    def trace(self):
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                               f"{self.ndim}")
        if self.data.dtype == bool:
            raise NotImplementedError("trace: not implemented for bool tensors")
        return M.Trace.apply(self)
