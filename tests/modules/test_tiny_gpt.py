"""A nanoGPT-shaped model written once for both libraries (Embedding, ModuleList of
blocks with LayerNorm, causal scaled_dot_product_attention, GELU, a ModuleDict,
dropout off) with PyTorch's weights loaded: the same logits, loss and gradients,
and a few AdamW steps that keep them equal."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")


def _gpt(lib, vocab=11, block=6, d=8, heads=2, layers=2):
    m = torch.nn if lib is torch else nn
    F = torch.nn.functional if lib is torch else nn.functional

    class Attention(m.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = m.Linear(d, 3 * d)
            self.c_proj = m.Linear(d, d)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(x).reshape(B, T, 3, heads, C // heads).permute(
                2, 0, 3, 1, 4).unbind(0)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).reshape(B, T, C))

    class Block(m.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn, self.ln_2 = m.LayerNorm(d), Attention(), m.LayerNorm(d)
            self.mlp = m.ModuleDict({"c_fc": m.Linear(d, 4 * d), "act": m.GELU(approximate="tanh"),
                                     "c_proj": m.Linear(4 * d, d)})

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            mlp = self.mlp
            return x + mlp["c_proj"](mlp["act"](mlp["c_fc"](self.ln_2(x))))

    class GPT(m.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = m.Embedding(vocab, d), m.Embedding(block, d)
            self.h = m.ModuleList([Block() for _ in range(layers)])
            self.ln_f = m.LayerNorm(d, bias=False)
            self.lm_head = m.Linear(d, vocab, bias=False)

        def forward(self, idx):
            T = idx.shape[1]
            x = self.wte(idx) + self.wpe(lib.arange(T))
            for block in self.h:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    return GPT()


def test_tiny_gpt_matches_torch():
    theirs = _gpt(torch).double()
    ours = _gpt(tensor).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    opt_t = torch.optim.AdamW(theirs.parameters(), lr=1e-2)
    opt_o = nn.optim.AdamW(ours.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    for _ in range(3):
        idx = rng.integers(0, 11, (3, 6))
        target = rng.integers(0, 11, 18)
        losses = []
        for model, lib, opt in ((ours, tensor, opt_o), (theirs, torch, opt_t)):
            F = torch.nn.functional if lib is torch else nn.functional
            opt.zero_grad()
            logits = model(lib.tensor(idx))
            loss = F.cross_entropy(logits.reshape(-1, 11), lib.tensor(target))
            loss.backward()
            losses.append(loss.item())
        np.testing.assert_allclose(losses[0], losses[1], rtol=1e-10)
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-7, atol=1e-10,
                                       err_msg=name)
        opt_o.step()
        opt_t.step()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-7,
                                   atol=1e-10, err_msg=name)
