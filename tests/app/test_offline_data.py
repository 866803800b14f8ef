"""Fashion-MNIST without the network: Debian's package where the loader looks, and,
without it, one line that says how to get the data instead of a traceback."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_mnist.data import datasets as D

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _closed_port() -> int:
    """A loopback port nothing listens on: a download from it fails at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("script", ["quickstart.py", "quickstart_torch.py"])
def test_quickstart_offline_without_the_data_stops_with_one_line(script, tmp_path):
    if "torch" in script:
        pytest.importorskip("torch")
    # the system folder moved away and the mirror a closed loopback port: no download
    code = f"""
import runpy, sys
from tinygrad_mnist.data import datasets as D
D.SYSTEM = D.Path({str(tmp_path / "none")!r})
D.DATASETS["fashion-mnist"]["mirrors"] = ["http://127.0.0.1:{_closed_port()}/"]
sys.argv = [{script!r}, "--epochs", "1"]
runpy.run_path({str(EXAMPLES / script)!r}, run_name="__main__")
"""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path),
           "PYTHONPATH": str(EXAMPLES.parent)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path, env=env)
    err = out.stderr.strip().splitlines()
    assert out.returncode != 0 and len(err) == 1, out.stderr
    assert err[0].startswith(f"{script}: error: fashion-mnist: could not download")
    assert "apt install dataset-fashion-mnist" in err[0] and "--data-dir" in err[0]
    assert "Traceback" not in out.stderr


def test_debians_package_is_where_the_loader_looks():
    """`apt install dataset-fashion-mnist` puts the four files in
    /usr/share/datasets/fashion-mnist; when it is installed the loader takes them
    from there and their checksums are the published ones."""
    folder = D.SYSTEM / "fashion-mnist"
    if not all(D._file_in(folder, part) for part in D.PARTS):
        pytest.skip("dataset-fashion-mnist is not installed (apt install dataset-fashion-mnist)")
    assert D.locate("fashion-mnist", download=False) == (folder, str(folder))
    data = D.load_mnist("fashion-mnist", download=False)  # checks every SHA-256
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
