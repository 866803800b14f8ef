"""``tinygrad-mnist train``: the options (a recipe, or a checkpoint's to resume),
the run folder claimed, training, then the outputs, in that order."""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from nn.serialization import atomic_write_bytes
from tinygrad_mnist.outputs import report
from tinygrad_mnist.training.checkpoint import MODEL, read_checkpoint, resolve
from tinygrad_mnist.training.config import DEFAULT_RECIPE, FIXED_ON_RESUME, Config, recipe_options
from tinygrad_mnist.training.runfolder import claim, holds_run
from tinygrad_mnist.training.train import Interrupted, data_source, train


def run(args) -> int:
    cfg, source_run = options(args)
    out = args.out or (source_run.parent if source_run else
                       Path("runs") / time.strftime("%Y%m%d-%H%M%S"))
    source = data_source(cfg)
    continuing = source_run is not None and out.resolve() == source_run.parent.resolve()
    if source_run is not None and not continuing and out.exists() and holds_run(out):
        raise ValueError(f"--out {out} already holds a run; choose an empty folder for the "
                         "continuation")
    with claim(out, resume=continuing, overwrite=args.overwrite):
        prepare(out, source_run, continuing, args.overwrite)
        print(f"training on {cfg.dataset} ({source}); run folder {out}; loading and "
              "splitting the images…", flush=True)
        try:
            state = train(cfg, out, args.resume, progress=not args.no_progress)
        except Interrupted as exc:
            print(str(exc), file=sys.stderr)
            return 130
        m = outputs(out, cfg, state, source)
    if m is None:
        return 130
    print(f"test accuracy {m['test_accuracy'] * 100:.2f} % (best epoch {state['best_epoch']}); "
          f"report: {out / 'report.html'}")
    return 0


def options(args) -> tuple[Config, Path | None]:
    """The run's options: a recipe with the options given on top, or, with --resume,
    the checkpoint's own (only --epochs may grow); and the checkpoint resumed."""
    if args.resume is None:
        model = args.model or "mlp"
        recipe = args.recipe or DEFAULT_RECIPE[model]
        dataset = args.dataset or "mnist"
        chosen = dict(recipe_options(recipe, dataset, model), recipe=recipe, model=model,
                      seed=42 if args.seed is None else args.seed, limit=args.limit,
                      dataset=dataset, data_dir=args.data_dir)
        chosen.update({f: getattr(args, f) for f in ("epochs", "batch_size", "lr", "optimizer",
                                                      "momentum", "weight_decay", "schedule",
                                                      "augment", "compile")
                       if getattr(args, f) is not None})
        cfg = Config(**chosen)
        cfg.validate()
        return cfg, None
    path = resolve(args.resume)
    state = read_checkpoint(path)[1]["state"]
    fixed = [f"--{f.replace('_', '-')}" for f in FIXED_ON_RESUME if getattr(args, f) is not None]
    if fixed:
        raise ValueError(f"--resume continues {path} with its own options; {', '.join(fixed)} "
                         "cannot change (only --epochs can, to train longer)")
    cfg, done = Config(**state["config"]), state["epoch"]
    if args.epochs is not None:
        if args.epochs <= done:
            raise ValueError(f"--epochs {args.epochs}: {path} has already trained {done} "
                             "epochs; give more to continue it")
        cfg.epochs = args.epochs
    elif done >= cfg.epochs:
        unreported = ("" if (path.parent / "report.html").exists() else
                      f"; its report was not written: `tinygrad-mnist report {path.parent}` "
                      "writes it")
        raise ValueError(f"{path} has finished its {cfg.epochs} epochs; pass --epochs N (more "
                         f"than {cfg.epochs}) to train longer{unreported}")
    if args.data_dir is not None:
        cfg.data_dir = args.data_dir
    cfg.validate()
    return cfg, path


def prepare(out: Path, source_run: Path | None, continuing: bool, overwrite: bool) -> None:
    """A continuation in a new folder starts from the source run's best weights and
    history; --overwrite clears the old run's files."""
    if source_run is not None and not continuing:
        for name in (MODEL, "history.csv"):
            if (source_run.parent / name).is_file():
                atomic_write_bytes(out / name, (source_run.parent / name).read_bytes())
    elif overwrite:
        for name in (MODEL, "checkpoint.safetensors", "history.csv", "metrics.json"):
            (out / name).unlink(missing_ok=True)


def outputs(out: Path, cfg: Config, state: dict, source: str) -> dict | None:
    """Test metrics, figures, graph and report.html; None after Ctrl-C (the trained
    run is kept, and the message says how to finish it)."""
    print("evaluating on the test set, drawing the figures and the graph, writing "
          "report.html…", flush=True)
    try:
        return report.generate(out, {"best_epoch": state["best_epoch"],
                                     "best_val_accuracy": state["best_val_acc"],
                                     "training_seconds": round(state["seconds"], 2),
                                     "data_source": source, "config": dataclasses.asdict(cfg)})
    except KeyboardInterrupt:
        print(f"tinygrad-mnist: interrupted while writing the report; the trained run is "
              f"saved in {out}: `tinygrad-mnist report {out}` writes the report",
              file=sys.stderr)
        return None
