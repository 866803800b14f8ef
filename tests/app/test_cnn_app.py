"""The official example's CNN in the application: `train --model cnn` for a few steps on
the bundled MNIST, then every command on its run folder, its figures' content, the
same network in PyTorch, resume, and the errors."""

import json
import re
import shutil

import numpy as np
import pytest

from tinygrad_mnist import cli
from tinygrad_mnist.data.datasets import load_mnist, to_float
from tinygrad_mnist.outputs import figures
from tinygrad_mnist.training.checkpoint import load_model_file, read_checkpoint
from tinygrad_mnist.training.config import Config
from tinygrad_mnist.training.train import train

HAS_DOT = shutil.which("dot") is not None


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One epoch of 128 images (two steps of 64): the official recipe's first steps."""
    out = tmp_path_factory.mktemp("cnn") / "run"
    assert cli.main(["train", "--model", "cnn", "--limit", "128", "--epochs", "1",
                     "--out", str(out), "--no-progress"]) == 0
    return out


@pytest.fixture(scope="module")
def mnist_test_set():
    data = load_mnist()
    return to_float(data.x_test), data.y_test


def _error(capsys, argv):
    """Exit status 2 and exactly one line on stderr; that line."""
    code = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("tinygrad-mnist: error: "), err
    return err[0]


def test_the_run_records_the_model_and_the_official_recipe(run):
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == "cnn" and config["recipe"] == "official"
    assert (config["optimizer"], config["lr"], config["batch_size"], config["schedule"]) == \
        ("adadelta", 1.0, 64, "step")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["config"]["model"] == "cnn"
    assert sum(map(sum, metrics["confusion_matrix"])) == 10000
    _, meta = read_checkpoint(run / "checkpoint.safetensors")
    assert meta["state"]["config"]["model"] == "cnn"
    assert meta["scheduler"]["last_epoch"] == 1  # StepLR stepped once per epoch
    assert meta["optim_groups"][0]["lr"] == pytest.approx(0.7)  # 1.0 × γ = 0.7


