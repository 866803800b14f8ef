"""The run folder's figures, drawn and then inspected: what a reader relies on is
there (labels, integer epochs, the best epoch, mistakes' order and scale)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mnist.outputs import figures


@pytest.fixture
def drawn(monkeypatch):
    """The figure each call draws, kept for inspection (still saved)."""
    kept = []
    save = figures._save

    def keep(fig, path):
        kept.append(fig)
        return save(fig, path)

    monkeypatch.setattr(figures, "_save", keep)
    return kept


def _history(lrs):
    return [{"epoch": e + 1, "train_loss": 1 / (e + 1), "val_loss": 1.1 / (e + 1),
             "train_acc": 0.8 + e / 100, "val_acc": [0.80, 0.85, 0.84, 0.86, 0.83][e],
             "lr": lr} for e, lr in enumerate(lrs)]


def test_curves_have_integer_epochs_the_best_epoch_and_a_changing_lr(drawn, tmp_path):
    figures.curves(_history([0.01] * 5), tmp_path / "a.png")
    figures.curves(_history([1e-3, 3e-3, 2e-3, 1e-4, 1e-6]), tmp_path / "b.png")
    constant, scheduled = drawn
    assert len(constant.axes) == 2 and len(scheduled.axes) == 3  # lr only when it changes
    for ax in scheduled.axes:
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 5]
        assert ticks and all(float(t).is_integer() for t in ticks)
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel()
    legend = [t.get_text() for t in scheduled.axes[1].get_legend().get_texts()]
    assert "best: epoch 4, 86.00 %" in legend


def test_confusion_colours_the_mistakes_not_the_diagonal(drawn, tmp_path):
    cm = np.diag([980, 1130, 1000]) + np.array([[0, 19, 2], [3, 0, 1], [0, 5, 0]])
    figures.confusion(cm, tmp_path / "c.png")
    (fig,) = drawn
    ax = fig.axes[0]
    colour_scale = ax.images[-1].get_clim()
    assert colour_scale == (0, 19)  # the largest mistake is the darkest, not the diagonal
    assert {t.get_text() for t in ax.texts} >= {"980", "19", "5"}
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    bar = fig.axes[-1]  # whole counts: whole ticks (no 2.5, 7.5)
    fig.canvas.draw()
    ticks = [t for t in bar.get_yticks() if 0 <= t <= 19]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)


def test_mistakes_come_most_confident_first(drawn, tmp_path):
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(10) * 0.3, size=60)
    y = rng.integers(0, 10, 60)
    figures.predictions(rng.random((60, 784)), y, probs, tmp_path / "m.png", correct=False)
    (fig,) = drawn
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles and all(t.startswith("pred ") and "(true " in t for t in titles)
    confidences = [int(t.rsplit(", ", 1)[1].rstrip(" %")) for t in titles]
    assert confidences == sorted(confidences, reverse=True)


@pytest.mark.parametrize("worst,floor", [(0.95, 90), (0.86, 80), (0.995, 90), (0.3, 20),
                                         (0.02, 0)])
def test_per_class_axis_zooms_to_the_data_and_says_where_it_starts(drawn, tmp_path, worst,
                                                                   floor):
    figures.per_class({str(i): min(worst + i / 250, 1.0) for i in range(10)},
                      tmp_path / "p.png")
    (fig,) = drawn
    ax = fig.axes[0]
    assert ax.get_ylim()[0] == floor and ax.get_xlabel() == "class"
    assert ax.get_ylim()[0] <= worst * 100 - 5 or floor == 0
    assert (f"axis from {floor}" in ax.get_ylabel()) == (floor > 0)
    assert len(ax.patches) == 10


def test_activations_fill_their_grids_with_scales_and_labelled_outputs(drawn, tmp_path):
    rng = np.random.default_rng(0)
    layers = [("A1 = ReLU(Z1)", np.maximum(rng.standard_normal(128), 0)),
              ("A2 = ReLU(Z2)", np.maximum(rng.standard_normal(64), 0))]
    probs = rng.dirichlet(np.ones(10))
    figures.activations(rng.random(784), layers, probs, tmp_path / "a.png", label=7)
    (fig,) = drawn
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert "Digit: 7" in panels[0].get_title()  # the notebook's titles
    assert f"Predicted: {int(np.argmax(probs))}" in panels[-1].get_title()
    fig.canvas.draw()
    sizes = {round(ax.get_position().width, 2) for ax in panels[:3]}
    assert len(sizes) == 1  # the input and the two grids: one size
    grids = [ax.images[0].get_array() for ax in fig.axes[1:3]]
    assert [g.size for g in grids] == [128, 64]  # whole grids, no empty notch
    assert not any(np.isnan(np.asarray(g, float)).any() for g in grids)
    assert len(fig.axes) == 7  # input, two layers, output, and three colour bars
    bars = fig.axes[3]
    assert bars.get_xlabel() == "class" and bars.get_ylabel() == "probability"
    assert len({ax.title.get_fontsize() for ax in fig.axes[:4]}) == 1  # one title size


def test_weights_share_one_colour_scale(drawn, tmp_path):
    w1 = np.random.default_rng(0).standard_normal((128, 784))
    figures.weights(w1, tmp_path / "w.png")
    (fig,) = drawn
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 64 and len({im.get_clim() for im in images}) == 1
    assert "units 1–64 of 128" in fig._suptitle.get_text()
    assert any(ax.get_ylabel() == "weight" for ax in fig.axes)  # the colour bar
