"""Devices: this engine runs on the CPU only. Device-agnostic PyTorch code
(``device = "cuda" if torch.cuda.is_available() else "cpu"``, ``model.to(device)``,
``torch.zeros(3, device=device)``) runs unchanged; asking for any other device
is a clear error, not a NumPy one."""

from __future__ import annotations

from types import SimpleNamespace

# Names PyTorch accepts at the start of a device string; anything else given to
# .to() is taken as a dtype
DEVICE_TYPES = frozenset({"cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "mtia", "ipu",
                          "hpu", "vulkan", "privateuseone"})


class device:  # noqa: N801  (torch.device)
    """``device("cpu")``, ``device("cpu:0")`` or ``device("cpu", 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index: int | None = None):  # noqa: A002  (torch's name)
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string or a device, got {type!r}")
        kind, _, number = type.partition(":")
        if kind not in DEVICE_TYPES:
            raise RuntimeError(f"device: expected one of {', '.join(sorted(DEVICE_TYPES))} "
                               f"at the start of the device string, got {type!r}")
        if kind != "cpu":
            raise RuntimeError(f"device: this framework runs on the CPU only; {type!r} is not "
                               "available (use 'cpu', or pick the device with "
                               "torch.cuda.is_available() as the tutorials do)")
        self.type = kind
        self.index = int(number) if number else index

    def __repr__(self) -> str:
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{extra})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def check_device(dev) -> None:
    """Accept ``None``, the CPU or its name; raise for any other device."""
    if dev is not None and not isinstance(dev, device):
        device(dev)


def is_device(value) -> bool:
    """Whether a positional argument of ``.to()`` names a device rather than a dtype."""
    return isinstance(value, device) or (
        isinstance(value, str) and value.partition(":")[0] in DEVICE_TYPES)


def parse_to(args: tuple, dtype=None, device=None):
    """The (device, dtype) of a ``.to(…)`` call: ``to(dtype)``, ``to(device)``,
    ``to(device, dtype)``, ``to(other_tensor)`` or keywords. The device is checked."""
    for arg in args:
        if hasattr(arg, "_ctx"):  # a Tensor: its dtype (and device, the CPU)
            dtype = arg.data.dtype
        elif is_device(arg):
            device = arg
        else:
            dtype = arg
    check_device(device)
    return device, dtype


def _false() -> bool:
    return False


cuda = SimpleNamespace(is_available=_false, device_count=lambda: 0)
backends = SimpleNamespace(mps=SimpleNamespace(is_available=_false, is_built=_false))
accelerator = SimpleNamespace(is_available=_false, current_accelerator=lambda: None,
                              device_count=lambda: 0)
