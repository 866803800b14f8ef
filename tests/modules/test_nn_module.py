import numpy as np
import pytest

import nn
import tensor


class Block(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(4, 3)
        self.heads = [nn.Linear(3, 2), nn.Linear(3, 2)]
        self.extra = {"scale": nn.Parameter(tensor.ones(2))}
        self.tied = self.fc  # shared: listed once


def test_named_parameters_walk_attributes_lists_dicts_without_duplicates():
    names = [n for n, _ in Block().named_parameters()]
    # a module's own parameters first, then its submodules' (as PyTorch orders them)
    assert names == ["extra.scale", "fc.weight", "fc.bias", "heads.0.weight", "heads.0.bias",
                     "heads.1.weight", "heads.1.bias"]
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [type(m).__name__ for m in model.children()] == ["Linear", "ReLU", "Linear"]
    assert len(list(model.modules())) == 4


def test_names_match_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 3), nn.Tanh()))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh()))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())
    assert repr(nn.LogSoftmax(dim=1)) == repr(torch.nn.LogSoftmax(dim=1))


def test_call_passes_positional_and_keyword_arguments_to_forward():
    class Scaled(nn.Module):
        def forward(self, x, scale=1.0, *, shift=0.0):
            return x * scale + shift

    m, x = Scaled(), tensor.tensor([1.0, 2.0])
    np.testing.assert_allclose(m(x).data, [1.0, 2.0])
    np.testing.assert_allclose(m(x, 3.0).data, [3.0, 6.0])
    np.testing.assert_allclose(m(x, scale=3.0, shift=1.0).data, [4.0, 7.0])


def test_linear_repr_shape_and_bad_input():
    lin = nn.Linear(784, 128)
    assert repr(lin) == "Linear(in_features=784, out_features=128, bias=True)"
    assert lin.weight.shape == (128, 784) and lin.bias.shape == (128,)
    with pytest.raises(RuntimeError) as err:
        lin(tensor.zeros(32, 100))
    assert str(err.value) == ("Linear(in_features=784, out_features=128) got input of shape "
                              "(32, 100)")
    with pytest.raises(RuntimeError, match="float32 weights but got float64 input"):
        lin(tensor.zeros(2, 784, dtype=tensor.float64))


def test_linear_default_init_bounds_like_torch():
    lin = nn.Linear(400, 50)
    bound = 1 / np.sqrt(400)
    assert np.abs(lin.weight.data).max() <= bound and np.abs(lin.bias.data).max() <= bound
    # U(-b, b) has std b/√3
    assert abs(lin.weight.data.std() - bound / np.sqrt(3)) < 0.05 * bound


def test_init_formulas():
    w = tensor.zeros(256, 512)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.data.std() - np.sqrt(2 / 512)) < 0.02 * np.sqrt(2 / 512)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.data).max() <= np.sqrt(6 / (256 + 512))
    nn.init.xavier_normal_(w)
    assert abs(w.data.std() - np.sqrt(2 / 768)) < 0.02 * np.sqrt(2 / 768)
    nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    assert np.abs(w.data).max() <= np.sqrt(2) * np.sqrt(3 / 256)
    nn.init.ones_(w)
    assert (w.data == 1).all()
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.kaiming_normal_(tensor.zeros(3))


def test_load_state_dict_reports_keys_and_shapes_by_name():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    state = model.state_dict()
    bad = dict(state)
    del bad["2.bias"]
    bad["9.weight"] = tensor.zeros(1)
    bad["0.weight"] = tensor.zeros(5, 5)
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(bad)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "2.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "9.weight"' in msg
    assert "size mismatch for 0.weight: copying a param with shape torch.Size([5, 5])" in msg
    other = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    weight = other[0].weight
    other.load_state_dict({k: v.data.copy() for k, v in state.items()})
    assert other[0].weight is weight  # loaded in place
    np.testing.assert_array_equal(other[2].bias.data, model[2].bias.data)
    keys = other.load_state_dict({"0.weight": state["0.weight"]}, strict=False)
    assert keys.missing_keys == ["0.bias", "2.weight", "2.bias"]


def test_sequential_indexing_and_modes():
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5), nn.Linear(3, 2))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    assert [type(m) for m in model] == [nn.Linear, nn.Dropout, nn.Linear]
    assert len(model[:2]) == 2
    model.eval()
    assert not model[1].training
    x = tensor.randn(8, 4)
    np.testing.assert_array_equal(model(x).data, model(x).data)
    model.train()
    assert model[1].training


def test_dropout_scales_in_training_and_is_identity_in_eval():
    drop = nn.Dropout(0.25)
    x = tensor.ones(200, 200)
    y = drop(x).data
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_zero_grad_and_module_dtype():
    model = nn.Sequential(nn.Linear(3, 2))
    model(tensor.ones(1, 3)).sum().backward()
    assert model[0].weight.grad is not None
    model.zero_grad()
    assert model[0].weight.grad is None
    model.double()
    assert model[0].weight.dtype == tensor.float64
