"""Examples that run both as scripts and as notebooks (jupytext's ``# %%`` cells)."""

from __future__ import annotations

import os
import shlex
import sys


def example_args(parser):
    """The options of an example: from the command line, or in a notebook, where
    ``sys.argv`` holds the kernel's own arguments, from ``$EXAMPLE_ARGS`` (the
    defaults when it is unset). A script whose data cannot be found stops with one
    line saying how to get it, not a traceback."""
    if "ipykernel" in sys.modules:
        return parser.parse_args(shlex.split(os.environ.get("EXAMPLE_ARGS", "")))
    sys.excepthook = _one_line_data_errors(sys.excepthook, parser.prog)
    return parser.parse_args()


def _one_line_data_errors(previous, prog: str):
    from tinygrad_mnist.data.datasets import DatasetError

    def hook(kind, value, traceback):
        if issubclass(kind, DatasetError):
            print(f"{prog}: error: {value}", file=sys.stderr)
        else:
            previous(kind, value, traceback)
    return hook