def test_the_figures_fit_the_cnn(run):
    for name in ("filters.png", "feature_maps.png", "curves.png", "confusion.png",
                 "correct.png", "mistakes.png", "per_class.png", "samples.png"):
        assert (run / name).is_file(), name
    assert not (run / "weights.png").exists() and not (run / "activations.png").exists()
    page = (run / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 8
    # the code autograd wrote (Conv2dTwoThreads: a compiled step's convolution)
    assert re.search(r"Conv2d\w*\.forward", page) and "Adadelta" in page
    graph = page if HAS_DOT else (run / "graph.dot").read_text()
    assert "Z1 = X̂ ⋆ K1 + b1" in graph and "P = maxpool2×2(A2)" in graph


@pytest.fixture
def drawn(monkeypatch):
    kept = []
    save = figures._save
    monkeypatch.setattr(figures, "_save", lambda fig, path: kept.append(fig) or save(fig, path))
    return kept


def test_filters_and_feature_maps_show_the_networks_own_numbers(run, mnist_test_set, drawn,
                                                                 tmp_path):
    """32 filter images of the first convolution's weights on one colour scale; the
    feature maps equal PyTorch's conv → ReLU (→ conv → ReLU → pool) of the image."""
    torch = pytest.importorskip("torch")
    from tinygrad_mnist.outputs.report import feature_maps_of
    from tinygrad_mnist.training.model import MEAN, STD

    model = load_model_file(run)
    w = model.conv1.weight.data
    figures.filters(w, tmp_path / "f.png")
    images = [ax.images[0] for ax in drawn[0].axes if ax.images]
    assert len(images) == 32 and len({im.get_clim() for im in images}) == 1
    for im, k in zip(images, w):
        np.testing.assert_array_equal(np.asarray(im.get_array()), k[0])

    x = mnist_test_set[0][0]
    layers = feature_maps_of(model, x)
    T = {k: torch.from_numpy(v.data) for k, v in model.state_dict().items()}
    X = (torch.from_numpy(x) - MEAN) / STD
    a1 = torch.relu(torch.nn.functional.conv2d(X.reshape(1, 1, 28, 28), T["conv1.weight"],
                                               T["conv1.bias"]))
    p = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(
        a1, T["conv2.weight"], T["conv2.bias"])), 2)
    assert [m.shape for _, m in layers] == [(32, 26, 26), (64, 12, 12)]
    np.testing.assert_allclose(layers[0][1], a1[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(layers[1][1], p[0].numpy(), atol=1e-5)
    figures.feature_maps(x, layers, np.full(10, 0.1), tmp_path / "m.png", label=7)
    panels = drawn[1].axes
    tiles = panels[1].images[0].get_array()
    assert tiles.shape == (4 * 27 - 1, 8 * 27 - 1)  # 32 maps of 26×26, 8 a row, 1 apart
    np.testing.assert_array_equal(tiles[27:53, 54:80], layers[0][1][10])  # row 1, column 2
    assert "32 maps of 26×26" in panels[1].get_title()
    assert "Digit: 7" in panels[0].get_title()


def test_evaluate_predict_and_the_weights_in_pytorch(run, mnist_test_set, capsys, tmp_path):
    """evaluate gives the metrics.json figures; the saved weights load into the same
    network in PyTorch, which predicts the same digits (also for predict's input)."""
    torch = pytest.importorskip("torch")
    from PIL import Image

    from tinygrad_mnist.bench.torch_cnn import TorchCNN
    from tinygrad_mnist.outputs.predict import load_digit
    from tinygrad_mnist.training.train import evaluate

    assert cli.main(["evaluate", str(run), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["test_accuracy"] == json.loads((run / "metrics.json").read_text())["test_accuracy"]
    twin = TorchCNN().eval()
    twin.load_state_dict({k: torch.from_numpy(v.data)
                          for k, v in load_model_file(run).state_dict().items()})
    x, y = mnist_test_set
    with torch.no_grad():
        theirs = twin(torch.from_numpy(x[:1000])).argmax(1).numpy()
    ours = evaluate(load_model_file(run), x[:1000], y[:1000])[2]
    assert (ours == theirs).mean() > 0.99  # float32 ties aside, the same answers

    data = load_mnist()
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"d{i}.png")
        Image.fromarray(255 - data.x_test[i]).resize((84, 84)).save(paths[-1])
    assert cli.main(["predict", str(run), *map(str, paths), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    with torch.no_grad():
        seen = np.stack([load_digit(p) for p in paths])
        expected = twin(torch.from_numpy(seen)).argmax(1).tolist()
    assert [r["prediction"] for r in results] == expected


def test_graph_code_and_bridge(run, capsys, tmp_path):
    torch = pytest.importorskip("torch")  # noqa: F841  (bridge runs PyTorch)
    assert cli.main(["graph", str(run), "--code"]) == 0
    code = capsys.readouterr().out
    assert code.startswith("def replay(") and re.search(r"Conv2d\w*\.forward", code) and \
        "MaxPool2d.backward" in code
    assert cli.main(["graph", str(run), "--out", str(tmp_path / "g.dot"), "--batch", "4",
                     "--equations"]) == 0
    assert "A1 = ReLU(Z1)" in (tmp_path / "g.dot").read_text()
    assert cli.main(["graph", "--model", "cnn", "--out", str(tmp_path / "fresh.dot"),
                     "--batch", "2"]) == 0
    assert "conv1.weight" in (tmp_path / "fresh.dot").read_text()
    capsys.readouterr()  # the graph commands' lines
    assert cli.main(["bridge", str(run), "--steps", "3", "--optimizer", "adadelta", "--lr",
                     "1.0", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["model"] == "cnn" and len(r["losses"]) == 3
    assert r["max_loss_diff"] < 1e-4 and r["max_weight_diff"] < 1e-4
    assert r["losses"][0][0] > 0.1  # a real loss, not a NaN or a zero


def test_resume_continues_the_cnn_bit_for_bit(tmp_path):
    """Two epochs in one go, or one and then --resume: the same weights, dropout's
    masks included (its generator's state is in the checkpoint)."""
    def cfg(epochs):
        return Config(model="cnn", recipe="official", epochs=epochs, batch_size=32, lr=1.0,
                      optimizer="adadelta", schedule="step", limit=64, val_size=100)
    quiet = dict(log=lambda *a: None, progress=False)
    train(cfg(2), tmp_path / "a", **quiet)
    train(cfg(1), tmp_path / "b", **quiet)
    train(cfg(2), tmp_path / "b", resume=tmp_path / "b", **quiet)
    a, _ = read_checkpoint(tmp_path / "a" / "checkpoint.safetensors")
    b, _ = read_checkpoint(tmp_path / "b" / "checkpoint.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_misuse_is_one_line(run, capsys):
    assert "--model" in _error(capsys, ["train", "--resume", run, "--model", "mlp"])
    assert "--model" in _error(capsys, ["train", "--model", "resnet"])
    import nn

    bad = {k: v for k, v in load_model_file(run).state_dict().items() if k != "fc2.bias"}
    nn.save(bad, run.parent / "bad.safetensors")
    assert "fc2.bias" in _error(capsys, ["evaluate", run.parent / "bad.safetensors"])
