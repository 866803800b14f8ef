"""A run folder's test metrics, figures and self-contained ``report.html``."""

from __future__ import annotations

import base64
import csv
import html
import json
from pathlib import Path

import numpy as np

import nn
import tensor
from nn.serialization import atomic_write_bytes
from tinygrad_mnist.data.datasets import CLASS_NAMES, load_mnist, to_float
from tinygrad_mnist.outputs import figures
from tinygrad_mnist.outputs.evaluation import metrics as compute_metrics
from tinygrad_mnist.outputs.graph import compiled_step_source, render_mlp_graph
from tinygrad_mnist.training.checkpoint import load_model_file
from tinygrad_mnist.training.config import read_run_config
from tinygrad_mnist.training.model import MEAN, STD, kind_of, linear_layers
from tinygrad_mnist.training.train import evaluate, write_json

FIGURES = [
    ("samples.png", "What the network learns from: training images with their labels."),
    ("curves.png", "Loss and accuracy after each epoch. Validation close to train means "
     "little overfitting; the circle marks the epoch whose weights were kept."),
    ("confusion.png", "Rows are the true digits, columns the predictions. The red cells "
     "are the mistakes, coloured on their own scale: the darkest are the pairs the "
     "network confuses most."),
    ("correct.png", "Test images the network gets right, with its confidence."),
    ("mistakes.png", "Test images it gets wrong, the most confident mistakes first: "
     "often digits a person would hesitate over too."),
    ("weights.png", "What first-layer units respond to: each square is one unit's 784 "
     "weights drawn as an image (red positive, blue negative); the first 64 units."),
    ("activations.png", "One test image on its way through the network: the activations "
     "of each layer and the output probabilities."),
    ("filters.png", "What the CNN's first convolution looks for: each square is one of its "
     "32 filters, 3×3 weights applied at every position of the image (red positive, blue "
     "negative)."),
    ("feature_maps.png", "One test image on its way through the CNN: the 32 maps the first "
     "convolution makes of it (after ReLU), the 64 maps after the second convolution, ReLU "
     "and max-pooling, and the output probabilities."),
    ("per_class.png", "Test accuracy of each digit, on a scale from 0."),
]
# The figures only one kind of model has
ONLY = {"mlp": ("weights.png", "activations.png"), "cnn": ("filters.png", "feature_maps.png")}


def read_history(run: Path) -> list:
    path = run / "history.csv"
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: (int(v) if k == "epoch" else float(v)) for k, v in r.items()} for r in rows]


def activations_of(model, x: np.ndarray) -> list:
    """(title, activation) after each Linear+ReLU of the MLP, for one image."""
    out, h, k = [], tensor.from_numpy(x[None]), 0
    with tensor.no_grad():
        for layer in model:
            h = layer(h)
            if type(layer).__name__ == "ReLU":
                k += 1
                out.append((f"A{k} = ReLU(Z{k})", h.data[0]))
    return out


def feature_maps_of(model, x: np.ndarray) -> list:
    """(title, maps) of the CNN for one image: the first convolution's 32 maps after
    ReLU, and the 64 maps after the second convolution, ReLU and max-pooling (the
    steps of ``CNN.forward``; no dropout: eval mode)."""
    F = nn.functional
    with tensor.no_grad():
        X = ((tensor.from_numpy(x[None]) - MEAN) / STD).reshape(1, 1, 28, 28)
        A1 = F.relu(model.conv1(X))
        P = F.max_pool2d(F.relu(model.conv2(A1)), 2)
    return [("A1 = ReLU(conv1(X))", A1.data[0]), ("P = maxpool(ReLU(conv2(A1)))", P.data[0])]


