"""IDX parsing, the lookup order, the download (against a loopback server), the split."""

import functools
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from tinygrad_mnist.data import datasets as D


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array, np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.tobytes()


def tiny_parts(rng, n_train=40, n_test=10):
    return {
        "train-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (n_train, 28, 28))),
        "train-labels-idx1-ubyte": idx_bytes(np.arange(n_train) % 10),
        "t10k-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (n_test, 28, 28))),
        "t10k-labels-idx1-ubyte": idx_bytes(np.arange(n_test) % 10),
    }


def write_parts(folder, parts, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in parts.items():
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return folder


@pytest.fixture
def tiny(monkeypatch, rng, tmp_path):
    """A registered dataset 'tiny' with generated files and their checksums, no
    bundled copy, an empty system folder and an empty cache."""
    parts = tiny_parts(rng)
    spec = {"sha256": {k: hashlib.sha256(v).hexdigest() for k, v in parts.items()},
            "mirrors": [], "bundled": False}
    monkeypatch.setitem(D.DATASETS, "tiny", spec)
    monkeypatch.setattr(D, "SYSTEM", tmp_path / "system")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TINYGRAD_MNIST_DATA", raising=False)
    return parts, spec


def test_parse_round_trip_and_validation():
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(D.parse_idx(idx_bytes(a)), a)
    raw = idx_bytes(a)
    with pytest.raises(D.DatasetError, match="not an IDX file"):
        D.parse_idx(b"\x01\x02" + raw[2:], "f")
    with pytest.raises(D.DatasetError, match="unsupported IDX data type 0x0d"):
        D.parse_idx(raw[:2] + b"\x0d" + raw[3:], "f")
    with pytest.raises(D.DatasetError, match=r"f: truncated: dimensions \(2, 3, 4\) need 24"):
        D.parse_idx(raw[:-1], "f")
    with pytest.raises(D.DatasetError, match="too long"):
        D.parse_idx(raw + b"\x00", "f")
    with pytest.raises(D.DatasetError, match="truncated IDX header"):
        D.parse_idx(raw[:6], "f")


def test_truncated_gzip_and_checksum_mismatch_name_the_file(tmp_path):
    raw = idx_bytes(np.zeros((3, 28, 28)))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(raw)[:-10])
    with pytest.raises(D.DatasetError, match="cut.gz: corrupt or truncated gzip"):
        D.read_idx(cut)
    good = tmp_path / "good"
    good.write_bytes(raw)
    with pytest.raises(D.DatasetError, match="good: checksum mismatch"):
        D.read_idx(good, "0" * 64)


def test_bundled_mnist_is_the_real_thing(monkeypatch):
    monkeypatch.delenv("TINYGRAD_MNIST_DATA", raising=False)
    folder, source = D.locate("mnist")
    assert source == "bundled"
    data = D.load_mnist()
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.int64
    # label counts from shared/data/README.md (an independent record of the files)
    assert np.bincount(data.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918,
                                                  6265, 5851, 5949]
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                 974, 1009]


def test_lookup_order(tiny, tmp_path, monkeypatch):
    parts, _ = tiny
    cache = write_parts(tmp_path / "cache" / "tinygrad-mnist" / "tiny", parts)
    assert D.locate("tiny")[0] == cache
    system = write_parts(tmp_path / "system" / "tiny", parts, compress=False)
    assert D.locate("tiny")[0] == system  # system folder before the cache
    env = write_parts(tmp_path / "env", parts)
    monkeypatch.setenv("TINYGRAD_MNIST_DATA", str(env))
    assert D.locate("tiny")[0] == env
    explicit = write_parts(tmp_path / "explicit", parts)
    assert D.locate("tiny", explicit)[0] == explicit
    data = D.load_mnist("tiny", explicit)
    assert data.x_train.shape == (40, 28, 28) and data.y_test.tolist() == list(range(10))


def test_data_dir_without_the_files(tiny, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(D.DatasetError, match="empty .--data-dir. has no train-images-idx3"):
        D.locate("tiny", tmp_path / "empty")


def test_unknown_dataset():
    with pytest.raises(D.DatasetError, match="unknown dataset 'kmnist'"):
        D.locate("kmnist")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_and_caches(tiny, server, tmp_path):
    parts, spec = tiny
    root, url = server
    write_parts(root, parts)
    spec["mirrors"] = [url + "missing/", url]  # the first mirror 404s, the second works
    folder, source = D.locate("tiny")
    assert source.startswith("downloaded to") and folder == tmp_path / "cache" / \
        "tinygrad-mnist" / "tiny"
    data = D.load_mnist("tiny")
    assert data.x_train.shape == (40, 28, 28)
    assert not list(folder.glob("*.tmp"))


def test_corrupt_download_leaves_nothing_in_the_cache(tiny, server, tmp_path):
    parts, spec = tiny
    root, url = server
    bad = dict(parts)
    bad["train-labels-idx1-ubyte"] = idx_bytes(np.ones(40))  # wrong content, valid IDX
    write_parts(root, bad)
    spec["mirrors"] = [url]
    with pytest.raises(D.DatasetError, match="could not download train-labels.*checksum"):
        D.locate("tiny")
    cached = tmp_path / "cache" / "tinygrad-mnist" / "tiny"
    assert not (cached / "train-labels-idx1-ubyte.gz").exists()
    assert not list(cached.glob("*.tmp"))


def test_stratified_split_leaves_test_alone():
    y = np.repeat(np.arange(10), [50, 60, 70, 80, 90, 100, 110, 120, 130, 190])
    x = np.arange(len(y))
    x_tr, y_tr, x_val, y_val = D.train_val_split(x, y, val_size=200, seed=0)
    assert len(x_val) == 200 and len(x_tr) == len(y) - 200
    np.testing.assert_allclose(np.bincount(y_val) / 200, np.bincount(y) / len(y), atol=0.01)
    assert set(x_tr).isdisjoint(x_val)


def test_batches_seeded_drop_last_and_tensors():
    x, y = np.arange(10)[:, None].astype(np.float32), np.arange(10)
    a = [b for _, b in D.batches(x, y, 4, rng=np.random.default_rng(1))]
    b = [b for _, b in D.batches(x, y, 4, rng=np.random.default_rng(1))]
    assert [list(v) for v in a] == [list(v) for v in b] and [len(v) for v in a] == [4, 4, 2]
    assert sorted(np.concatenate(a)) == list(range(10))
    assert [len(v) for _, v in D.batches(x, y, 4, drop_last=True)] == [4, 4]
    xb, yb = next(D.batches(x, y, 4, shuffle=False, as_tensor=True))
    assert yb.tolist() == [0, 1, 2, 3] and xb.shape == (4, 1)


def test_to_float_scales_to_unit_interval():
    x = np.array([[[0, 255], [51, 102]]], np.uint8)
    out = D.to_float(x)
    assert out.dtype == np.float32 and out.shape == (1, 4)
    np.testing.assert_allclose(out, [[0, 1, 0.2, 0.4]], rtol=1e-6)
