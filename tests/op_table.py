"""The ops under test, written once so the same lambda runs on this engine and on
PyTorch (the names and semantics are the same by design). Each entry:
name -> (function, input kind). Kinds say which inputs are safe for finite
differences (away from kinks and outside domains)."""

import numpy as np

SHAPES = [(), (4,), (3, 4), (1, 4), (3, 1)]


def broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


BINARY_PAIRS = [(a, b) for a in SHAPES for b in SHAPES if broadcastable(a, b)]

BINARY = {
    "add": lambda a, b, lib: a + b,
    "sub": lambda a, b, lib: a - b,
    "mul": lambda a, b, lib: a * b,
    "div": lambda a, b, lib: a / b,
    "pow": lambda a, b, lib: a**b,
    "rsub_scalar": lambda a, b, lib: 2.0 - a * b,
    "atan2": lambda a, b, lib: lib.atan2(a, b),
    "remainder": lambda a, b, lib: a % (b + 3.0),
    "fmod": lambda a, b, lib: lib.fmod(a, b - 3.0),
    "where": lambda a, b, lib: lib.where(a > 0.5, a, b),
}

UNARY = {
    "neg": (lambda x, lib: -x, "any"),
    "exp": (lambda x, lib: x.exp(), "any"),
    "log": (lambda x, lib: x.log(), "positive"),
    "sqrt": (lambda x, lib: x.sqrt(), "positive"),
    "relu": (lambda x, lib: x.relu(), "nonzero"),
    "sigmoid": (lambda x, lib: x.sigmoid(), "any"),
    "tanh": (lambda x, lib: x.tanh(), "any"),
    "abs": (lambda x, lib: x.abs(), "nonzero"),
    "clamp": (lambda x, lib: x.clamp(-0.5, 0.5), "nonzero"),
    "pow2": (lambda x, lib: x**2, "any"),
    "pow_half": (lambda x, lib: x**0.5, "positive"),
    "rdiv": (lambda x, lib: 1.0 / x, "positive"),
    "sum": (lambda x, lib: x.sum(), "any"),
    "mean": (lambda x, lib: x.mean(), "any"),
    "amax": (lambda x, lib: x.amax(), "any"),
    "max": (lambda x, lib: x.max(), "any"),
    "min": (lambda x, lib: x.min(), "any"),
    "sin": (lambda x, lib: x.sin(), "any"),
    "cos": (lambda x, lib: x.cos(), "any"),
    "tan": (lambda x, lib: x.tan(), "unit"),
    "asin": (lambda x, lib: x.asin(), "unit"),
    "acos": (lambda x, lib: lib.acos(x), "unit"),
    "atan": (lambda x, lib: lib.arctan(x), "any"),
    "sinh": (lambda x, lib: x.sinh(), "any"),
    "cosh": (lambda x, lib: x.cosh(), "any"),
    "log2": (lambda x, lib: x.log2(), "positive"),
    "log10": (lambda x, lib: lib.log10(x), "positive"),
    "log1p": (lambda x, lib: x.log1p(), "positive"),
    "expm1": (lambda x, lib: x.expm1(), "any"),
    "rsqrt": (lambda x, lib: x.rsqrt(), "positive"),
    # issue #22's families
    "erf": (lambda x, lib: lib.erf(x), "any"),
    "logit": (lambda x, lib: (x.sigmoid() * 0.8 + 0.1).logit(), "any"),
    "prod": (lambda x, lib: x.prod(), "any"),
    "cumsum": (lambda x, lib: x.cumsum(-1), "any"),
    "cumprod": (lambda x, lib: lib.cumprod(x, -1), "any"),
    "sort": (lambda x, lib: x.sort(-1, descending=True).values, "any"),
    "topk": (lambda x, lib: x.topk(1, -1).values, "any"),
    "median": (lambda x, lib: x.median(), "any"),
    "maximum": (lambda x, lib: lib.maximum(x, x * 0.5), "nonzero"),
    "clamp_min": (lambda x, lib: lib.clamp_min(x, -0.5), "nonzero"),
    "lerp": (lambda x, lib: x.lerp(x.exp(), 0.3), "any"),
    # rounding (flat: a gradient of 0 away from the jumps; frac passes g through)
    "floor": (lambda x, lib: x.floor() + x, "any"),
    "round_decimals": (lambda x, lib: lib.round(x, decimals=1) * x, "any"),
    "frac": (lambda x, lib: x.frac(), "any"),
}

