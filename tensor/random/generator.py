"""PyTorch's CPU generator: a Mersenne Twister (MT19937) seeded as ``std::mt19937``
is, so that after ``manual_seed(s)`` the raw 32-bit stream is torch's, bit for bit.

NumPy's ``MT19937`` with its legacy seeding is the same engine; this module keeps
one per `Generator`, draws from it in bulk, and converts its state to and from
the 5056-byte ``ByteTensor`` of ``torch.get_rng_state()``.
"""

from __future__ import annotations

import os

import numpy as np

from .. import function
from ..device import CPU, check_device

# a new torch.Generator() starts from this seed (c10's default_rng_seed_val)
DEFAULT_SEED = 67280421310721
_N = 624  # MT19937's state words
# CPUGeneratorImplState: seed u64, left i32, seeded i32, next u64, state u64[624],
# normal_x/normal_y/normal_rho f64, normal_is_valid i32 (+4 padding), float sample f32,
# its valid flag (+3 padding)
STATE_SIZE = 5056
_NORMAL_Y, _NORMAL_VALID, _FLOAT_NORMAL = 5024, 5040, 5048


def _as_seed(seed) -> int:
    """A seed as PyTorch reads it: any int in [-2⁶³, 2⁶⁴), negatives wrapped."""
    seed = int(seed)
    if not -2**63 <= seed < 2**64:
        raise ValueError("Overflow when unpacking long long")
    return seed % 2**64


class Generator:
    """``torch.Generator``: a seedable MT19937 stream of its own, passed as
    ``generator=`` to the random functions, samplers, ``DataLoader`` and
    ``random_split``. ``Generator().manual_seed(42)`` draws what PyTorch's does."""

    def __init__(self, device="cpu"):
        check_device(device)
        self.device = CPU
        self.manual_seed(DEFAULT_SEED)

    # --- seeding -------------------------------------------------------------------
    def manual_seed(self, seed) -> Generator:
        seed = _as_seed(seed)
        self._bits = np.random.MT19937()
        self._bits._legacy_seeding(seed & 0xFFFFFFFF)  # std::mt19937's init_genrand
        self._ints = np.random.Generator(self._bits)
        self._seed = seed
        self._fresh = True  # seeded, nothing drawn: torch's state says next = 0
        self.normal_cache = None  # Box–Muller's second double sample, kept for the next call
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; return the new seed."""
        seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    # --- the raw stream ------------------------------------------------------------
    def random(self, n: int) -> np.ndarray:
        """The next ``n`` 32-bit outputs (torch's ``generator->random()``), uint32."""
        if n <= 0:
            return np.empty(0, np.uint32)
        self._fresh = False
        # integers over the full uint32 range take one raw output each, unchanged
        return self._ints.integers(0, 2**32, size=n, dtype=np.uint32)

    def random64(self, n: int) -> np.ndarray:
        """The next ``n`` 64-bit draws (``random64()``: two outputs, the first one high)."""
        if n <= 0:
            return np.empty(0, np.uint64)
        self._fresh = False
        if _HIGH_FIRST:  # NumPy's full-range uint64 is the same pair: one pass, no temporaries
            return self._ints.integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)
        pairs = self.random(2 * n).astype(np.uint64).reshape(n, 2)
        return (pairs[:, 0] << np.uint64(32)) | pairs[:, 1]

    def skip(self, n: int) -> None:
        """Advance by ``n`` outputs without using them."""
        while n > 0:
            k = min(n, 1 << 20)
            self.random(k)
            n -= k

    # --- state ---------------------------------------------------------------------
    def get_state(self):
        """The state as PyTorch's 5056-byte ``ByteTensor``, byte for byte."""
        state = self._bits.state["state"]
        pos = int(state["pos"])
        raw = np.zeros(STATE_SIZE, np.uint8)
        head = np.zeros(3, np.uint64)
        head[0] = self._seed
        left_seeded = np.array([625 - pos if pos < _N else 1, 1], np.int32)
        head[1] = left_seeded.view(np.uint64)[0]
        head[2] = 0 if self._fresh else pos
        raw[:24] = head.view(np.uint8)
        raw[24:24 + 8 * _N] = state["key"].astype(np.uint64).view(np.uint8)
        if self.normal_cache is not None:
            raw[_NORMAL_Y:_NORMAL_Y + 8] = np.array([self.normal_cache]).view(np.uint8)
            raw[_NORMAL_VALID] = 1
        return function.Tensor._make(raw, None)

    def set_state(self, new_state) -> Generator:
        raw = np.asarray(getattr(new_state, "data", new_state))
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise TypeError(f"set_state: RNG state must be a torch.ByteTensor (got "
                            f"{raw.dtype} of shape {raw.shape})")
        if raw.size != STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but "
                               f"found the input RNG state size to be {raw.size}")
        raw = np.ascontiguousarray(raw)
        seed, left_seeded, nxt = raw[:24].view(np.uint64)
        left, seeded = (int(v) for v in np.array([left_seeded]).view(np.int32))
        if not seeded or not 0 < left <= _N or int(nxt) > _N:
            raise RuntimeError("Invalid mt19937 state")
        key = raw[24:24 + 8 * _N].view(np.uint64).astype(np.uint32)
        bits = np.random.MT19937()
        bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 625 - left}}
        self._bits, self._ints = bits, np.random.Generator(bits)
        self._seed, self._fresh = int(seed), int(nxt) == 0 and left == 1
        valid = raw[_NORMAL_VALID:_NORMAL_VALID + 4].view(np.int32)[0]
        self.normal_cache = (float(raw[_NORMAL_Y:_NORMAL_Y + 8].view(np.float64)[0])
                             if valid else None)
        return self

    def __repr__(self) -> str:  # PyTorch's: <torch._C.Generator object at 0x…>
        return f"<tensor.Generator object at {id(self):#x}>"


def _uint64_is_high_first() -> bool:
    """Whether NumPy's MT19937 makes a full-range uint64 from two outputs, the first
    high, as torch's ``random64()`` does (C leaves the order of the two calls to the
    compiler, so it is checked once rather than assumed)."""
    a, b = (np.random.MT19937() for _ in range(2))
    a._legacy_seeding(5489)
    b._legacy_seeding(5489)
    pairs = np.random.Generator(a).integers(0, 2**32, size=8, dtype=np.uint32).astype(np.uint64)
    wide = np.random.Generator(b).integers(0, 2**64 - 1, size=4, dtype=np.uint64, endpoint=True)
    return bool((wide == (pairs[0::2] << np.uint64(32)) | pairs[1::2]).all())


_HIGH_FIRST = _uint64_is_high_first()

default_generator = Generator.__new__(Generator)  # the global stream
default_generator.device = CPU
default_generator.manual_seed(int.from_bytes(os.urandom(8), "little"))


def resolve(generator) -> Generator:
    """The generator a call draws from: its ``generator=``, or the global one."""
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tensor.Generator, not {type(generator).__name__}")
    return generator


def manual_seed(seed) -> Generator:
    """Seed the global generator (``randn``, ``rand``, init, dropout, shuffling);
    returns it, as PyTorch does."""
    if function.recorder is not None:  # tensor.compile is recording (capture.py)
        function.recorder.unrepeatable("manual_seed()")
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator non-deterministically; return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    """The global generator's state: PyTorch's ByteTensor, loadable by either framework."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)
