"""The application end to end: a real (short) training run on the bundled MNIST,
resume, determinism, the run folder, evaluate, predict, and the CLI's errors."""

import gzip
import html
import json
import os
import re
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tinygrad_mnist import cli
from tinygrad_mnist.data.datasets import load_mnist
from tinygrad_mnist.training.train import Config, Interrupted, train

# Without Graphviz's dot the run folder holds the graph's source, graph.dot, instead
HAS_DOT = shutil.which("dot") is not None
RUN_FILES = ["model.safetensors", "checkpoint.safetensors", "history.csv", "metrics.json",
             "config.json", "samples.png", "curves.png", "confusion.png", "correct.png",
             "mistakes.png", "weights.png", "activations.png", "per_class.png",
             "graph.svg" if HAS_DOT else "graph.dot", "report.html"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = cli.main(["train", "--limit", "10000", "--epochs", "2", "--lr", "0.05",
                     "--out", str(out), "--no-progress"])
    assert code == 0
    return out


def test_short_real_training_run_learns(run):
    metrics = json.loads((run / "metrics.json").read_text())
    # 2 epochs on 10k images; chance is 0.1 (89.9 % from seed 42's weights, which are
    # PyTorch's since the generator is torch's; 90.x % from the NumPy stream before)
    assert metrics["test_accuracy"] > 0.88
    assert metrics["config"]["lr"] == 0.05 and metrics["config"]["batch_size"] == 32
    assert len(metrics["confusion_matrix"]) == 10
    assert sum(map(sum, metrics["confusion_matrix"])) == 10000
    assert set(metrics["per_class_accuracy"]) == {str(i) for i in range(10)}
    assert metrics["training_seconds"] > 0


def test_run_folder_has_every_file(run):
    for name in RUN_FILES:
        assert (run / name).is_file(), name
    page = (run / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 8
    graph = page if HAS_DOT else (run / "graph.dot").read_text()
    assert "<svg" in page or not HAS_DOT
    assert "Z1 = X·W1ᵀ + b1" in graph  # the graph, with the notebook's equations
    history = (run / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,train_loss,train_acc,val_loss,val_acc") and \
        len(history) == 3


def test_report_command_regenerates(run, capsys):
    (run / "confusion.png").unlink()
    assert cli.main(["report", str(run)]) == 0
    assert (run / "confusion.png").is_file()
    assert "test accuracy" in capsys.readouterr().out


def test_evaluate_command(run, capsys):
    assert cli.main(["evaluate", str(run)]) == 0
    out = capsys.readouterr().out
    assert "test accuracy:" in out and "most confused" in out and "confusion matrix" in out
    assert cli.main(["evaluate", str(run / "model.safetensors"), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    saved = json.loads((run / "metrics.json").read_text())
    assert m["test_accuracy"] == saved["test_accuracy"]


def digit_png(path, image28, size=120, dark_on_light=True):
    img = Image.fromarray(image28).resize((size, size), Image.BILINEAR)
    arr = np.asarray(img)
    if dark_on_light:
        arr = 255 - arr
    canvas = np.full((size + 40, size + 20), 255 if dark_on_light else 0, np.uint8)
    canvas[30:30 + size, 5:5 + size] = arr  # off-centre, on a larger page
    Image.fromarray(canvas).save(path)
    return path


def test_predict_own_images(run, tmp_path, capsys):
    data = load_mnist()
    picks = [i for i in range(200) if data.y_test[i] in (0, 1, 3, 7)][:8]
    paths = [digit_png(tmp_path / f"d{i}.png", data.x_test[i], dark_on_light=bool(i % 2))
             for i in picks]
    assert cli.main(["predict", str(run), *map(str, paths), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    # a digit comes back as a number
    hits = sum(r["prediction"] == int(data.y_test[i]) for r, i in zip(results, picks))
    assert hits >= 6, results
    assert cli.main(["predict", str(run), str(paths[0])]) == 0
    assert f"{paths[0]}: " in capsys.readouterr().out
    # --show: the 28×28 picture the model saw, which matches what it was given
    from tinygrad_mnist.outputs.predict import load_digit

    assert cli.main(["predict", str(run), str(paths[0]), "--show", str(tmp_path / "seen")]) == 0
    assert "the model saw" in capsys.readouterr().out
    seen = np.asarray(Image.open(tmp_path / "seen" / f"{paths[0].stem}-28x28-x8.png"))
    assert seen.shape == (224, 224)
    np.testing.assert_allclose(seen[::8, ::8] / 255, load_digit(paths[0]).reshape(28, 28),
                               atol=1 / 255)


@pytest.mark.parametrize("cfg", [
    dict(limit=1500, epochs=2, batch_size=64, optimizer="adamw", lr=3e-3, weight_decay=1e-4,
         schedule="onecycle", augment=True, val_size=1000),
    # plain SGD: the compiled step folds the update into the GEMM, and the resumed
    # process records its plan again mid-epoch
    dict(limit=1500, epochs=2, batch_size=32, lr=0.05, val_size=1000),
    dict(limit=1500, epochs=2, batch_size=32, lr=0.05, val_size=1000, compile=False),
], ids=["adamw-onecycle", "sgd-compiled", "sgd-eager"])
def test_resume_equals_uninterrupted(tmp_path, cfg):
    quiet = dict(log=lambda *_: None, progress=False)
    full = train(Config(**cfg), tmp_path / "a", **quiet)

    def interrupt(epoch, step):
        if (epoch, step) == (0, 10):
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C

    with pytest.raises(Interrupted, match="continue with --resume"):
        train(Config(**cfg), tmp_path / "b", on_step=interrupt, **quiet)
    resumed = train(Config(**cfg), tmp_path / "b", resume=tmp_path / "b", **quiet)
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in full["history"]]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in resumed["history"]]
    a = (tmp_path / "a" / "model.safetensors").read_bytes()
    assert a == (tmp_path / "b" / "model.safetensors").read_bytes()
    # same seed, same options: the same weights, bit for bit
    train(Config(**cfg), tmp_path / "c", **quiet)
    assert a == (tmp_path / "c" / "model.safetensors").read_bytes()


def test_every_epoch_draws_its_own_shuffle_and_shifts(tmp_path, monkeypatch):
    """The epochs' batch orders (and augmentation shifts) come from one generator
    whose state the checkpoint carries: epoch 2 must not repeat epoch 1's order."""
    from tinygrad_mnist.training import train as train_module

    orders, original = [], train_module.batches

    def recording(X, y, batch_size, rng):
        out = list(original(X, y, batch_size, rng=rng))
        orders.append(np.concatenate([yb for _, yb in out]))
        return iter(out)

    monkeypatch.setattr(train_module, "batches", recording)
    train(Config(limit=600, epochs=3, batch_size=64, val_size=1000, augment=True),
          tmp_path / "a", log=lambda *_: None, progress=False)
    assert len(orders) == 3 and sorted(orders[0].tolist()) == sorted(orders[1].tolist())
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])


def _error(capsys, argv):
    code = cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_cli_bad_input_one_line_exit_2(tmp_path, capsys, run):
    assert "--epochs must be at least 1, got -1" in _error(capsys, ["train", "--epochs", "-1"])
    assert "--batch-size must be at least 1, got 0" in _error(
        capsys, ["train", "--batch-size", "0"])
    assert "unknown dataset 'kmnist'" in _error(capsys, ["train", "--dataset", "kmnist"])
    assert "invalid choice" in _error(capsys, ["train", "--optimizer", "lbfgs"])
    (tmp_path / "empty").mkdir()
    assert "has no train-images-idx3-ubyte" in _error(
        capsys, ["train", "--data-dir", str(tmp_path / "empty")])
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (bad / f"{name}.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05ab"))
    assert "checksum mismatch" in _error(capsys, ["evaluate", str(run), "--data-dir", str(bad)])
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    assert "junk.png: cannot read image" in _error(capsys, ["predict", str(run), str(junk)])
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((50, 50), 255, np.uint8)).save(blank)
    assert "blank.png: no digit found" in _error(capsys, ["predict", str(run), str(blank)])
    assert "no such file" in _error(capsys, ["evaluate", str(tmp_path / "nope.safetensors")])
    import nn

    other = tmp_path / "other.safetensors"
    nn.save({"0.weight": np.zeros((5, 3), np.float32)}, other)
    assert "other.safetensors: not a checkpoint of this MLP" in _error(
        capsys, ["evaluate", str(other)])
    assert "not a training checkpoint" in _error(
        capsys, ["train", "--resume", str(run / "model.safetensors")])


def test_compiled_training_matches_eager_training(tmp_path):
    """The default (compiled) step trains as the eager one, to float32 rounding: the
    fused SGD update rounds once where eager rounds twice."""
    from nn.serialization import load_arrays

    cfg = dict(limit=2000, epochs=2, batch_size=32, lr=0.05, val_size=1000)
    quiet = dict(log=lambda *_: None, progress=False)
    compiled = train(Config(**cfg), tmp_path / "c", **quiet)
    eager = train(Config(**cfg, compile=False), tmp_path / "e", **quiet)
    for a, b in zip(compiled["history"], eager["history"]):
        assert abs(a["val_acc"] - b["val_acc"]) <= 0.002  # at most 2 of 1,000 images
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
    wc = load_arrays(tmp_path / "c" / "model.safetensors")[0]
    we = load_arrays(tmp_path / "e" / "model.safetensors")[0]
    for name in wc:
        np.testing.assert_allclose(wc[name], we[name], rtol=1e-3, atol=1e-5)


def test_graph_code_prints_the_compiled_step(capsys):
    assert cli.main(["graph", "--code", "--batch", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def replay(args):")
    for line in ("Z1 = X @ W1.T", "dZ2 = dA2 * (A2 != ZERO[A2.dtype])", "SGD.step()"):
        assert line in out, line


def test_cli_manners(capsys, tmp_path, monkeypatch):
    """--version; tqdm silent when stderr is no terminal; the missing-dot notice on
    stderr; a stale graph.dot gone once graph.svg is drawn; torchviz's dict form."""
    import tensor
    from tinygrad_mnist import __version__
    from tinygrad_mnist.bench.bridge import format_parity
    from tinygrad_mnist.outputs import report
    from tinygrad_mnist.training.model import mlp

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0 and __version__ in capsys.readouterr().out
    train(Config(limit=300, epochs=1, val_size=100), tmp_path / "r", log=lambda *_: None,
          progress=True)
    assert "\r" not in capsys.readouterr().err  # pytest's stderr is not a terminal
    monkeypatch.setattr(tensor.viz.shutil, "which", lambda name: None)
    assert cli.main(["graph", "--out", str(tmp_path / "g.svg"), "--batch", "2"]) == 0
    out, err = capsys.readouterr()
    assert "dot" in err and "was not found" in err and "g.dot" in out
    monkeypatch.undo()
    if HAS_DOT:
        (tmp_path / "graph.dot").write_text("stale")
        model = mlp(seed=0)
        x, y = np.zeros((2, 784), np.float32), np.array([1, 2])
        assert report.write_run_graph(tmp_path, model, x, y).suffix == ".svg"
        assert not (tmp_path / "graph.dot").exists()
    model = mlp(seed=0)
    loss = model(tensor.zeros(1, 784)).sum()
    assert "0.weight" in tensor.viz.make_dot(loss, params=dict(model.named_parameters())).source
    r = {"steps": 3, "optimizer": "adam", "losses": [(1.0, 1.0)] * 3, "max_loss_diff": 0.0,
         "max_weight_diff": 0.0, "weight_diffs": {}}
    assert format_parity(r).startswith("3 Adam steps")


def test_readme_torch_hand_off_runs_and_agrees(run, capsys):
    """The README's PyTorch snippet, run on this run's weights, prints the accuracy
    that `evaluate` gives."""
    pytest.importorskip("torch")
    pytest.importorskip("safetensors.torch")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = next(b.split("```", 1)[0] for b in readme.split("```python\n")[1:]
                 if "load_file(" in b and "test accuracy" in b)
    code = block.replace("runs/<run>/model.safetensors", str(run / "model.safetensors"))
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102  (our README's code)
    printed = float(capsys.readouterr().out.split("test accuracy")[1].strip().rstrip("%"))
    assert cli.main(["evaluate", str(run), "--json"]) == 0
    ours = json.loads(capsys.readouterr().out)["test_accuracy"] * 100
    assert abs(printed - ours) < 0.015  # the same weights, the same images: 2 decimals


def test_report_reads_as_a_report(run):
    """Values beside their labels, a duration, options as a table, percentages, the
    learning rate in scientific notation, the kept epoch highlighted, captions."""
    page = (run / "report.html").read_text()
    assert "<th>test accuracy</th><td>" in page and "<th>training time</th><td>" in page
    assert "<h2>Options</h2><table><tr><th>epochs</th><td>2</td>" in page
    assert "compile=" not in page and "Config(" not in page  # no Python repr
    assert "<td>None</td>" not in page and "<td>False</td>" not in page
    assert "<th>data_dir</th><td>none</td>" in page and "<th>augment</th><td>no</td>" in page
    # on a phone every figure (and the graph) opens full size on a tap: a link to its file
    for name in ("curves.png", "confusion.png", "per_class.png"):
        assert f'<a href="{name}"><img ' in page and (run / name).is_file()
    assert '<tr class=best><td>' in page and " %</td>" in page
    assert re.search(r"<td>\d\.\d\de-\d\d</td>", page)  # the learning rate
    assert page.count("<figcaption>") == 8 and 'name="viewport"' in page
    # the code tensor.compile wrote for this network's step: valid Python, the
    # notebook's backward
    code = html.unescape(page.split('<pre class="scroll">')[1].split("</pre>")[0])
    compile(code, "report.html", "exec")
    for line in ("def replay(args):", "dZ3 = E1 / sumE1", "dA2 = dZ3 @ W3",
                 "dZ2 = dA2 * (A2 != ZERO[A2.dtype])", "F3.update(X, dZ1)"):
        assert line in code, line


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not here")
@pytest.mark.parametrize("width", [1400, 390])  # a desktop window and a phone
def test_report_renders_in_chromium(run, tmp_path, width):
    import subprocess

    shot = tmp_path / f"report-{width}.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", f"--window-size={width},2000",
                    f"--screenshot={shot}", (run / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.shape == (2000, width)
    # text, tables and figures drew something: not a blank or an error page
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.01
