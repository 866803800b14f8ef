"""Every misuse gives a message that names the op and the shapes or values."""

import numpy as np
import pytest

import tensor


def test_matmul_shape_message():
    a, b = tensor.zeros(32, 784), tensor.zeros(128, 64)
    with pytest.raises(RuntimeError) as err:
        a @ b
    assert str(err.value) == "matmul: shapes (32, 784) and (128, 64) cannot be multiplied"


def test_matmul_dtype_message():
    with pytest.raises(RuntimeError, match="matmul: .*float32 and float64"):
        tensor.zeros(2, 2) @ tensor.zeros(2, 2, dtype=tensor.float64)


def test_broadcast_failure_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"add: shapes \(3, 4\) and \(5,\) cannot be broadcast"):
        tensor.zeros(3, 4) + tensor.zeros(5)
    with pytest.raises(RuntimeError, match=r"mul: shapes \(2,\) and \(3,\)"):
        tensor.zeros(2) * tensor.zeros(3)


def test_backward_on_non_scalar_without_gradient():
    x = tensor.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"only for scalar outputs; got shape \(3,\)"):
        (x * 2).backward()


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tensor.ones(3).sum().backward()


def test_backward_gradient_shape_mismatch():
    x = tensor.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\)"):
        (x * 2).backward(np.ones(2))


def test_reshape_to_incompatible_size():
    with pytest.raises(RuntimeError, match=r"reshape: .*size 12.*\(3, 5\)|reshape: .*\(3, 4\)"):
        tensor.zeros(3, 4).reshape(3, 5)


@pytest.mark.parametrize("call", [lambda t: t.sum(2), lambda t: t.softmax(-3),
                                  lambda t: t.transpose(0, 5), lambda t: t.unsqueeze(4),
                                  lambda t: t.max(dim=7)])
def test_dim_out_of_range(call):
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range"):
        call(tensor.zeros(3, 4))


def test_unsupported_dtypes():
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        tensor.tensor(np.zeros(2, complex))
    with pytest.raises(TypeError, match="unsupported dtype float16"):
        tensor.zeros(2, dtype=np.float16)
    with pytest.raises(TypeError, match="cannot make a tensor"):
        tensor.tensor(["a", "b"])


def test_inplace_change_of_saved_input_is_detected():
    w = tensor.ones(3, requires_grad=True)
    x = tensor.tensor([1.0, 2.0, 3.0])
    y = (w * x).sum()
    x.mul_(2)  # Mul saved x for dw
    with pytest.raises(RuntimeError, match=r"mul: input 1 of shape \(3,\).*modified by an in-pl"):
        y.backward()


def test_inplace_change_of_saved_output_is_detected():
    x = tensor.ones(3, requires_grad=True)
    e = x.exp()
    with tensor.no_grad():
        e.add_(1)
    with pytest.raises(RuntimeError, match="exp: its output.*in-place"):
        e.sum().backward()


def test_inplace_on_leaf_that_requires_grad():
    w = tensor.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with tensor.no_grad():
        w.add_(1)  # allowed, as in PyTorch
    np.testing.assert_allclose(w.data, 2.0)


def test_item_and_bool_of_many_elements():
    with pytest.raises(RuntimeError, match="item: a Tensor with 3 elements"):
        tensor.zeros(3).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tensor.zeros(3))


def test_numpy_on_tensor_that_requires_grad():
    with pytest.raises(RuntimeError, match="detach"):
        tensor.zeros(2, requires_grad=True).numpy()


def test_cat_and_stack_mismatch():
    with pytest.raises(RuntimeError, match=r"cat: tensors of shapes \(2, 3\) and \(2, 4\)"):
        tensor.cat([tensor.zeros(2, 3), tensor.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="stack: expects each tensor to be equal size"):
        tensor.stack([tensor.zeros(2), tensor.zeros(3)])


def test_index_out_of_bounds():
    with pytest.raises(IndexError, match=r"index: .*\(tensor of shape \(3,\)\)"):
        tensor.zeros(3)[5]
