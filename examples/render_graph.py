# ---
# jupyter:
#   jupytext:
#     cell_markers: '"""'
# ---

# %% [markdown]
"""Draw the MLP's computation graph for one batch, labelled with the notebook's
equations (Z1 = X·W1ᵀ + b1, dZ3 = (A3 − Y)/m, …) and the measured gradients.

Run: python examples/render_graph.py [--out graph.svg] [--batch N]
Without Graphviz's `dot` program it writes the .dot source instead.
"""

# %% Imports
import argparse
from pathlib import Path

from tinygrad_mnist.data.datasets import load_mnist, to_float
from tinygrad_mnist.example_args import example_args
from tinygrad_mnist.outputs.graph import render_mlp_graph
from tinygrad_mnist.training.model import mlp

# %% Options
parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
parser.add_argument("--out", default="graph.svg", help=".svg, .png, .pdf or .dot")
parser.add_argument("--batch", type=int, default=32)
args = example_args(parser)

# %% One batch forward and backward, drawn
data = load_mnist()
x, y = to_float(data.x_test[: args.batch]), data.y_test[: args.batch]
path = render_mlp_graph(mlp(seed=42), x, y, args.out, equations=True)
print(f"wrote {Path(path).resolve()}")
path  # noqa: B018  (a notebook shows a cell's last value: here the graph, inline)
