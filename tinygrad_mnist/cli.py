"""The `tinygrad-mnist` command line: train | evaluate | predict | graph | report | bridge |
bench.

Bad input prints one line, ``tinygrad-mnist: error: …``, and exits with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__
from .datasets import DatasetError

# OSError covers a full disk, a missing folder, an unreadable file: its message names
# the file, and atomic writes leave nothing half-written.
EXPECTED = (DatasetError, ValueError, OSError, RuntimeError, KeyError)


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        raise UsageError(message)


def _add_data(p):
    p.add_argument("--dataset", default=None, help="mnist (default) or fashion-mnist")
    p.add_argument("--data-dir", default=None, help="folder with the four IDX files")


def build_parser() -> Parser:
    from .train import RECIPES

    parser = Parser(prog="tinygrad-mnist", description="Train, evaluate and inspect the "
                    "notebook's MNIST MLP with tinygrad-mnist's own autograd.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__} (NumPy {np.__version__})")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    t = sub.add_parser("train", help="train the MLP and write a run folder",
                       description="Train the MLP and write a run folder (default "
                       "runs/<timestamp>): weights, checkpoint, history, metrics, the "
                       "notebook's figures, the graph and report.html.")
    t.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                   help="seed (default): the notebook's SGD recipe; best: AdamW + one-cycle "
                   "+ shifts")
    t.add_argument("--epochs", type=int, help="passes over the training images (seed "
                   "recipe 20, best 30; with --resume: train a run on to this many)")
    t.add_argument("--batch-size", type=int, help="images per step (seed 32, best 128)")
    t.add_argument("--lr", type=float, help="learning rate (seed 0.01, best 3e-3)")
    t.add_argument("--optimizer", choices=["sgd", "adam", "adamw"],
                   help="seed sgd, best adamw")
    t.add_argument("--momentum", type=float, help="SGD momentum (default 0)")
    t.add_argument("--weight-decay", type=float, help="seed 0, best 1e-4")
    t.add_argument("--schedule", choices=["none", "cosine", "onecycle"],
                   help="learning-rate schedule (seed none, best onecycle)")
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
                        "(<name>-28x28.png, drawn 8× larger)")

    g = sub.add_parser("graph", help="render the MLP's computation graph with graphviz",
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
    _add_data(g)

    r = sub.add_parser("report", help="regenerate metrics, figures and report.html of a run",
                       description="Rewrite RUN/metrics.json, the figures, the graph and "
                       "RUN/report.html from the run's weights and history.")
    r.add_argument("run", type=Path, metavar="RUN")

    br = sub.add_parser("bridge", help="train alongside PyTorch from the same weights and "
                                         "compare the losses step by step",
                        description="Train this framework's MLP and the same PyTorch "
                        "Sequential from the same weights on the same batches; prints the "
                        "loss of both at about ten steps, writes nothing.")
    br.add_argument("model", type=Path, nargs="?", metavar="RUN_OR_CHECKPOINT",
                    help="start from these weights (default: a fresh MLP)")
    br.add_argument("--steps", type=int, default=100, help="SGD/Adam steps (default 100)")
    br.add_argument("--batch-size", type=int, default=32, help="default 32")
    br.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                    help="default sgd")
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
    b.add_argument("--threads", type=int, default=None,
                   help="BLAS (and PyTorch) threads; default: the machine's default")
    b.add_argument("--data-dir", default=None)
    return parser


# Options a resumed run takes from its checkpoint; giving one with --resume is refused.
RESUME_FIXED = ("recipe", "batch_size", "lr", "optimizer", "momentum", "weight_decay", "compile",
                "schedule", "augment", "seed", "limit", "dataset")


def cmd_train(args) -> int:
    from . import report
    from .checkpoint import MODEL, read_checkpoint, resolve
    from .runfolder import claim, holds_run
    from .train import RECIPES, Config, Interrupted, data_source, train

    if args.resume is not None:
        path = resolve(args.resume)
        meta = read_checkpoint(path)[1]
        fixed = [f"--{f.replace('_', '-')}" for f in RESUME_FIXED
                 if getattr(args, f) is not None]
        if fixed:
            raise ValueError(f"--resume continues {path} with its own options; "
                             f"{', '.join(fixed)} cannot change (only --epochs can, to "
                             "train longer)")
        cfg = Config(**meta["state"]["config"])
        done = meta["state"]["epoch"]
        if args.epochs is not None:
            if args.epochs <= done:
                raise ValueError(f"--epochs {args.epochs}: {path} has already trained "
                                 f"{done} epochs; give more to continue it")
            cfg.epochs = args.epochs
        elif done >= cfg.epochs:
            raise ValueError(f"{path} has finished its {cfg.epochs} epochs; pass --epochs N "
                             f"(more than {cfg.epochs}) to train longer")
        out = args.out or path.parent
    else:
        options = dict(RECIPES[args.recipe or "seed"], recipe=args.recipe or "seed",
                       seed=42 if args.seed is None else args.seed, limit=args.limit,
                       dataset=args.dataset or "mnist", data_dir=args.data_dir)
        for field in ("epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay",
                      "schedule", "augment", "compile"):
            if getattr(args, field) is not None:
                options[field] = getattr(args, field)
        cfg = Config(**options)
        out = args.out or Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    if args.data_dir is not None:
        cfg.data_dir = args.data_dir
    cfg.validate()
    source = data_source(cfg)
    continuing = args.resume is not None and out.resolve() == path.parent.resolve()
    if args.resume is not None and not continuing and out.exists() and holds_run(out):
        raise ValueError(f"--out {out} already holds a run; choose an empty folder for the "
                         "continuation")
    with claim(out, resume=continuing, overwrite=args.overwrite):
        if args.resume is not None and not continuing:
            # the continuation starts from the source run's best weights and history
            for name in (MODEL, "history.csv"):
                if (path.parent / name).is_file():
                    atomic_copy(path.parent / name, out / name)
        elif args.overwrite:
            for name in (MODEL, "checkpoint.safetensors", "history.csv", "metrics.json"):
                (out / name).unlink(missing_ok=True)
        print(f"training on {cfg.dataset} ({source}); run folder {out}; loading and "
              "splitting the images…", flush=True)
        try:
            state = train(cfg, out, args.resume, progress=not args.no_progress)
        except Interrupted as exc:
            print(str(exc), file=sys.stderr)
            return 130
        print("evaluating on the test set, drawing the figures and the graph, writing "
              "report.html…", flush=True)
        m = report.generate(out, {"best_epoch": state["best_epoch"],
                                  "best_val_accuracy": state["best_val_acc"],
                                  "training_seconds": round(state["seconds"], 2),
                                  "data_source": source, "config": dataclasses.asdict(cfg)})
    print(f"test accuracy {m['test_accuracy'] * 100:.2f} % (best epoch {state['best_epoch']}); "
          f"report: {out / 'report.html'}")
    return 0


def atomic_copy(src: Path, dst: Path) -> None:
    from nn.serialization import atomic_write_bytes

    atomic_write_bytes(dst, src.read_bytes())


def _dataset_for(model_path: Path, args) -> tuple[str, str | None]:
    folder = model_path if model_path.is_dir() else model_path.parent
    saved = folder / "config.json"
    if args.dataset is None and saved.is_file():
        try:
            cfg = json.loads(saved.read_text())
            return cfg["dataset"], args.data_dir or cfg.get("data_dir")
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{saved}: no dataset named in it; pass --dataset") from None
    return args.dataset or "mnist", args.data_dir


def cmd_evaluate(args) -> int:
    from .checkpoint import load_model_file
    from .datasets import CLASS_NAMES, load_mnist, to_float
    from .evaluation import format_metrics, metrics
    from .train import evaluate

    model = load_model_file(args.model)
    name, data_dir = _dataset_for(args.model, args)
    data = load_mnist(name, data_dir)
    loss, _, pred, _ = evaluate(model, to_float(data.x_test), data.y_test)
    m = metrics(data.y_test, pred, loss)
    print(json.dumps(m, indent=2) if args.json else format_metrics(m, CLASS_NAMES.get(name)))
    return 0


def cmd_predict(args) -> int:
    from .checkpoint import load_model_file
    from .predict import predict

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


def cmd_graph(args) -> int:
    from .graph import graph_command, step_source

    if args.code:
        print(step_source(args), end="")
        return 0
    path = graph_command(args)
    print(f"wrote {path}")
    return 0


def cmd_report(args) -> int:
    from . import report

    m = report.generate(args.run)
    print(f"test accuracy {m['test_accuracy'] * 100:.2f} %; report: {args.run / 'report.html'}")
    return 0


def cmd_bridge(args) -> int:
    from .bridge import format_parity, parity
    from .checkpoint import load_model_file
    from .datasets import load_mnist

    try:
        import torch  # noqa: F401
    except ImportError:
        raise RuntimeError("bridge needs PyTorch: pip install torch") from None
    model = load_model_file(args.model) if args.model else None
    data = load_mnist(args.dataset or "mnist", args.data_dir)
    x = data.x_train.reshape(len(data.x_train), -1).astype("float32") / 255
    r = parity(x, data.y_train, args.steps, args.batch_size, args.optimizer, args.lr,
               model=model)
    print(json.dumps(r, indent=2) if args.json else format_parity(r))
    return 0


def cmd_bench(args) -> int:
    from .bench import bench_command

    return bench_command(args)


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
            "graph": cmd_graph, "report": cmd_report, "bridge": cmd_bridge, "bench": cmd_bench}


def main(argv=None) -> int:
    argv = _negative_values(sys.argv[1:] if argv is None else list(argv))
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
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
