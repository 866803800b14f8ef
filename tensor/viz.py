"""Draw the graph autograd recorded, with graphviz (imported only here, lazily).

One node per tensor (name, shape, dtype, optional value and gradient statistics)
and one per op; edges follow the data. After a plain ``backward()`` the
intermediate tensors are freed, so the drawing links ops directly and shows the
leaves with their gradients; ``backward(retain_graph=True)`` (with
``retain_grad()`` on intermediates) keeps everything.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ._atomic import atomic_write_bytes
from .tensor import Tensor


class GraphvizMissing(RuntimeError):
    """The ``dot`` program is not installed; the DOT source was written instead."""


def _stats(a: np.ndarray) -> str:
    a = np.asarray(a, dtype=np.float64)
    if a.size == 1:
        return f"{a.item():.4g}"
    return (f"mean {a.mean():.3g}  std {a.std():.3g}\\lmin {a.min():.3g}  max {a.max():.3g}"
            f"  norm {np.linalg.norm(a):.3g}")


def _walk(root: Tensor):
    """Tensors and ops reachable from ``root``, without recursion. After a
    ``backward()`` that freed the graph, an op's inputs are the ops that made them
    (the intermediate tensors are gone) and the leaves, which are still drawn."""
    tensors, ops, edges = {id(root): root}, {}, []
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            fn = item._ctx
            if fn is None:
                continue
            edges.append((id(fn), id(item)))
            if id(fn) not in ops:
                ops[id(fn)] = fn
                stack.append(fn)
            continue
        for p in item.parents if item.parents is not None else item.inputs:
            edges.append((id(p), id(item)))
            seen = tensors if isinstance(p, Tensor) else ops
            if id(p) not in seen:
                seen[id(p)] = p
                stack.append(p)
    return tensors, ops, edges


def make_dot(root: Tensor, params=None, show_data: bool = False, show_grad: bool = True,
             labels: dict | None = None, direction: str = "TB",
             grad_labels: dict | None = None, op_labels: dict | None = None):
    """A ``graphviz.Digraph`` of everything that produced ``root``.

    ``params``: (name, tensor) pairs such as ``model.named_parameters()``;
    ``labels`` / ``grad_labels``: tensor → text shown as its title / beside its
    gradient; ``op_labels``: op class name → text under the op's name.
    """
    import graphviz

    if isinstance(params, dict):  # torchviz's documented form: dict(model.named_parameters())
        params = params.items()
    names = {id(t): n for n, t in (params or ())}
    labels = {id(k): v for k, v in (labels or {}).items()}
    grad_labels = {id(k): v for k, v in (grad_labels or {}).items()}
    op_labels = op_labels or {}
    tensors, ops, edges = _walk(root)
    dot = graphviz.Digraph(graph_attr={"rankdir": direction, "fontname": "Helvetica"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"})
    for key, t in tensors.items():
        title = labels.get(key) or names.get(key) or ("output" if t is root else "tensor")
        text = f"{title}\\l{tuple(t.shape)} {t.dtype.name}\\l"
        if t.data.size == 1:  # the loss: its value
            text += f"value {t.data.item():.6g}\\l"
        elif show_data:
            text += f"value: {_stats(t.data)}\\l"
        if show_grad and t.grad is not None:
            text += (f"{grad_labels.get(key, 'grad')}\\l"
                     f"gradient statistics: {_stats(t.grad.data)}\\l")
        leaf = t._ctx is None
        color = "lightblue" if key in names else ("lightgrey" if leaf else "white")
        dot.node(str(key), text, shape="box", style="filled",
                 fillcolor="palegreen" if t is root else color)
    for key, fn in ops.items():
        name = type(fn).__name__
        text = name + (f"\\n{op_labels[name]}" if name in op_labels else "")
        if fn.parents is None:
            text += "\\n(freed by backward)"
        dot.node(str(key), text, shape="ellipse", style="filled", fillcolor="orange")
    for a, b in dict.fromkeys(edges):
        dot.edge(str(a), str(b))
    return dot


def render(root: Tensor, path, format: str | None = None, **kw) -> Path:
    """Write the graph as .svg, .png, .pdf or .dot (by suffix, or ``format``).
    Without Graphviz's ``dot`` program, writes the .dot source and raises
    `GraphvizMissing` saying how to install it."""
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    if fmt not in ("svg", "png", "pdf", "dot", "gv"):
        raise ValueError(f"render: unsupported format {fmt!r} (use svg, png, pdf or dot)")
    dot = make_dot(root, **kw)
    if fmt in ("dot", "gv"):
        atomic_write_bytes(path, dot.source.encode())
        return path
    if shutil.which("dot") is None:
        fallback = path.with_suffix(".dot")
        atomic_write_bytes(fallback, dot.source.encode())
        raise GraphvizMissing(
            f"render: Graphviz's 'dot' program was not found, so {path.name} was not drawn; "
            f"wrote the source to {fallback} instead. Install Graphviz (Debian/Ubuntu: "
            "apt install graphviz; macOS: brew install graphviz) and run again."
        )
    atomic_write_bytes(path, dot.pipe(format=fmt))
    return Drawn(path)


class Drawn(type(Path())):
    """The path of a drawn graph, which a notebook shows inline (the picture, not
    the path) when it is a cell's last value."""

    def _repr_svg_(self):
        return self.read_text() if self.suffix == ".svg" else None

    def _repr_png_(self):
        return self.read_bytes() if self.suffix == ".png" else None
