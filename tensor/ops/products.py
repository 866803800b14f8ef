"""``dot``, ``mv`` and ``bmm``: matmul's math for fixed ranks (1·1, 2·1, 3·3), as
PyTorch records each under its own node name. The forward and backward are
`MatMul`'s (``linalg.py``)."""

from __future__ import annotations

from .linalg import MatMul


class Dot(MatMul):
    """z = Σᵢ xᵢyᵢ;  dx = g·y,  dy = g·x"""

    torch_name = "DotBackward0"


class Mv(MatMul):
    """z = A @ v;  dA = g ⊗ v,  dv = Aᵀ @ g"""

    torch_name = "MvBackward0"


class Bmm(MatMul):
    """Zₙ = Xₙ @ Yₙ per batch n;  dXₙ = Gₙ @ Yₙᵀ,  dYₙ = Xₙᵀ @ Gₙ"""

    torch_name = "BmmBackward0"
