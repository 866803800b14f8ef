"""MNIST-style datasets: the IDX reader, where the files are found, the download
with checksums, the notebook's train/validation split, and batches."""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import urllib.request
import zlib
from collections import namedtuple
from pathlib import Path

import numpy as np

from nn.serialization import atomic_write_bytes

BUNDLED = Path(__file__).parent  # the .gz files beside this module
SYSTEM = Path("/usr/share/datasets")
PARTS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# SHA-256 of the *decompressed* files: the same whichever mirror or compressor served them.
DATASETS = {
    "mnist": {
        "sha256": {
            "train-images-idx3-ubyte":
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte":
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte":
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte":
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/"],
        "bundled": True,
    },
    "fashion-mnist": {
        "sha256": {
            "train-images-idx3-ubyte":
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte":
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte":
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte":
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        "bundled": False,
        "debian": "dataset-fashion-mnist",  # installs into /usr/share/datasets/fashion-mnist
    },
}

GZIP_MAGIC = b"\x1f\x8b"

MNIST = namedtuple("MNIST", ["x_train", "y_train", "x_test", "y_test"])


class DatasetError(Exception):
    """A dataset that cannot be found, read or trusted; the message names the file."""


# ----- IDX ---------------------------------------------------------------------------------
def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes (unsigned-byte data only, as MNIST uses), checking the magic
    number, the dimensions and the length."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DatasetError(f"{name}: not an IDX file (bad magic number {raw[:4].hex()})")
    if raw[2] != 0x08:
        raise DatasetError(f"{name}: unsupported IDX data type 0x{raw[2]:02x} (expected "
                           "0x08, unsigned byte)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DatasetError(f"{name}: truncated IDX header")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        what = "truncated" if len(raw) - header < expected else "too long"
        raise DatasetError(f"{name}: {what}: dimensions {dims} need {expected} bytes of data, "
                           f"found {len(raw) - header}")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip (by content, not by name).
    Decompression stops one byte past the size the IDX header declares, so a small
    file that inflates to gigabytes (a gzip bomb) costs no more than a real one."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            if f.read(2) != GZIP_MAGIC:
                f.seek(0)
                return f.read()
            f.seek(0)
            with gzip.GzipFile(fileobj=f) as z:
                head = z.read(4)
                ndim = head[3] if len(head) == 4 else 0
                head += z.read(4 * ndim)
                dims = [int.from_bytes(head[i:i + 4], "big") for i in range(4, len(head), 4)]
                declared = math.prod(dims) if dims else 0
                if declared > 1 << 32:
                    raise DatasetError(f"{path}: the IDX header declares dimensions {dims}, "
                                       "more than 4 GiB: not an MNIST file")
                return head + z.read(declared + 1)  # +1: "too long" is still detected
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DatasetError(f"{path}: corrupt or truncated gzip file ({exc})") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a folder, not a dataset file") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from None


def check_sha256(raw: bytes, expected: str | None, name: str) -> None:
    if expected is None:
        return
    got = hashlib.sha256(raw).hexdigest()
    if got != expected:
        raise DatasetError(f"{name}: checksum mismatch (SHA-256 {got}, expected {expected})")


def read_idx(path, expected_sha256: str | None = None) -> np.ndarray:
    raw = read_bytes(path)
    check_sha256(raw, expected_sha256, str(path))
    return parse_idx(raw, str(path))


# ----- where the files are ---------------------------------------------------------------
def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tinygrad-mnist"


def _file_in(folder: Path, part: str) -> Path | None:
    for candidate in (folder / f"{part}.gz", folder / part):
        if candidate.is_file():
            return candidate
    return None


def _complete(folder: Path) -> bool:
    return all(_file_in(folder, p) for p in PARTS)


def _spec(name: str) -> dict:
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r} (choose from {', '.join(DATASETS)})")
    return DATASETS[name]


def locate(name: str = "mnist", data_dir=None, download: bool = True) -> tuple[Path, str]:
    """The folder holding the dataset's four files, and where it came from. Order:
    ``data_dir``, $TINYGRAD_MNIST_DATA, the bundled copy, /usr/share/datasets/<name>,
    the user cache, then a download into the cache."""
    spec = _spec(name)
    for explicit, source in ((data_dir, "--data-dir"),
                             (os.environ.get("TINYGRAD_MNIST_DATA"), "$TINYGRAD_MNIST_DATA")):
        if explicit:
            folder = Path(explicit)
            missing = [p for p in PARTS if not _file_in(folder, p)]
            if missing:
                raise DatasetError(f"{folder} ({source}) has no {missing[0]}[.gz]; it needs "
                                   f"{', '.join(PARTS)}")
            return folder, str(folder)
    if spec["bundled"] and _complete(BUNDLED):
        return BUNDLED, "bundled"
    for folder, source in ((SYSTEM / name, str(SYSTEM / name)),
                           (cache_dir() / name, str(cache_dir() / name))):
        if _complete(folder):
            return folder, source
    if not download:
        raise DatasetError(f"{name}: not found (looked in the package, {SYSTEM / name} and "
                           f"{cache_dir() / name}) and download is off")
    folder = cache_dir() / name
    try:
        fetch(name, folder)
    except DatasetError as exc:
        raise DatasetError(f"{exc}; {how_to_get(name)}") from None
    return folder, f"downloaded to {folder}"


def how_to_get(name: str) -> str:
    """Where a dataset can come from without a download, said in one sentence."""
    package = _spec(name).get("debian")
    apt = (f"install it with `apt install {package}` (Debian; into {SYSTEM / name}), or "
           if package else "")
    return (f"to work offline, {apt}put its four IDX files ({', '.join(PARTS)}, .gz or "
            "not) in a folder and give it as --data-dir or $TINYGRAD_MNIST_DATA")


def fetch(name: str, folder: Path, timeout: float = 30.0) -> None:
    """Download the missing files from the mirrors, verify each one's SHA-256, and
    write it atomically; a corrupt download leaves nothing behind."""
    spec = _spec(name)
    folder.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        if _file_in(folder, part):
            continue
        errors = []
        for mirror in spec["mirrors"]:
            url = f"{mirror}{part}.gz"
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    payload = resp.read()
                compressed = payload[:2] == GZIP_MAGIC
                raw = gzip.decompress(payload) if compressed else payload
                check_sha256(raw, spec["sha256"].get(part), url)
                parse_idx(raw, url)
            except (OSError, EOFError, DatasetError) as exc:
                errors.append(f"{url}: {exc}")
                continue
            atomic_write_bytes(folder / f"{part}.gz",
                               payload if compressed else gzip.compress(raw, mtime=0))
            break
        else:
            raise DatasetError(f"{name}: could not download {part}: " + "; ".join(errors))


def load_mnist(name: str = "mnist", data_dir=None, download: bool = True) -> MNIST:
    """The official train (60k) and test (10k) sets: uint8 images (N, 28, 28) and
    int64 labels."""
    folder, _ = locate(name, data_dir, download)
    sha = _spec(name)["sha256"]
    arrays = [read_idx(_file_in(folder, p), sha.get(p)) for p in PARTS]
    x_train, y_train, x_test, y_test = arrays
    for x, y, which in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DatasetError(f"{folder}: {which} images {x.shape} and labels {y.shape} "
                               "do not match")
    return MNIST(x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64))


# ----- the notebook's split and batches --------------------------------------------------
def to_float(images: np.ndarray, dtype=np.float32) -> np.ndarray:
    """(N, 28, 28) uint8 → (N, 784) in [0, 1]."""
    out = images.reshape(len(images), -1).astype(dtype)
    out /= dtype(255)  # in place: one float copy of the images, not three
    return out


def train_val_split(x: np.ndarray, y: np.ndarray, val_size: int = 10_000, seed: int = 42):
    """A stratified validation set carved from the training images (scikit-learn);
    the official test set is never touched."""
    from sklearn.model_selection import train_test_split

    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=val_size, stratify=y,
                                                random_state=seed)
    return x_tr, y_tr, x_val, y_val


def batches(x, y, batch_size: int, shuffle: bool = True, rng=None, drop_last: bool = False,
            as_tensor: bool = False):
    """Yield (x, y) mini-batches; the order comes from ``rng`` (seeded) when shuffling."""
    n = len(x)
    order = (rng or np.random.default_rng()).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        xb, yb = x[idx], y[idx]
        if as_tensor:
            import tensor

            xb, yb = tensor.from_numpy(xb), tensor.from_numpy(yb)
        yield xb, yb


CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"],
}
