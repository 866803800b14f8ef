import os

import numpy as np
import pytest

import nn
import tensor
from tinygrad_mnist.training.model import mlp


def test_save_load_round_trip(tmp_path):
    model = mlp(seed=1)
    path = tmp_path / "model.safetensors"
    nn.save(model.state_dict(), path)
    loaded = nn.load(path)
    assert set(loaded) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(loaded[k].data, v.data)
    assert not list(tmp_path.glob("*.tmp"))
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # as open() would, not 0600


def test_interrupted_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    nn.save({"w": tensor.ones(3)}, path)
    before = path.read_bytes()

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"w": tensor.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


def test_bad_files_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file: .*missing.safetensors"):
        nn.load(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"this is not a safetensors file at all")
    with pytest.raises(ValueError, match="junk.safetensors is not a valid safetensors"):
        nn.load(junk)
    good = tmp_path / "good.safetensors"
    nn.save({"w": tensor.ones(100)}, good)
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(good.read_bytes()[:-50])
    with pytest.raises(ValueError, match="cut.safetensors is not a valid"):
        nn.load(cut)


def test_torch_loads_the_file_with_identical_logits(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    model = mlp(seed=3)
    path = tmp_path / "model.safetensors"
    nn.save(model.state_dict(), path)
    twin = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                               torch.nn.Linear(128, 64), torch.nn.ReLU(),
                               torch.nn.Linear(64, 10))
    twin.load_state_dict(load_file(path))
    x = np.random.default_rng(0).random((16, 784), dtype=np.float32)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(tensor.from_numpy(x)).data, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "int8", "uint16", "complex64"])
def test_a_file_of_an_unsupported_dtype_is_refused_in_one_line(tmp_path, dtype):
    from safetensors.numpy import save_file

    path = tmp_path / "w.safetensors"
    save_file({"w": np.ones(3, dtype)}, str(path))
    for load in (tensor.load, nn.load):
        with pytest.raises(ValueError, match=f"'w' has dtype {dtype}") as info:
            load(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("structure", [
    "[" * 5000 + "]" * 5000, "{not json", '{"tensor": "missing", "requires_grad": false}',
    '{"dict": [[1]], "ordered": false}', '{"tuple": 3}', '{"dict": 5}', '[1, {"list": 2}]',
])
def test_malformed_structure_metadata_is_one_value_error(tmp_path, structure):
    from safetensors.numpy import save_file

    from tensor.serialization import STRUCTURE

    path = tmp_path / "bad.safetensors"
    save_file({"_0": np.ones(2, np.float32)}, str(path), metadata={STRUCTURE: structure})
    with pytest.raises(ValueError, match="metadata is malformed") as info:
        tensor.load(path)
    assert str(path) in str(info.value)


def test_tied_weights_keep_every_name_in_the_state_dict_as_torch():
    torch = pytest.importorskip("torch")

    def tied(lib_nn):
        enc, dec = lib_nn.Linear(4, 3, bias=False), lib_nn.Linear(3, 4, bias=False)
        model = lib_nn.Sequential(enc, lib_nn.ReLU(), dec, enc)  # a shared module too
        dec.weight = enc.weight if enc.weight.shape == dec.weight.shape else dec.weight
        model.head = lib_nn.Linear(4, 4)
        model.tail = model.head
        return model

    ours, theirs = tied(nn), tied(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    # PyTorch's state dict loads here, strictly, and back
    ours.load_state_dict({k: tensor.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in
                            ours.state_dict().items()})
    np.testing.assert_array_equal(ours.head.weight.detach().numpy(),
                                  theirs.head.weight.detach().numpy())


def test_a_saved_state_keeps_requires_grad_and_every_dtype(tmp_path):
    """tensor.save/load keep requires_grad per tensor; nn.save/load and tensor's keep
    float32, float64, int64, int32, uint8 and bool arrays as they were."""
    rng = np.random.default_rng(0)
    values = {"f32": rng.standard_normal(3).astype(np.float32),
              "f64": rng.standard_normal((2, 2)), "i64": np.arange(4, dtype=np.int64) - 2**40,
              "i32": np.arange(3, dtype=np.int32), "u8": np.arange(5, dtype=np.uint8),
              "b": np.array([True, False])}
    state = {k: tensor.tensor(v, requires_grad=k.startswith("f") and k != "f32")
             for k, v in values.items()}
    tensor.save(state, tmp_path / "a.pt")
    nn.save(state, tmp_path / "b.safetensors")
    for loaded, keeps_grad in ((tensor.load(tmp_path / "a.pt"), True),
                               (nn.load(tmp_path / "b.safetensors"), False)):
        for k, v in values.items():
            assert loaded[k].data.dtype == v.dtype, k
            np.testing.assert_array_equal(loaded[k].data, v)
            assert loaded[k].requires_grad == (keeps_grad and state[k].requires_grad), k
