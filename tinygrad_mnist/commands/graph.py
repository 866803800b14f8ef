"""``tinygrad-mnist graph``: the computation graph drawn, or (``--code``) the code
tensor.compile writes for a training step."""

from __future__ import annotations

from tinygrad_mnist.outputs.graph import graph_command, step_source


def run(args) -> int:
    if args.code:
        print(step_source(args), end="")
        return 0
    print(f"wrote {graph_command(args)}")
    return 0
