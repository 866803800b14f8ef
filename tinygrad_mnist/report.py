"""A run folder's test metrics, figures and self-contained ``report.html``."""

from __future__ import annotations

import base64
import csv
import html
import json
from pathlib import Path

import numpy as np

import tensor
from nn.serialization import atomic_write_bytes

from . import figures
from .checkpoint import load_model_file
from .datasets import CLASS_NAMES, load_mnist, to_float
from .evaluation import metrics as compute_metrics
from .graph import render_mlp_graph
from .model import linear_layers
from .train import Config, evaluate, write_json

FIGURES = [
    ("samples.png", "Sample images"),
    ("curves.png", "Loss and accuracy"),
    ("confusion.png", "Confusion matrix"),
    ("correct.png", "Correct predictions with confidence"),
    ("mistakes.png", "Mistakes with confidence"),
    ("weights.png", "First-layer weights"),
    ("activations.png", "One image's activations"),
    ("per_class.png", "Per-class accuracy"),
]


def read_config(run: Path) -> Config:
    path = run / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run} is not a run folder (no config.json)")
    return Config(**json.loads(path.read_text()))


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


def generate(run, extra: dict | None = None) -> dict:
    """Evaluate the run's best model on the test set; write metrics.json, every
    figure, graph.svg and report.html. ``extra`` (training time, options, …) is
    merged into metrics.json; a regenerated report keeps what was there."""
    run = Path(run)
    cfg = read_config(run)
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
    figures.weights(linear_layers(model)[0].weight.data, run / "weights.png")
    figures.activations(X_test[0], activations_of(model, X_test[0]), probs[0],
                        run / "activations.png", names)
    figures.per_class(m["per_class_accuracy"], run / "per_class.png", names)
    graph = write_run_graph(run, model, X_test[:32], y_test[:32])
    write_html(run, m, history, graph, names)
    return m


def write_run_graph(run: Path, model, x, y) -> Path:
    """graph.svg, or graph.dot when Graphviz's dot program is missing (a graph.dot
    left by an earlier run without it is removed once the SVG is drawn)."""
    path = render_mlp_graph(model, x, y, run / "graph.svg", equations=True)
    if path is not None and path.suffix == ".svg":
        (run / "graph.dot").unlink(missing_ok=True)
    return path


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}">'


def write_html(run: Path, m: dict, history: list, graph, names) -> Path:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in _summary(m).items())
    hist = ""
    if history:
        head = "".join(f"<th>{k}</th>" for k in history[0])
        body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in h.values()) + "</tr>"
                       for h in history)
        hist = f"<h2>History</h2><table><tr>{head}</tr>{body}</table>"
    figs = "".join(f"<figure>{_img(run / f)}<figcaption>{t}</figcaption></figure>"
                   for f, t in FIGURES if (run / f).is_file())
    graph_html = ""
    if graph is not None and Path(graph).suffix == ".svg" and Path(graph).is_file():
        graph_html = ("<h2>Computation graph (one batch, with the notebook's equations)</h2>"
                      f'<div class="graph">{Path(graph).read_text()}</div>')
    elif graph is not None:
        graph_html = (f"<p>Graph source: {html.escape(Path(graph).name)} (install Graphviz "
                      "to render it)</p>")
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>tinygrad-mnist run {html.escape(run.name)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;
text-align:right}}figure{{display:inline-block;margin:1em}}img{{max-width:100%}}
.graph svg{{max-width:100%;height:auto}}</style></head><body>
<h1>tinygrad-mnist: {html.escape(run.name)}</h1>
<h2>Metrics</h2><table>{rows}</table>{hist}<h2>Figures</h2>{figs}{graph_html}
</body></html>"""
    atomic_write_bytes(run / "report.html", page.encode())
    return run / "report.html"


def _fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def _summary(m: dict) -> dict:
    out = {"test accuracy": f"{m['test_accuracy'] * 100:.2f} %",
           "test loss": _fmt(m.get("test_loss"))}
    for key in ("best_epoch", "training_seconds", "data_source"):
        if key in m:
            out[key.replace("_", " ")] = _fmt(m[key])
    out["most confused"] = ", ".join(f"{p['true']}→{p['predicted']} ({p['count']})"
                                     for p in m["most_confused"])
    if "config" in m:
        out["options"] = ", ".join(f"{k}={v}" for k, v in m["config"].items())
    return out
