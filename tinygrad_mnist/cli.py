"""The `tinygrad-mnist` command line."""

import sys


def main(argv=None) -> int:
    print("tinygrad-mnist: no commands yet", file=sys.stderr)
    return 2
