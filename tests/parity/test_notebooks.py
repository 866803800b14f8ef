"""Every example also runs as a notebook: converted from its ``# %%`` cells by jupytext
and executed cell by cell by nbclient in a Jupyter kernel, on a small subset (the
options come in through $EXAMPLE_ARGS, as a notebook has no command line)."""

from __future__ import annotations

from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUICK = {
    "train_mnist.py": "--limit 2000 --epochs 1",
    "train_mnist_torch.py": "--limit 2000 --epochs 1",
    "quickstart.py": "--dataset mnist --limit 1000 --epochs 1 --lr 0.1",
    "quickstart_torch.py": "--dataset mnist --limit 1000 --epochs 1 --lr 0.1",
    "mnist_cnn.py": "--limit 128 --epochs 1",
    "mnist_cnn_torch.py": "--limit 128 --epochs 1",
    "from_scratch_vs_autograd.py": "--steps 1 --limit 500",
    "render_graph.py": "--out graph.dot --batch 4",
    "custom_op.py": "--limit 1000 --epochs 1",
    "what_autograd_wrote.py": "--batch-size 8",
}


def test_every_example_is_listed():
    assert sorted(QUICK) == sorted(p.name for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("name", sorted(QUICK))
def test_example_runs_as_a_notebook(name, tmp_path, monkeypatch):
    if "torch" in name:
        pytest.importorskip("torch")
    notebook = jupytext.read(EXAMPLES / name)
    assert len(notebook.cells) >= 3  # split into cells, not one block
    # the description first, as Markdown (not a quoted string with \n escapes)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and not first.source.startswith(('"', "'"))
    assert "\\n" not in first.source and len(first.source.splitlines()) > 1
    monkeypatch.setenv("EXAMPLE_ARGS", QUICK[name])
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on failure
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="Graphviz's dot")
def test_the_graph_shows_inline_in_the_notebook(tmp_path, monkeypatch):
    notebook = jupytext.read(EXAMPLES / "render_graph.py")
    monkeypatch.setenv("EXAMPLE_ARGS", "--out graph.svg --batch 4")
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = [o for cell in notebook.cells for o in cell.get("outputs", [])
             if o.get("output_type") == "execute_result"]
    assert any("<svg" in o["data"].get("image/svg+xml", "") for o in shown)
