"""The random number generators: the global stream behind ``randn``, ``rand``,
``randperm``, init and dropout (``manual_seed``), and ``Generator`` objects of
their own."""

from __future__ import annotations

import numpy as np

from . import function
from .device import check_device

_rng = np.random.default_rng()


def manual_seed(seed: int) -> Generator:
    """Seed the generator behind ``randn``, ``rand``, ``randperm``, init and dropout;
    returns it, as PyTorch returns its default generator."""
    global _rng
    if function.recorder is not None:  # tensor.compile is recording (capture.py)
        function.recorder.unrepeatable("manual_seed()")
    _rng = np.random.default_rng(seed)
    default_generator._seed, default_generator.rng = int(seed), _rng
    return default_generator


def generator() -> np.random.Generator:
    return _rng


class Generator:
    """``torch.Generator``: its own seedable stream, for ``DataLoader(shuffle=True,
    generator=…)`` and ``random_split`` (``Generator().manual_seed(42)``)."""

    def __init__(self, device="cpu"):
        check_device(device)
        self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def __repr__(self) -> str:  # PyTorch's: <torch._C.Generator object at 0x…>
        return f"<tensor.Generator object at {id(self):#x}>"


default_generator = Generator.__new__(Generator)  # the global stream, as returned by manual_seed
default_generator._seed, default_generator.rng = 0, _rng
