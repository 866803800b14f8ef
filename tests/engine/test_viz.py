"""Graph export: DOT source (no `dot` needed), rendering, deep graphs, missing dot."""

import re
import shutil

import numpy as np
import pytest

import tensor
from tensor.viz import GraphvizMissing, make_dot, render
from tinygrad_mnist.outputs.graph import mlp_graph_root
from tinygrad_mnist.training.model import mlp


def nodes_and_edges(source: str):
    """node id → label, and (from, to) edges, read back from the DOT text."""
    found = re.findall(r'^\s*(\d+) \[label=(?:"([^"]*)"|([^\s\]]+))', source, re.M)
    labels = {k: quoted or bare for k, quoted, bare in found}
    edges = re.findall(r"^\s*(\d+) -> (\d+)", source, re.M)
    return labels, edges


def title(label: str) -> str:
    return re.split(r"\\[ln]", label)[0]


def test_small_graph_nodes_labels_edges():
    a = tensor.tensor([1.0, 2.0], requires_grad=True)
    b = tensor.tensor([3.0, 4.0], requires_grad=True)
    c = a * b
    e = c + a  # a is used twice: one node, two out-edges
    d = e.sum()
    d.backward(retain_graph=True)
    source = make_dot(d, params=[("a", a), ("b", b)], labels={c: "c", e: "e"}).source
    labels, edges = nodes_and_edges(source)
    names = {k: title(v) for k, v in labels.items()}
    assert sorted(names.values()) == sorted(["a", "b", "c", "e", "output", "Mul", "Add", "Sum"])
    got = sorted((names[x], names[y]) for x, y in edges)
    assert got == sorted([("a", "Mul"), ("b", "Mul"), ("Mul", "c"), ("c", "Add"), ("a", "Add"),
                          ("Add", "e"), ("e", "Sum"), ("Sum", "output")])
    a_label = labels[next(k for k, v in names.items() if v == "a")]
    assert "(2,) float32" in a_label
    assert "grad" in a_label and "mean 4" in a_label  # da = b + 1 = [4, 5]: mean 4.5
    assert "gradient statistics: mean 4.5" in a_label  # said in the picture itself
    out_label = labels[next(k for k, v in names.items() if v == "output")]
    assert "value 14" in out_label  # the loss shows its value: 1·3 + 2·4 + 1 + 2


def test_after_a_plain_backward_ops_and_leaf_grads_remain():
    w = tensor.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = tensor.tensor([[1.0, -1.0]])
    loss = (x @ w).relu().sum()
    loss.backward()  # frees the intermediate tensors
    labels, edges = nodes_and_edges(make_dot(loss, params=[("w", w)]).source)
    names = {k: title(v) for k, v in labels.items()}
    assert sorted(names.values()) == sorted(["w", "tensor", "output", "MatMul", "ReLU", "Sum"])
    got = sorted((names[a], names[b]) for a, b in edges)
    assert got == sorted([("w", "MatMul"), ("tensor", "MatMul"), ("MatMul", "ReLU"),
                          ("ReLU", "Sum"), ("Sum", "output")])
    w_label = labels[next(k for k, v in names.items() if v == "w")]
    assert "grad" in w_label and "freed by backward" in "".join(labels.values())


def test_before_backward_no_grad_stats_and_show_data():
    x = tensor.tensor([[1.0, -1.0]], requires_grad=True)
    y = x.relu().sum()
    source = make_dot(y, show_data=True).source
    assert "value: mean 0" in source and "grad" not in source.replace("requires_grad", "")


def test_mlp_view_has_the_notebook_equations():
    model = mlp(seed=0)
    x = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    loss, kw = mlp_graph_root(model, x, np.array([1, 2, 3, 4]))
    labels, edges = nodes_and_edges(make_dot(loss, **kw).source)
    text = "\n".join(labels.values())
    for eq in ["Z1 = X·W1ᵀ + b1", "A1 = ReLU(Z1)", "Z3 = A2·W3ᵀ + b3", "dZ3 = (A3 − Y)/m",
               "dW3 = dZ3ᵀ·A2", "db3 = Σ dZ3", "dZ2 = dA2 ⊙ 1[Z2>0]", "dA1 = dZ2·W2",
               "W1  (0.weight)", "CrossEntropy"]:
        assert eq in text, eq
    # 3 Linear + 2 ReLU + CrossEntropy ops; X, 6 params, Z1 A1 Z2 A2 Z3, loss tensors
    assert sum("Linear" in v for v in labels.values()) == 3
    assert len(labels) == 6 + 1 + 6 + 5 + 1
    assert len(edges) == 3 * 4 + 2 * 2 + 2


def test_deep_chain_without_recursion():
    x = tensor.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    labels, edges = nodes_and_edges(make_dot(y.sum(), show_grad=False).source)
    # x, then per step a constant, a Mul and its result; then Sum and the output
    assert len(labels) == 1 + 3 * 10_000 + 2
    assert len(edges) == 3 * 10_000 + 2


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_render_formats(tmp_path, suffix):
    x = tensor.randn(3, requires_grad=True)
    path = render((x * 2).sum(), tmp_path / f"g{suffix}")
    head = path.read_bytes()[:8]
    assert {".svg": b"<?xml" in head or b"<svg" in head, ".png": head.startswith(b"\x89PNG"),
            ".pdf": head.startswith(b"%PDF")}[suffix]


def test_dot_source_and_missing_dot_program(tmp_path, monkeypatch):
    x = tensor.randn(3, requires_grad=True)
    y = (x * 2).sum()
    dot_path = render(y, tmp_path / "g.dot")
    assert dot_path.read_text().startswith("digraph")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # hide Graphviz
    with pytest.raises(GraphvizMissing, match="apt install graphviz") as err:
        render(y, tmp_path / "h.svg")
    assert "h.dot" in str(err.value)
    assert (tmp_path / "h.dot").read_text().startswith("digraph")
    assert not (tmp_path / "h.svg").exists()
    with pytest.raises(ValueError, match="unsupported format 'jpg'"):
        render(y, tmp_path / "g.jpg")
