"""``tensor.utils``: as ``torch.utils``, the data loading helpers (``utils.data``)."""

from . import data

__all__ = ["data"]