def generate(run, extra: dict | None = None) -> dict:
    """Evaluate the run's best model on the test set; write metrics.json, every
    figure, graph.svg and report.html. ``extra`` (training time, options, …) is
    merged into metrics.json; a regenerated report keeps what was there."""
    run = Path(run)
    cfg = read_run_config(run)
    names = CLASS_NAMES.get(cfg.dataset)
    data = load_mnist(cfg.dataset, cfg.data_dir)
    model = load_model_file(run)
    X_test, y_test = to_float(data.x_test), data.y_test
    loss, _, pred, probs = evaluate(model, X_test, y_test)
    m = compute_metrics(y_test, pred, loss)
    old = run / "metrics.json"
    if old.is_file():
        kept = json.loads(old.read_text())
        m = {**{k: v for k, v in kept.items() if k not in m}, **m}
    m.update(extra or {})
    write_json(run / "metrics.json", m)

    history = read_history(run)
    figures.samples(data.x_train, data.y_train, run / "samples.png", names)
    if history:
        figures.curves(history, run / "curves.png")
    figures.confusion(m["confusion_matrix"], run / "confusion.png", names)
    figures.predictions(X_test, y_test, probs, run / "correct.png", True, names)
    figures.predictions(X_test, y_test, probs, run / "mistakes.png", False, names)
    kind = kind_of(model)
    if kind == "cnn":
        figures.filters(model.conv1.weight.data, run / "filters.png")
        figures.feature_maps(X_test[0], feature_maps_of(model, X_test[0]), probs[0],
                             run / "feature_maps.png", names, label=int(y_test[0]))
    else:
        figures.weights(linear_layers(model)[0].weight.data, run / "weights.png")
        figures.activations(X_test[0], activations_of(model, X_test[0]), probs[0],
                            run / "activations.png", names, label=int(y_test[0]))
    for other in ONLY["mlp" if kind == "cnn" else "cnn"]:  # left by a replaced run
        (run / other).unlink(missing_ok=True)
    figures.per_class(m["per_class_accuracy"], run / "per_class.png", names)
    graph = write_run_graph(run, model, X_test[:32], y_test[:32])
    # on a copy of the model: recording the step trains it by one step
    code = compiled_step_source(load_model_file(run), X_test[:32], y_test[:32])
    write_html(run, m, history, graph, names, code, kind)
    return m


def write_run_graph(run: Path, model, x, y) -> Path:
    """graph.svg, or graph.dot when Graphviz's dot program is missing (a graph.dot
    left by an earlier run without it is removed once the SVG is drawn)."""
    path = render_mlp_graph(model, x, y, run / "graph.svg", equations=True)
    if path is not None and path.suffix == ".svg":
        (run / "graph.dot").unlink(missing_ok=True)
    return path


def _img(path: Path) -> str:
    """The figure inline, and a link to its file beside the report: on a phone a tap
    opens it full size."""
    data = base64.b64encode(path.read_bytes()).decode()
    return (f'<a href="{html.escape(path.name)}"><img src="data:image/png;base64,{data}" '
            f'alt="{html.escape(path.stem)}"></a>')


def _option(value) -> str:
    """An option as a reader says it: none, no, yes, or the value."""
    return {None: "none", False: "no", True: "yes"}.get(value, value) if isinstance(
        value, (bool, type(None))) else str(value)


