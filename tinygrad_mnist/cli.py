"""The `tinygrad-mnist` command line: train | evaluate | predict | graph | report | bridge |
bench.

Bad input prints one line, ``tinygrad-mnist: error: …``, and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from tinygrad_mnist.cli_args import UsageError, build_parser
from tinygrad_mnist.commands import command
from tinygrad_mnist.data.datasets import DatasetError

# OSError covers a full disk, a missing folder, an unreadable file: its message names
# the file, and atomic writes leave nothing half-written.
EXPECTED = (DatasetError, ValueError, OSError, RuntimeError, KeyError)


def main(argv=None) -> int:
    argv = _negative_values(sys.argv[1:] if argv is None else list(argv))
    try:
        parser = build_parser()
        if not argv:  # as git does: the commands, one line each
            print(command_list(parser), file=sys.stderr)
            return 2
        args = parser.parse_args(argv)
        return command(args.command)(args)
    except UsageError as exc:
        print(f"tinygrad-mnist: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `… --json | head` closed the pipe: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except EXPECTED as exc:
        # one line, but all of it: a state-dict mismatch lists the shapes on later lines
        message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        print(f"tinygrad-mnist: error: {message or type(exc).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinygrad-mnist: interrupted", file=sys.stderr)
        return 130


def command_list(parser) -> str:
    """``usage`` and every command with its one-line help."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    width = max(map(len, sub.choices))
    lines = [f"usage: {parser.prog} COMMAND [options]   ({parser.prog} COMMAND --help for "
             "each)", "", "commands:"]
    lines += [f"  {c.dest:<{width}}  {c.help}" for c in sub._choices_actions]
    return "\n".join(lines)


def _negative_values(argv: list) -> list:
    """``--lr -inf``: argparse would read ``-inf`` as an unknown option (it only
    knows digits make a negative number), so join it to its option."""
    out = []
    for arg in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and \
                arg.lower().lstrip("-") in ("inf", "infinity", "nan") and arg.startswith("-"):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out