# Ops that need at least 2 dimensions: (3, 4) inputs.
MATRIX = {
    "sum_dim0": lambda x, lib: x.sum(0),
    "sum_dim1_keep": lambda x, lib: x.sum(dim=1, keepdim=True),
    "sum_dims": lambda x, lib: x.sum(dim=(0, 1)),
    "mean_dim_neg": lambda x, lib: x.mean(-1),
    "amax_dim": lambda x, lib: x.amax(1),
    "max_dim_values": lambda x, lib: x.max(dim=1)[0],
    "max_dim_keep": lambda x, lib: x.max(dim=0, keepdim=True).values,
    "min_dim": lambda x, lib: x.min(dim=1).values,
    "softmax0": lambda x, lib: x.softmax(0),
    "softmax1": lambda x, lib: x.softmax(dim=1),
    "log_softmax1": lambda x, lib: x.log_softmax(dim=1),
    "log_softmax0": lambda x, lib: x.log_softmax(0),
    "reshape": lambda x, lib: x.reshape(2, 6) * 1.5,
    "view_neg": lambda x, lib: x.view(-1, 2),
    "flatten": lambda x, lib: x.flatten(),
    "transpose": lambda x, lib: x.transpose(0, 1),
    "T": lambda x, lib: x.T,
    "permute": lambda x, lib: x.permute(1, 0),
    "unsqueeze": lambda x, lib: x.unsqueeze(1),
    "squeeze": lambda x, lib: x.unsqueeze(0).squeeze(0),
    "expand": lambda x, lib: x[:1].expand(5, 4),
    "slice": lambda x, lib: x[1:, ::2],
    "index_int": lambda x, lib: x[1],
    "index_array_repeats": lambda x, lib: x[[0, 2, 0, 0]],
    "index_pairs": lambda x, lib: x[[0, 1, 2], [3, 3, 0]],
    "index_mask": lambda x, lib: x[x.detach() > 0],
    "gather": lambda x, lib: x.gather(1, lib.tensor([[0, 0], [1, 3], [2, 1]])),
    "cat": lambda x, lib: lib.cat([x, x * 2, x[:1]], dim=0),
    "stack": lambda x, lib: lib.stack([x, x.exp()], dim=1),
    "matmul_vec": lambda x, lib: x @ x[0],
    "chain": lambda x, lib: ((x * 2).exp().sum(1) / 3).log().tanh(),
    # issue #22's families
    "prod_dim": lambda x, lib: x.prod(1),
    "cumprod_dim0": lambda x, lib: x.cumprod(0),
    "cumsum_dim0": lambda x, lib: lib.cumsum(x, dim=0),
    "sort_dim0": lambda x, lib: x.sort(dim=0).values,
    "topk_dim": lambda x, lib: lib.topk(x, 2, dim=1).values,
    "median_dim": lambda x, lib: x.median(dim=1).values,
    "kthvalue": lambda x, lib: x.kthvalue(3, dim=1).values,
    "maximum_rows": lambda x, lib: lib.maximum(x, x[1:2]),
    "min_two": lambda x, lib: lib.min(x, x[0] * 0.5),
    "clamp_tensors": lambda x, lib: lib.clamp(x, min=x[0] * 0.5, max=x[1].abs() + 1),
    "lerp_tensor": lambda x, lib: x.lerp(x * 2, x.sigmoid()),
}


