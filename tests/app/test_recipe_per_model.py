"""`--recipe best` gives each model its own epochs (FOR_MODEL): 30 for the MLP, 8 for
the CNN, as the README's accuracy table was measured; an explicit --epochs wins."""

from __future__ import annotations

import pytest

from tinygrad_mnist.cli_args import build_parser
from tinygrad_mnist.commands.train import options


@pytest.mark.parametrize("argv,epochs", [
    (["--recipe", "best"], 30),
    (["--model", "cnn", "--recipe", "best"], 8),
    (["--model", "cnn", "--recipe", "best", "--dataset", "fashion-mnist"], 8),
    (["--model", "cnn", "--recipe", "best", "--epochs", "2"], 2),
    (["--model", "cnn"], 3),  # the official recipe, unchanged
])
def test_best_recipe_epochs_per_model(argv, epochs):
    cfg, _ = options(build_parser().parse_args(["train", *argv]))
    assert cfg.epochs == epochs


def test_the_cnn_keeps_the_rest_of_the_best_recipe():
    cnn, _ = options(build_parser().parse_args(["train", "--model", "cnn", "--recipe", "best"]))
    mlp, _ = options(build_parser().parse_args(["train", "--recipe", "best"]))
    assert (cnn.optimizer, cnn.lr, cnn.batch_size, cnn.schedule, cnn.augment) == (
        mlp.optimizer, mlp.lr, mlp.batch_size, mlp.schedule, mlp.augment)
    fashion, _ = options(build_parser().parse_args(
        ["train", "--model", "cnn", "--recipe", "best", "--dataset", "fashion-mnist"]))
    assert fashion.augment is False  # no shifts for clothes, as for the MLP
