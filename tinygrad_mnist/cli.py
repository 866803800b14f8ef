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

from .cli_args import UsageError, build_parser
from .config import dataset_for
from .datasets import DatasetError

# OSError covers a full disk, a missing folder, an unreadable file: its message names
# the file, and atomic writes leave nothing half-written.
EXPECTED = (DatasetError, ValueError, OSError, RuntimeError, KeyError)


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
            unreported = ("" if (path.parent / "report.html").exists() else
                          f"; its report was not written: `tinygrad-mnist report "
                          f"{path.parent}` writes it")
            raise ValueError(f"{path} has finished its {cfg.epochs} epochs; pass --epochs N "
                             f"(more than {cfg.epochs}) to train longer{unreported}")
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
        try:
            m = report.generate(out, {"best_epoch": state["best_epoch"],
                                      "best_val_accuracy": state["best_val_acc"],
                                      "training_seconds": round(state["seconds"], 2),
                                      "data_source": source, "config": dataclasses.asdict(cfg)})
        except KeyboardInterrupt:
            print(f"tinygrad-mnist: interrupted while writing the report; the trained run is "
                  f"saved in {out}: `tinygrad-mnist report {out}` writes the report",
                  file=sys.stderr)
            return 130
    print(f"test accuracy {m['test_accuracy'] * 100:.2f} % (best epoch {state['best_epoch']}); "
          f"report: {out / 'report.html'}")
    return 0


def atomic_copy(src: Path, dst: Path) -> None:
    from nn.serialization import atomic_write_bytes

    atomic_write_bytes(dst, src.read_bytes())


def cmd_evaluate(args) -> int:
    from .checkpoint import load_model_file
    from .datasets import CLASS_NAMES, load_mnist, to_float
    from .evaluation import format_metrics, metrics
    from .train import evaluate

    model = load_model_file(args.model)
    name, data_dir = dataset_for(args.model, args.dataset, args.data_dir)
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
        parser = build_parser()
        if not argv:  # as git does: the commands, one line each
            print(command_list(parser), file=sys.stderr)
            return 2
        args = parser.parse_args(argv)
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