# Inputs at the points where a derivative has a kink or a bound, compared with
# PyTorch only (finite differences are meaningless there): name -> (function, input)
EDGES = {
    "abs_at_0": (lambda x, lib: x.abs(), [[0.0, -0.0, 1.5], [-2.0, 0.0, 3.0]]),
    "relu_at_0": (lambda x, lib: x.relu(), [[0.0, -0.0, 1.0], [-1.0, 0.0, 2.0]]),
    "clamp_at_bounds": (lambda x, lib: x.clamp(-0.5, 0.5), [[-0.5, 0.5, 0.0], [0.7, -0.7, 0.5]]),
    "clamp_min_at_bound": (lambda x, lib: x.clamp(min=0.0), [[0.0, 1.0, -1.0], [0.0, 2.0, 0.0]]),
    "max_at_ties": (lambda x, lib: x.amax(), [[1.0, 3.0, 3.0], [3.0, 0.0, -1.0]]),
    "prod_one_zero": (lambda x, lib: x.prod(), [[0.0, 2.0, 3.0], [1.5, -1.0, 2.0]]),
    "prod_zeros_dim": (lambda x, lib: x.prod(1), [[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]]),
    "prod_two_zeros": (lambda x, lib: x.prod(), [[0.0, 2.0, 0.0], [1.0, 4.0, 3.0]]),
    "cumprod_zeros": (lambda x, lib: x.cumprod(1), [[2.0, 0.0, 3.0], [0.0, 1.5, 0.0]]),
    "maximum_ties": (lambda x, lib: lib.maximum(x, x * 0 + 1), [[1.0, 2.0, 1.0], [0.0, 1.0, 3.0]]),
    "median_ties": (lambda x, lib: x.median(), [[1.0, 2.0, 2.0], [2.0, 0.0, 3.0]]),
    "clamp_tensor_bounds": (lambda x, lib: lib.clamp(x, min=x * 0 + 0.5, max=x * 0 + 1),
                            [[0.5, 1.0, 0.7], [0.2, 1.5, 0.5]]),
}
PERMUTES = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0), (-1, 0, 1)]


def sample(rng, shape, kind="any"):
    x = rng.standard_normal(shape)
    if kind == "positive":
        x = np.abs(x) + 0.5
    elif kind == "unit":  # inside (−1, 1), away from its ends
        x = np.tanh(x) * 0.8
    elif kind == "nonzero":
        # keep clear of the kink at 0 and of clamp's edges at ±0.5
        x = np.where(np.abs(x) < 0.1, 0.2, x)
        x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, 0.7, x)
    return x


# issue #22 leftovers: triangles, unbind, fixed-rank products, numbers on the left,
# in-place updates recorded on tensors in the graph
def _setitem(x, lib):
    y = x * 1
    y[1] = x[0].exp()
    y[:, 2] = 0.5
    return y


def _iadd(x, lib):
    out = x @ x.T
    out += x[:, 0]
    out *= 2
    return out


MATRIX.update({
    "tril": lambda x, lib: x.tril(),
    "triu_k": lambda x, lib: lib.triu(x, diagonal=1),
    "tril_neg_k": lambda x, lib: lib.tril(x, -1),
    "unbind1": lambda x, lib: lib.stack(lib.unbind(x, 1)[1:3]),
    "unbind0": lambda x, lib: x.unbind()[2] * x.unbind(dim=-2)[0],
    "dot": lambda x, lib: lib.dot(x[0], x[1]),
    "mv": lambda x, lib: lib.mv(x, x[1]),
    "outer": lambda x, lib: lib.outer(x[0], x[:, 1]),
    "bmm": lambda x, lib: lib.bmm(x.reshape(1, 3, 4), x.T.reshape(1, 4, 3)),
    "mm": lambda x, lib: lib.mm(x, x.T),
    "rsub_number": lambda x, lib: 2 - x,
    "rdiv_number": lambda x, lib: 3 / x.exp(),
    "inplace_iadd": _iadd,
    "inplace_methods": lambda x, lib: (x * 1).add_(x.exp(), alpha=2).sub_(x).mul_(x).div_(
        x.exp()).clamp_(-1, 1),
    "inplace_unary": lambda x, lib: (x * 1).tril_(1).abs_().add_(0.5).sqrt_(),
    "inplace_relu": lambda x, lib: (x * 1).triu_(-1).relu_(),
    "inplace_setitem": _setitem,
    "inplace_copy": lambda x, lib: (x * 1).copy_(x[0].tanh()),
})


