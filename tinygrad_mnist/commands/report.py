"""``tinygrad-mnist report``: a run's metrics, figures and report.html, again."""

from __future__ import annotations

from tinygrad_mnist.outputs import report


def run(args) -> int:
    m = report.generate(args.run)
    print(f"test accuracy {m['test_accuracy'] * 100:.2f} %; report: {args.run / 'report.html'}")
    return 0
