"""The command line's options: ``tinygrad-mnist --help`` and each command's."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_mnist import __version__


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        raise UsageError(message)


def _add_data(p):
    p.add_argument("--dataset", default=None, help="mnist (default) or fashion-mnist")
    p.add_argument("--data-dir", default=None, help="folder with the four IDX files")


def _add_kind(p):
    p.add_argument("--model", dest="model_kind", choices=["mlp", "cnn"], default=None,
                   help="without RUN_OR_CHECKPOINT: a fresh mlp (default) or cnn")


def build_parser() -> Parser:
    from tinygrad_mnist.training.train import RECIPES

    parser = Parser(prog="tinygrad-mnist", description="Train, evaluate and inspect the "
                    "notebook's MNIST MLP (or PyTorch's official MNIST CNN) with tinygrad-mnist's "
                    "own autograd.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__} (NumPy {np.__version__})")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    t = sub.add_parser("train", help="train the MLP (or the CNN) and write a run folder",
                       description="Train the MLP (or, --model cnn, the CNN) and write a "
                       "run folder (default "
                       "runs/<timestamp>): weights, checkpoint, history, metrics, the "
                       "notebook's figures, the graph and report.html.")
    t.add_argument("--model", choices=["mlp", "cnn"], default=None,
                   help="mlp (default): the notebook's 784-128-64-10 network; cnn: PyTorch's "
                   "official MNIST example's convnet")
    t.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                   help="seed (the MLP's default): the notebook's SGD recipe; best: AdamW + "
                   "one-cycle + shifts; official (the CNN's default): the official example's "
                   "Adadelta + StepLR")
    t.add_argument("--epochs", type=int, help="passes over the training images (seed "
                   "recipe 20, best 30 (8 for the CNN), official 3; with --resume: train a "
                   "run on to this many)")
    t.add_argument("--batch-size", type=int,
                   help="images per step (seed 32, best 128, official 64)")
    t.add_argument("--lr", type=float, help="learning rate (seed 0.01, best 3e-3, official 1.0)")
    t.add_argument("--optimizer", choices=["sgd", "adam", "adamw", "adadelta"],
                   help="seed sgd, best adamw, official adadelta")
    t.add_argument("--momentum", type=float, help="SGD momentum (default 0)")
    t.add_argument("--weight-decay", type=float, help="seed 0, best 1e-4")
    t.add_argument("--schedule", choices=["none", "cosine", "onecycle", "step"],
                   help="learning-rate schedule (seed none, best onecycle, official step: "
                   "×0.7 after each epoch)")
    t.add_argument("--augment", action="store_true", default=None,
                   help="random shifts of up to 2 pixels")
    t.add_argument("--seed", type=int, default=None, help="default 42")
    t.add_argument("--limit", type=int, help="train on the first N training images")
    t.add_argument("--out", type=Path, help="run folder (default runs/<timestamp>)")
    t.add_argument("--resume", type=Path, help="checkpoint or run folder to continue")
    t.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (otherwise refused)")
    t.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    t.add_argument("--no-compile", dest="compile", action="store_false", default=None,
                   help="run every step eagerly instead of replaying the captured step")
    _add_data(t)

    e = sub.add_parser("evaluate", help="test accuracy, per-class accuracy, confusions",
                       description="Evaluate a run's (or a checkpoint's) weights on the 10,000 "
                       "test images; prints the results, writes nothing.")
    e.add_argument("model", type=Path, metavar="RUN_OR_CHECKPOINT")
    e.add_argument("--json", action="store_true", help="print the metrics as JSON")
    _add_data(e)

    p = sub.add_parser("predict", help="predict the digit in your own images",
                       description="Convert each image as MNIST was made and print the "
                       "predicted digit with the top probabilities; writes nothing unless "
                       "--show DIR.")
    p.add_argument("model", type=Path, metavar="RUN_OR_CHECKPOINT")
    p.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    p.add_argument("--json", action="store_true", help="print the predictions as JSON")
    p.add_argument("--show", type=Path, metavar="DIR",
                   help="write the 28×28 image the model sees for each file into DIR "
                        "(<name>-28x28-x8.png: the 28×28 input, enlarged 8×)")

    g = sub.add_parser("graph", help="render the network's computation graph with graphviz",
                       description="Draw one batch's forward and backward graph into --out "
                       "(graph.svg by default; the .dot source without Graphviz), or with "
                       "--code print the code tensor.compile writes for a training step.")
    g.add_argument("model", type=Path, nargs="?", metavar="RUN_OR_CHECKPOINT")
    g.add_argument("--out", type=Path, default=Path("graph.svg"),
                   help="the drawing: .svg, .png, .pdf or .dot (default graph.svg)")
    g.add_argument("--equations", action="store_true", help="label with the notebook's maths")
    g.add_argument("--code", action="store_true",
                   help="print the code tensor.compile writes for a training step instead")
    g.add_argument("--batch", type=int, default=32, help="test images in the batch (default 32)")
    _add_kind(g)
    _add_data(g)

    r = sub.add_parser("report", help="regenerate metrics, figures and report.html of a run",
                       description="Rewrite RUN/metrics.json, the figures, the graph and "
                       "RUN/report.html from the run's weights and history.")
    r.add_argument("run", type=Path, metavar="RUN")

    br = sub.add_parser("bridge", help="train alongside PyTorch from the same weights and "
                                         "compare the losses step by step",
                        description="Train this framework's MLP (or CNN) and the same PyTorch "
                        "Sequential from the same weights on the same batches; prints the "
                        "loss of both at about ten steps, writes nothing.")
    br.add_argument("model", type=Path, nargs="?", metavar="RUN_OR_CHECKPOINT",
                    help="start from these weights (default: a fresh network, --model)")
    br.add_argument("--steps", type=int, default=100, help="SGD/Adam steps (default 100)")
    br.add_argument("--batch-size", type=int, default=32, help="default 32")
    br.add_argument("--optimizer", choices=["sgd", "adam", "adadelta"], default="sgd",
                    help="default sgd")
    _add_kind(br)
    br.add_argument("--lr", type=float, default=0.01, help="default 0.01")
    br.add_argument("--json", action="store_true", help="print the figures as JSON")
    _add_data(br)

    b = sub.add_parser("bench", help="seconds per epoch: this framework, NumPy, PyTorch",
                       description="Time training epochs of this framework (eager and "
                       "compiled), the notebook's NumPy loop and PyTorch side by side in one "
                       "process; prints a table (or --json), writes nothing.")
    b.add_argument("--batch-size", type=int, nargs="+", default=[32, 256],
                   help="batch sizes to time (default 32 256)")
    b.add_argument("--repeats", type=int, default=5,
                   help="interleaved epochs per implementation (default 5)")
    b.add_argument("--subset", type=int, default=None, help="images per epoch (default 50000)")
    b.add_argument("--json", action="store_true", help="print the figures as JSON")
    b.add_argument("--no-memory", action="store_true", help="skip the peak-memory run")
    b.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    b.add_argument("--cnn", type=int, nargs="?", const=60000, default=None, metavar="IMAGES",
                   help="also time the official example's CNN for an epoch of IMAGES "
                        "(default 60000; minutes per repeat)")
    b.add_argument("--cnn-only", action="store_true",
                   help="time only the CNN (default 60000 images; --cnn IMAGES for fewer)")
    b.add_argument("--no-compile", action="store_true",
                   help="with --cnn-only: no compiled row (compile keeps freed memory for reuse, "
                        "which speeds every row timed after it)")
    b.add_argument("--random-only", action="store_true",
                   help="time only the random-number rows (PyTorch's stream against "
                        "NumPy's own generator)")
    b.add_argument("--threads", type=int, default=None,
                   help="BLAS (and PyTorch) threads; default: the machine's default")
    b.add_argument("--data-dir", default=None)
    return parser