# the names after the basics (tests/parity/test_more_names.py has the full sweep): each
# multiplied by a function of x, so that their second derivatives are not all 0
MATRIX.update({
    "split_qk": lambda x, lib: (lambda q, k: q * k.exp())(*x.split(2, dim=1)),
    "split_sizes": lambda x, lib: lib.split(x, [1, 2], 0)[1] * x[:2].sin(),
    "chunk_contiguous": lambda x, lib: x.T.chunk(3)[0].contiguous() * x[:, :2].T,
    "tensor_split": lambda x, lib: x.tensor_split(3, dim=1)[0] * x.sum(),
    "narrow_neg": lambda x, lib: lib.narrow(x, -1, -3, 2) ** 2,
    "movedim": lambda x, lib: x.reshape(3, 2, 2).movedim(0, -1) * x.sum(),
    "swapaxes_unflatten": lambda x, lib: x.swapaxes(0, 1).unflatten(0, (2, -1)) * x.sum(0).exp(
        ).reshape(2, 2, 1),
    "flip_roll": lambda x, lib: x.flip(0, 1) * lib.roll(x, (1, -2), (0, 1)),
    "fliplr_flipud": lambda x, lib: x.fliplr() * x.flipud().tanh(),
    "roll_flat": lambda x, lib: x.roll(5) * x,
    "repeat_tile": lambda x, lib: x.repeat(2, 1, 2) * lib.tile(x, (2, 1, 2)).exp(),
    "repeat_interleave": lambda x, lib: x.repeat_interleave(lib.tensor([1, 0, 2]), dim=0) ** 2,
    "index_select": lambda x, lib: x.index_select(1, lib.tensor([3, 0, 3])) * x[:, :3],
    "masked_select": lambda x, lib: x.masked_select(x.detach() > 0) ** 3,
    "expand_as_broadcast": lambda x, lib: x[:1].expand_as(x) * lib.broadcast_to(x[:, :1], (3, 4)),
    "broadcast_tensors": lambda x, lib: lib.mul(*lib.broadcast_tensors(x[0], x[:, 1:2])),
    "diagonal_trace": lambda x, lib: x.diagonal(1) * x.trace() + lib.diagonal(x, -1).sum(),
    "diag": lambda x, lib: lib.diag(x[0], 1) * lib.diag(x).sum() ** 2,
    "square_neg_sign": lambda x, lib: x.square() * lib.negative(x) + x.sign() * x,
    "addmm": lambda x, lib: lib.addmm(x[:, :1], x, x.T, beta=0.5, alpha=2).tanh(),
    "baddbmm": lambda x, lib: lib.baddbmm(x[:, 0], x[None], x.T[None], alpha=-1) ** 2,
    "addcmul_addcdiv": lambda x, lib: lib.addcmul(x, x, x.exp(), value=0.5).addcdiv(
        x, x * x + 1, value=2),
    "inplace_addcmul": lambda x, lib: (x * 1).addcmul_(x, x.sin(), value=3).addcdiv_(x, x.exp()),
    "inplace_pow_square": lambda x, lib: (x * 1).pow_(3).square_(),
    "nan_to_num": lambda x, lib: lib.nan_to_num(x.log(), nan=0.5) * x,
    "diff": lambda x, lib: x.diff() * x.diff(n=2, dim=0, prepend=x[:1]).sum(),
    "einsum_attention": lambda x, lib: lib.einsum(
        "ij,kj->ik", x, x.exp()).softmax(-1) @ x,
    "einsum_batched": lambda x, lib: lib.einsum(
        "bij,bjk->bik", x.reshape(3, 2, 2), x.reshape(3, 2, 2).exp()),
    "einsum_diagonal": lambda x, lib: lib.einsum("ii->i", x[:, :3]) * lib.einsum("ii", x[:, 1:]),
    "einsum_implicit": lambda x, lib: lib.einsum("ij,j", x, x[0]) ** 2 + lib.einsum(
        "...j->...", x.exp()),
})


