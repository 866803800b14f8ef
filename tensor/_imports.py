"""After ``import tensor as torch``, ``from torch.utils.data import DataLoader`` asks
Python for a package named ``torch``: it imports PyTorch itself, where installed, or
fails with "No module named 'torch'". Where that can be seen (the module doing the
import has bound ``torch`` to this package, and PyTorch is not imported yet), the
import fails instead with the line to write."""

from __future__ import annotations

import sys

# torch's modules and where their names live here
_HERE = {"torch.utils.data": "tensor.utils.data", "torch.utils": "tensor.utils",
         "torch.nn.functional": "nn.functional", "torch.nn.init": "nn.init",
         "torch.nn.utils": "nn.utils", "torch.nn": "nn",
         "torch.optim.lr_scheduler": "nn.optim.lr_scheduler", "torch.optim": "nn.optim",
         "torch.autograd.functional": "tensor.autograd.functional",
         "torch.autograd.profiler": "tensor.autograd.profiler",
         "torch.autograd.function": "tensor.autograd.function",
         "torch.autograd": "tensor.autograd", "torch": "tensor"}


class BridgeFinder:
    """A meta-path finder that only ever raises: for ``torch`` imported from a module
    whose ``torch`` is this package."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith("<frozen"):
            frame = frame.f_back
        if frame is None or frame.f_globals.get("torch") is not sys.modules.get("tensor"):
            return None
        imported = _imported_name(frame) or fullname
        wanted = next((m for m in _HERE if imported == m or imported.startswith(m + ".")),
                      "torch")
        raise ImportError(f"`import tensor as torch` names this framework torch inside "
                          f"this module, but an import statement looks for a package: write "
                          f"`from {_HERE[wanted]} import …` where PyTorch's code says `from "
                          f"{wanted} import …` (see the README's import table)", name=fullname)


def _imported_name(frame) -> str | None:
    """The dotted name of the import statement the frame is running."""
    import dis

    for ins in dis.get_instructions(frame.f_code):
        if ins.offset == frame.f_lasti and ins.opname == "IMPORT_NAME":
            return ins.argval
    return None


def install() -> None:
    if not any(isinstance(f, BridgeFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, BridgeFinder())
