"""Examples that run both as scripts and as notebooks (jupytext's ``# %%`` cells)."""

from __future__ import annotations

import os
import shlex
import sys


def example_args(parser):
    """The options of an example: from the command line, or in a notebook, where
    ``sys.argv`` holds the kernel's own arguments, from ``$EXAMPLE_ARGS`` (the
    defaults when it is unset)."""
    if "ipykernel" in sys.modules:
        return parser.parse_args(shlex.split(os.environ.get("EXAMPLE_ARGS", "")))
    return parser.parse_args()
