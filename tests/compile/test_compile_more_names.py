"""tensor.compile with the names after the basics: a nanoGPT attention block (split,
view, transpose, contiguous), a step that uses the rest, and one that uses the no-grad
tests and rounding, compiled and eager, equal step by step (loss, gradients, weights
after SGD), with nothing run eagerly."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import nn
import nn.functional as F
import tensor


class CausalSelfAttention(nn.Module):
    """nanoGPT's block: q, k, v = c_attn(x).split(C, dim=2), heads by view/transpose,
    back with transpose(1, 2).contiguous().view(B, T, C)."""

    def __init__(self, n_embd=8, n_head=2, block_size=5):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, dtype=np.float64)
        self.c_proj = nn.Linear(n_embd, n_embd, dtype=np.float64)
        self.n_head, self.n_embd = n_head, n_embd
        self.bias = tensor.tril(tensor.ones(block_size, block_size)).view(
            1, 1, block_size, block_size)  # nanoGPT's causal mask (a buffer there)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Mixer(nn.Module):
    """Every other new differentiable name, once, in one forward."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(tensor.tensor(np.linspace(-1, 1, 24).reshape(4, 6)))
        self.b = nn.Parameter(tensor.tensor(np.linspace(0.5, 1.5, 4)))

    def forward(self, x):  # x: (3, 4)
        h = tensor.addmm(self.b, x, self.w[:, :4], beta=0.5, alpha=2.0)
        a, c = h.chunk(2, dim=1)
        h = tensor.cat([a.flip(0), tensor.roll(c, 1, 0)], 1).square().sign() * h
        h = h + tensor.einsum("ij,kj->ik", h, self.w[:, :4]).narrow(1, 0, 4)
        h = h.unflatten(1, (2, 2)).movedim(0, -1).swapaxes(0, 1).reshape(3, 4)
        h = h.addcmul(h, x.tanh(), value=0.5).addcdiv(x, h * h + 1)
        m = self.w.repeat(1, 1)[:, :4].tile(1, 1)
        h = h + tensor.baddbmm(h[None], h[None], m[None]).squeeze(0)
        h = h + tensor.diagonal(m).expand_as(h[:, :4]) + m.trace()
        h = h + tensor.nan_to_num(h.log())
        h = h + h.diff(dim=0, prepend=h[:1]).tensor_split(2, 1)[0].sum()
        return tensor.broadcast_to(h.sum(0), (2, 4)).mean() + h.type_as(x).negative().mean()


class Tester(nn.Module):
    """The no-grad tests, the logical ops, all/any, isclose, rounding and the rounding
    divisions (%, fmod, //), in one forward: the replay must compute the masks again
    from each call's values."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(tensor.tensor(np.linspace(-2, 2, 16).reshape(4, 4)))

    def forward(self, x):  # x: (3, 4)
        h = (x @ self.w).log()  # NaN where negative
        ok = tensor.isfinite(h) & ~h.isnan() & ~tensor.isinf(h)
        keep = (h > 0).any(1, keepdim=True) | tensor.logical_and(h < 1, ~h.signbit()).all(
            dim=1, keepdim=True)
        h = tensor.where(ok, h, 0.0) * keep.logical_not().logical_xor(ok)
        near = tensor.isclose(h, h.round(decimals=1), atol=0.02).float()
        wrapped = h % 0.7 + tensor.fmod(h, -1.3) * (h.detach() // 0.5) + 3 % (h.detach() + 5)
        return (h.round(decimals=1) + h.frac() * h * near + tensor.floor(h) + h.ceil()
                + h.trunc() + wrapped)


@pytest.mark.parametrize("make,shape", [(CausalSelfAttention, (2, 5, 8)), (Mixer, (3, 4)),
                                        (Tester, (3, 4))],
                         ids=["attention", "mixer", "tests and rounding"])
def test_a_training_step_with_the_new_names_replays_as_eager(make, shape):
    tensor.manual_seed(0)
    eager_model = make()
    compiled_model = copy.deepcopy(eager_model)

    def step_for(model):
        opt = nn.optim.SGD(model.parameters(), lr=0.05)

        def step(x):
            opt.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        return step

    eager, compiled = step_for(eager_model), tensor.compile(step_for(compiled_model))
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = rng.standard_normal(shape)
        want, got = eager(tensor.tensor(x)), compiled(tensor.tensor(x))
        np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)
        for (name, p), q in zip(eager_model.named_parameters(), compiled_model.parameters()):
            np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-12,
                                       err_msg=name)
    assert compiled.eager_reason is None and compiled.recorded == 1
