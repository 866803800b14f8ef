"""``tinygrad-mnist predict``: the digit in each of your own images."""

from __future__ import annotations

import json
import sys

from tinygrad_mnist.outputs.predict import predict
from tinygrad_mnist.training.checkpoint import load_model_file


def run(args) -> int:
    results = predict(load_model_file(args.model), args.images, show=args.show)
    if args.json:
        print(json.dumps(results, indent=2))
    for r in results if not args.json else ():
        if "error" in r:
            print(f"tinygrad-mnist: error: {r['error']}", file=sys.stderr)
            continue
        top = "  ".join(f"{k}: {v * 100:.1f}%" for k, v in r["probabilities"].items())
        seen = f"   [the model saw {r['seen']}]" if "seen" in r else ""
        print(f"{r['file']}: {r['prediction']}   ({top}){seen}")
    return 2 if any("error" in r for r in results) else 0