def write_html(run: Path, m: dict, history: list, graph, names, code: str = "",
               kind: str = "mlp") -> Path:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in _summary(m).items())
    options = ""
    if "config" in m:
        options = "<h2>Options</h2><table>" + "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(_option(v))}</td></tr>"
            for k, v in m["config"].items()) + "</table>"
    hist = ""
    if history:
        best = m.get("best_epoch")
        head = "".join(f"<th>{html.escape(_COLUMNS.get(k, k))}</th>" for k in history[0])
        body = "".join(
            f'<tr{" class=best" if h.get("epoch") == best else ""}>'
            + "".join(f"<td>{_cell(k, v)}</td>" for k, v in h.items()) + "</tr>"
            for h in history)
        hist = ("<h2>History</h2><p>The highlighted epoch is the one whose weights were "
                "kept (best validation accuracy).</p>"
                f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>')
    figs = "".join(f"<figure>{_img(run / f)}<figcaption>{html.escape(t)}</figcaption>"
                   "</figure>" for f, t in FIGURES if (run / f).is_file())
    graph_html = ""
    if graph is not None and Path(graph).suffix == ".svg" and Path(graph).is_file():
        graph_html = ("<h2>Computation graph</h2><p>One batch's forward pass (up) and "
                      "backward pass, each node labelled with the notebook's equation and "
                      "the measured gradient statistics. Tap or click it to open it full "
                      "size.</p>"
                      f'<div class="graph"><a href="{html.escape(Path(graph).name)}">'
                      f'{Path(graph).read_text()}</a></div>')
    elif graph is not None:
        graph_html = (f"<p>Graph source: {html.escape(Path(graph).name)} (install Graphviz "
                      "to render it)</p>")
    about = ("(batch 32, SGD) as <code>tensor.compile</code> captured it and "
             "<code>train</code> replays it: plain NumPy, the tensors named as in the "
             "notebook. Its backward is the notebook's hand-derived one "
             "(dZ3 = (A3 − Y)/m, dZ2 = dA2 ⊙ 1[Z2 &gt; 0], …), here found by "
             "autograd; in PyTorch's layout, Z = X·Wᵀ + b.") if kind == "mlp" else (
             "(batch 32, Adadelta, the official example's optimizer) as "
             "<code>tensor.compile</code> captured it and <code>train</code> replays it: "
             "plain NumPy, each convolution, pooling and dropout a call of its forward "
             "and backward.")
    code_html = ("<h2>The code autograd wrote</h2><p>One training step of this network "
                 f'{about}</p><pre class="scroll">{html.escape(code)}</pre>') if code else ""
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tinygrad-mnist run {html.escape(run.name)}</title>
<style>body{{font-family:sans-serif;margin:0 auto;padding:1em;max-width:1400px}}
table{{border-collapse:collapse;margin:0.5em 0}}td,th{{border:1px solid #ccc;
padding:3px 8px}}th{{text-align:left;background:#f5f5f5}}td{{text-align:right}}
tr.best td{{background:#fff3c4;font-weight:bold}}.scroll{{overflow-x:auto}}
figure{{margin:1.5em 0}}img{{max-width:100%;height:auto}}figcaption{{color:#444;
max-width:60em}}.graph{{overflow-x:auto}}.graph svg{{max-width:100%;height:auto}}
pre{{background:#f7f7f7;padding:0.8em;font-size:0.85em}}</style>
</head><body>
<h1>tinygrad-mnist: {html.escape(run.name)}</h1>
<h2>Results</h2><table>{rows}</table>{options}{hist}<h2>Figures</h2>{figs}{graph_html}
{code_html}
</body></html>"""
    atomic_write_bytes(run / "report.html", page.encode())
    return run / "report.html"


_COLUMNS = {"train_loss": "train loss", "train_acc": "train accuracy",
            "val_loss": "validation loss", "val_acc": "validation accuracy",
            "lr": "learning rate", "seconds": "time"}


def _cell(key: str, v) -> str:
    """A history value as a reader wants it: accuracies in %, the learning rate in
    scientific notation (one-cycle ends near 1e-7), seconds to a tenth."""
    if not isinstance(v, float):
        return html.escape(str(v))
    if key.endswith("_acc"):
        return f"{v * 100:.2f} %"
    if key == "lr":
        return f"{v:.2e}"
    if key == "seconds":
        return f"{v:.1f} s"
    return f"{v:.4f}"


def _duration(seconds: float) -> str:
    minutes, s = divmod(round(seconds), 60)
    return f"{minutes} min {s} s" if minutes else f"{seconds:.1f} s"


def _summary(m: dict) -> dict:
    out = {"test accuracy": f"{m['test_accuracy'] * 100:.2f} %",
           "test loss": f"{m['test_loss']:.4f}" if "test_loss" in m else "—"}
    if "best_epoch" in m:
        out["best epoch"] = str(m["best_epoch"])
    if "best_val_accuracy" in m:
        out["best validation accuracy"] = f"{m['best_val_accuracy'] * 100:.2f} %"
    if "training_seconds" in m:
        out["training time"] = _duration(m["training_seconds"])
    if "data_source" in m:
        out["data"] = m["data_source"]
    out["most confused (true→predicted, count)"] = ", ".join(
        f"{p['true']}→{p['predicted']} ({p['count']})" for p in m["most_confused"])
    return out