# nn.functional's activations, normalisations, losses, pad and attention (composed
# from the ops above, or fused: binary_cross_entropy), through `lib`'s functional
def _F(lib):
    import importlib

    return importlib.import_module("torch.nn.functional" if lib.__name__ == "torch"
                                   else "nn.functional")


UNARY.update({
    "F_gelu": (lambda x, lib: _F(lib).gelu(x), "any"),
    "F_gelu_tanh": (lambda x, lib: _F(lib).gelu(x, approximate="tanh"), "any"),
    "F_silu": (lambda x, lib: _F(lib).silu(x), "any"),
    "F_leaky_relu": (lambda x, lib: _F(lib).leaky_relu(x, 0.2), "nonzero"),
    "F_elu": (lambda x, lib: _F(lib).elu(x, alpha=0.7), "nonzero"),
    "F_softplus": (lambda x, lib: _F(lib).softplus(x, beta=2.0, threshold=3.0), "nonzero"),
    "F_l1_loss": (lambda x, lib: _F(lib).l1_loss(x, lib.zeros_like(x) + 0.05), "nonzero"),
    "F_smooth_l1_loss": (lambda x, lib: _F(lib).smooth_l1_loss(
        x, lib.zeros_like(x), beta=0.5, reduction="sum"), "nonzero"),
    "F_huber_loss": (lambda x, lib: _F(lib).huber_loss(x, lib.zeros_like(x), delta=0.5,
                                                       reduction="none"), "nonzero"),
    "F_binary_cross_entropy": (lambda x, lib: _F(lib).binary_cross_entropy(
        x.sigmoid(), lib.zeros_like(x) + 0.3), "any"),
    "F_binary_cross_entropy_target": (lambda x, lib: _F(lib).binary_cross_entropy(
        lib.zeros_like(x) + 0.4, x.sigmoid(), reduction="sum"), "any"),
})

MATRIX.update({
    "F_layer_norm": lambda x, lib: _F(lib).layer_norm(x, (4,)),
    "F_layer_norm_affine": lambda x, lib: _F(lib).layer_norm(x, [3, 4], x.exp(), x * 2),
    "F_batch_norm": lambda x, lib: _F(lib).batch_norm(x, None, None, training=True),
    "F_batch_norm_affine": lambda x, lib: _F(lib).batch_norm(
        x.reshape(3, 2, 2), None, None, x[0, :2].exp(), x[1, 2:], training=True, eps=1e-3),
    "F_normalize": lambda x, lib: _F(lib).normalize(x, dim=1),
    "F_cosine_similarity": lambda x, lib: _F(lib).cosine_similarity(x, x.exp(), dim=1),
    "F_pad": lambda x, lib: _F(lib).pad(x, (1, 2, 0, 1), value=0.5),
    "F_pad_crop": lambda x, lib: _F(lib).pad(x, (-1, 1)),
    "F_pad_reflect": lambda x, lib: _F(lib).pad(x, (2, 1), mode="reflect"),
    "F_pad_replicate": lambda x, lib: _F(lib).pad(x.unsqueeze(0), (1, 2, 2, 0),
                                                  mode="replicate"),
    "F_pad_circular": lambda x, lib: _F(lib).pad(x, (3, 1), mode="circular"),
    "F_kl_div": lambda x, lib: _F(lib).kl_div(x.log_softmax(1), x.softmax(0),
                                              reduction="batchmean"),
    "F_kl_div_log_target": lambda x, lib: _F(lib).kl_div(x.log_softmax(1), x.log_softmax(0),
                                                         reduction="sum", log_target=True),
    "F_sdpa_causal": lambda x, lib: _F(lib).scaled_dot_product_attention(
        x.reshape(1, 3, 4), x.exp().reshape(1, 3, 4), x.reshape(1, 3, 4), is_causal=True),
    "F_sdpa_mask": lambda x, lib: _F(lib).scaled_dot_product_attention(
        x[:2], x, x * 2, attn_mask=x[:2, :3] > 0),
})

