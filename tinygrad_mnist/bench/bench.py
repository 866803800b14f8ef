"""`tinygrad-mnist bench`: seconds per training epoch, side by side in one process.

Implementations, all on the same data in the same batch order: this framework
(the ordinary PyTorch-style loop), the notebook's hand-derived NumPy network in
float32 and float64, and PyTorch on the CPU when it is installed. After a warm-up,
every repeat is one epoch per implementation, timed in slices that are
interleaved (A₁ B₁ C₁ D₁, B₂ C₂ D₂ A₂, …): the machine's drift, which on these
shared machines is larger than the differences measured, hits all of them alike.
Medians over repeats are reported, with each repeat's own ratio to the notebook.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

import tensor
from tinygrad_mnist.bench.bench_data_cnn import cnn_times, dataloader_times, format_rows
from tinygrad_mnist.bench.bench_random import format_random, random_times
from tinygrad_mnist.bench.runners import COMPILED, OURS, blas_info, make_runners
from tinygrad_mnist.data.datasets import load_mnist, to_float, train_val_split
from tinygrad_mnist.training.model import mlp
from tinygrad_mnist.training.reference import ReferenceMLP

SLICES = 5  # interleaved slices per epoch
# Seconds of rest before and after PyTorch's slices: its OpenMP/BLAS threads (and
# NumPy's) spin for a while after returning, and would slow whoever runs next.
PAUSE = 0.3


def epoch_slices(n: int, bs: int, parts: int) -> list:
    """(start, stop) of ``parts`` consecutive slices of an epoch of ``n`` images,
    cut at batch boundaries, so the batches are exactly those of the whole epoch."""
    batches = -(-n // bs)
    cuts = [round(i * batches / parts) * bs for i in range(parts)] + [n]
    return [(a, min(b, n)) for a, b in zip(cuts, cuts[1:]) if a < b]


def inference_times(X, repeats: int) -> dict:
    """Seconds for one forward pass over X (softmax probabilities): this framework vs
    the reference, alternating which goes first."""
    model = mlp(seed=0)
    ref = ReferenceMLP.from_model(model)

    def ours():
        with tensor.no_grad():
            model(tensor.from_numpy(X)).softmax(1)

    runs = {"ours": ours, "reference": lambda: ref.forward(X)}
    times = {k: [] for k in runs}
    for r in range(repeats):
        for name in (("ours", "reference") if r % 2 == 0 else ("reference", "ours")):
            t = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def time_epochs(runners: dict, y, bs: int, repeats: int, rng) -> dict:
    """name → seconds of each repeat's epoch, whose slices are interleaved across
    the implementations."""
    names = list(runners)
    times = {name: [] for name in names}
    n = len(y)
    for r in range(repeats):
        order = rng.permutation(n)
        spent = dict.fromkeys(names, 0.0)
        for k, (a, b) in enumerate(epoch_slices(n, bs, SLICES)):
            # rotate who goes first, so none always runs right after the same one
            turn = (r + k) % len(names)
            for name in names[turn:] + names[:turn]:
                state, fn, data_x = runners[name]
                time.sleep(PAUSE if name.startswith("PyTorch") else PAUSE / 10)
                t = time.perf_counter()
                fn(state, data_x, y, order[a:b], bs)
                spent[name] += time.perf_counter() - t
                if name.startswith("PyTorch"):
                    time.sleep(PAUSE)
        for name in names:
            times[name].append(spent[name])
    return times


def run(batch_sizes=(32, 256), repeats: int = 5, subset: int | None = None,
        data_dir=None, with_torch: bool = True) -> dict:
    data = load_mnist("mnist", data_dir)
    x_tr, y_tr, _, _ = train_val_split(data.x_train, data.y_train)
    X, y = to_float(x_tr), y_tr
    if subset:
        X, y = X[:subset], y[:subset]
    X64 = X.astype(np.float64)
    runners, torch_version = make_runners(X, y, X64, with_torch)
    results = {"images": len(X), "repeats": repeats, "blas": blas_info(),
               "torch": torch_version, "numpy": np.__version__, "tables": {}}
    rng = np.random.default_rng(0)
    for bs in batch_sizes:
        warm = rng.permutation(len(X))[: min(len(X), 50 * bs)]
        for state, fn, data_x in runners.values():
            fn(state, data_x, y, warm, bs)
        times = time_epochs(runners, y, bs, repeats, rng)
        ref, ours = times["hand-derived NumPy float32"], times[OURS]
        compiled = times[COMPILED]
        results["tables"][bs] = [
            {"implementation": name, "median_s": statistics.median(v), "min_s": min(v),
             "max_s": max(v), "images_per_s": len(X) / statistics.median(v),
             "ratio_to_numpy_f32": statistics.median(v) / statistics.median(ref),
             # each repeat's own ratio: runs of one repeat are close in time, so the
             # machine's drift between repeats cancels out
             "paired_ratio_to_numpy_f32": statistics.median(a / b for a, b in zip(v, ref)),
             "paired_ratio_to_ours": statistics.median(a / b for a, b in zip(v, ours)),
             "paired_ratio_to_compiled": statistics.median(a / b for a, b in zip(v, compiled))}
            for name, v in times.items()]
    X_test = to_float(data.x_test)
    # one pass takes ~20 ms, so more repeats cost little and steady the median
    results["inference_10k_s"] = inference_times(X_test, 5 * repeats)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def training_memory(epochs: int = 2) -> dict:
    """Peak RSS of a separate process that only trains with this framework, and
    its RSS after each epoch (it must not grow)."""
    # VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec
    code = (
        "import json\n"
        "from tinygrad_mnist.training.train import Config, train\n"
        "from pathlib import Path\nimport tempfile\n"
        "rss=[]\n"
        "def log(*a):\n"
        "    s=open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "    rss.append(int(s)/1024)\n"
        "with tempfile.TemporaryDirectory() as d:\n"
        f"    train(Config(epochs={epochs}), Path(d), log=log, progress=False)\n"
        "print(json.dumps(rss))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    rss = json.loads(out.stdout.strip().splitlines()[-1])
    return {"peak_rss_mb_per_epoch": rss, "peak_rss_mb": max(rss)}


def format_results(r: dict) -> str:
    def count(n, noun):
        return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

    def blas(b):
        threads = count(b["num_threads"], "thread")
        return f"{b['package']}'s {b['internal_api']} {b['version']} ({threads})"

    lines = [f"{r['images']} images per epoch, {count(r['repeats'], 'interleaved repeat')}, "
             f"medians; numpy {r['numpy']}; BLAS: " + ", ".join(map(blas, r["blas"]))]
    if r["torch"] is None:
        lines.append("PyTorch is not installed (pip install torch) or --no-torch: no row for it")
    for bs, rows in r["tables"].items():
        lines.append(f"\nbatch {bs}")
        lines.append(f"{'implementation':<30}{'s/epoch':>9}{'min–max':>17}{'images/s':>11}"
                     f"{'× NumPy f32':>13}{'paired ×':>10}")
        for row in rows:
            span = f"{row['min_s']:.3f}–{row['max_s']:.3f}"
            lines.append(f"{row['implementation']:<30}{row['median_s']:>9.3f}{span:>17}"
                         f"{row['images_per_s']:>11.0f}{row['ratio_to_numpy_f32']:>13.2f}"
                         f"{row['paired_ratio_to_numpy_f32']:>10.2f}")
        torch_rows = [row for row in rows if row["implementation"].startswith("PyTorch")]
        if torch_rows:
            lines.append(f"PyTorch takes {torch_rows[0]['paired_ratio_to_ours']:.2f}× as long as "
                         "this framework eager, "
                         f"{torch_rows[0]['paired_ratio_to_compiled']:.2f}× as long as compiled "
                         "(paired)")
    inf = r["inference_10k_s"]
    lines.append(f"\ninference, 10,000 test images: tinygrad-mnist {inf['ours'] * 1000:.1f} ms, "
                 f"hand-derived NumPy {inf['reference'] * 1000:.1f} ms")
    if "dataloader" in r:
        lines += format_rows("DataLoader, one shuffled epoch", r["dataloader"],
                             "to the NumPy row above it")
    if "random" in r:
        lines += format_random(r["random"])
    if "cnn" in r:
        lines += format_rows("The official example's CNN, one training epoch", r["cnn"],
                             f"to {r['cnn']['base']}")
    lines.append(f"peak RSS of this process: {r['peak_rss_mb']:.0f} MB")
    if "training_memory" in r:
        m = r["training_memory"]
        lines.append("training alone (separate process), peak RSS after each epoch: "
                     + ", ".join(f"{v:.0f} MB" for v in m["peak_rss_mb_per_epoch"]))
    return "\n".join(lines)


def bench_command(args) -> int:
    if args.repeats < 1 or any(b < 1 for b in args.batch_size):
        raise ValueError("--repeats and --batch-size must be at least 1")
    if args.subset is not None and args.subset < 1:
        raise ValueError(f"--subset must be at least 1, got {args.subset}")
    if args.cnn is not None and args.cnn < 1:
        raise ValueError(f"--cnn must be at least 1 image, got {args.cnn}")
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"--threads must be at least 1, got {args.threads}")
    from threadpoolctl import threadpool_limits

    # None keeps the machine's default; PyTorch is given the same count as NumPy's BLAS
    with threadpool_limits(args.threads, user_api="blas"):
        if getattr(args, "cnn_only", False):
            return _cnn_only(args)
        if getattr(args, "random_only", False):
            return _random_only(args)
        r = run(args.batch_size, args.repeats, args.subset, args.data_dir, not args.no_torch)
        data = load_mnist("mnist", args.data_dir)
        x, y = data.x_train[:args.subset], data.y_train[:args.subset]
        r["dataloader"] = dataloader_times(x, y, args.repeats)
        r["random"] = random_times(max(args.repeats, 3))
        if args.cnn:
            r["cnn"] = cnn_times(x[:args.cnn], y[:args.cnn], args.repeats, not args.no_torch)
    if not args.no_memory:
        r["training_memory"] = training_memory()
    print(json.dumps(r, indent=2) if args.json else format_results(r))
    return 0


def _cnn_only(args) -> int:
    """``bench --cnn-only``: the CNN's rows alone (inside the caller's thread limit)."""
    data = load_mnist("mnist", args.data_dir)
    n = args.cnn or len(data.x_train)
    r = {"blas": blas_info(), "numpy": np.__version__,
         "cnn": cnn_times(data.x_train[:n], data.y_train[:n], args.repeats, not args.no_torch,
                          compiled=not getattr(args, "no_compile", False))}
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        blas = ", ".join(f"{b['package']}'s {b['internal_api']} ({b['num_threads']} threads)"
                         for b in r["blas"])
        print("\n".join([f"numpy {r['numpy']}; BLAS: {blas}; {args.repeats} interleaved "
                         "repeats, medians"] + format_rows(
            "The official example's CNN, one training epoch", r["cnn"],
            f"to {r['cnn']['base']}")))
    return 0


def _random_only(args) -> int:
    """``bench --random-only``: the random-number rows alone."""
    r = random_times(max(args.repeats, 3))
    print(json.dumps(r, indent=2) if args.json else "\n".join(format_random(r)).lstrip())
    return 0
