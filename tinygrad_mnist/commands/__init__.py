"""The subcommands, one module each: ``train``, ``evaluate``, ``predict``, ``graph``,
``report``, ``bridge``, ``bench``. Each has ``run(args) -> exit status``; the
argparse options are ``cli_args.py``'s, the error handling ``cli.py``'s."""

from __future__ import annotations

import importlib

NAMES = ("train", "evaluate", "predict", "graph", "report", "bridge", "bench")


def command(name: str):
    """The subcommand's ``run``, its module imported only when it runs: the others
    bring matplotlib, scikit-learn or PyTorch, and ``--help`` should not wait."""
    return importlib.import_module(f"{__name__}.{name}").run