# the activations after the basics (hardsigmoid is in tests/modules/test_activations_more.py:
# PyTorch has no second derivative for it); each scaled to reach its kinks and flat parts
UNARY.update({
    "F_hardtanh": (lambda x, lib: _F(lib).hardtanh(x, -0.5, 0.5), "nonzero"),
    "F_relu6": (lambda x, lib: _F(lib).relu6(x * 4), "nonzero"),
    "F_logsigmoid": (lambda x, lib: _F(lib).logsigmoid(x * 3), "any"),
    "F_hardswish": (lambda x, lib: _F(lib).hardswish(x * 3), "any"),
    "F_mish": (lambda x, lib: _F(lib).mish(x * 2), "any"),
    "F_selu": (lambda x, lib: _F(lib).selu(x), "nonzero"),
    "F_celu": (lambda x, lib: _F(lib).celu(x, alpha=0.5), "nonzero"),
    "F_softsign": (lambda x, lib: _F(lib).softsign(x), "nonzero"),
    "F_tanhshrink": (lambda x, lib: _F(lib).tanhshrink(x), "any"),
    "F_threshold": (lambda x, lib: _F(lib).threshold(x, 0.5, -2.0), "nonzero"),
    "F_hardshrink": (lambda x, lib: _F(lib).hardshrink(x), "nonzero"),
    "F_softshrink": (lambda x, lib: _F(lib).softshrink(x), "nonzero"),
})

MATRIX.update({
    "F_softmin": lambda x, lib: _F(lib).softmin(x, dim=1),
    "F_softmin_dtype": lambda x, lib: _F(lib).softmin(x * 2, 0, dtype=lib.float64),
    "F_glu": lambda x, lib: _F(lib).glu(x),
    "F_glu_dim0": lambda x, lib: _F(lib).glu(x[:2], 0) * x[2],
})

EDGES.update({  # PyTorch's subgradients at the kinks and bounds (and its −0)
    "F_hardtanh_at_bounds": (lambda x, lib: _F(lib).hardtanh(x), [[-1.0, 1.0, 0.0],
                                                                  [1.5, -1.5, -0.0]]),
    "F_relu6_at_bounds": (lambda x, lib: _F(lib).relu6(x), [[0.0, 6.0, -0.0], [3.0, 7.0, -1.0]]),
    "F_hardswish_at_kinks": (lambda x, lib: _F(lib).hardswish(x), [[-3.0, 3.0, 0.0],
                                                                   [-4.0, 4.0, 2.9]]),
    "F_hardsigmoid_at_kinks": (lambda x, lib: _F(lib).hardsigmoid(x), [[-3.0, 3.0, 0.0],
                                                                       [-4.0, 4.0, 2.9]]),
    "F_threshold_at_it": (lambda x, lib: _F(lib).threshold(x, 1.0, 5.0), [[1.0, 0.0, 2.0],
                                                                         [-1.0, 1.0, 1.5]]),
    "F_hardshrink_at_lambd": (lambda x, lib: _F(lib).hardshrink(x), [[0.5, -0.5, 0.0],
                                                                     [0.7, -0.7, 0.5]]),
    "F_softshrink_at_lambd": (lambda x, lib: _F(lib).softshrink(x), [[0.5, -0.5, 0.0],
                                                                     [0.7, -0.7, -0.0]]),
    "F_selu_celu_at_0": (lambda x, lib: _F(lib).selu(x) + _F(lib).celu(x, 2.0),
                         [[0.0, -0.0, 1.0], [-1.0, 0.0, 2.0]]),
    "F_logsigmoid_softsign_at_0": (lambda x, lib: _F(lib).logsigmoid(x) * _F(lib).softsign(x),
                                   [[0.0, -0.0, 1.0], [-1.0, 0.0, 2.0]]),
})
