"""The same residual or normalized net in PyTorch, with the same weights: every per-block statistic agrees.

Skipped without torch (never a dependency). PyTorch computes the forward pass and autograd the backward
pass; initscope's hand-written backward must give the same stream gradients and weight-gradient norms.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from initscope.engine import network
from initscope.engine.config import Config
from initscope.engine.inputs import make_input
from initscope.engine.layer_weights import top_gradient
from initscope.engine.propagate import run
from initscope.engine.streams import Stream, layer_rng

torch = pytest.importorskip("torch")

CASES = [
    "arch=residual",
    "arch=residual branch_depth=1 act=tanh bias=normal",
    "preset=gpt2",
    "preset=bert",
    "preset=deepnorm",
    "preset=t5",
    "preset=fixup",
    "arch=residual norm=rmsnorm norm_placement=pre act=silu",
    "arch=residual norm=batchnorm norm_placement=post",
    "norm=layernorm act=gelu",
    "norm=batchnorm norm_placement=post act=tanh",
]


def _torch_norm(kind: str, x: Any) -> Any:
    f = torch.nn.functional
    if kind == "layernorm":
        return f.layer_norm(x, (x.shape[1],), eps=1e-5)
    if kind == "rmsnorm":
        return f.rms_norm(x, (x.shape[1],), eps=1e-5)
    return f.batch_norm(x, None, None, training=True, eps=1e-5)


def _torch_act(name: str) -> Any:
    f = torch.nn.functional
    return {"relu": f.relu, "tanh": torch.tanh, "gelu": f.gelu, "silu": f.silu}[name]


def _torch_run(cfg: Config) -> dict[str, np.ndarray]:
    net = network.build(cfg)
    x0 = make_input(cfg.input, cfg.batch, cfg.fan_in, layer_rng(cfg.seed, Stream.INPUT, 0), cfg.np_dtype)
    ws = [torch.tensor(w, requires_grad=True) for w in net.weights]
    bs = [None if b is None else torch.tensor(b) for b in net.biases]
    phi = _torch_act(cfg.activation)
    x = torch.tensor(x0)
    streams, added = [], []
    for i in range(cfg.n_layers):
        k0 = i * net.per_block
        if cfg.residual:
            h = _torch_norm(cfg.norm, x) if cfg.norm != "none" and cfg.norm_placement == "pre" else x
            for k in range(k0, k0 + net.per_block):
                h = phi(h) @ ws[k] + (0 if bs[k] is None else bs[k])
            branch = net.scale.alpha * h
            y = net.scale.stream * x + branch
            out = _torch_norm(cfg.norm, y) if cfg.norm != "none" and cfg.norm_placement == "post" else y
        else:
            branch = x @ ws[k0] + (0 if bs[k0] is None else bs[k0])
            z = _torch_norm(cfg.norm, branch) if cfg.norm_placement == "pre" else branch
            out = phi(z)
            out = _torch_norm(cfg.norm, out) if cfg.norm_placement == "post" else out
        out.retain_grad()
        streams.append(out)
        added.append(branch)
        x = out
    x.backward(torch.tensor(top_gradient(cfg)))
    dw = (
        np.array(
            [
                [float(torch.linalg.norm(ws[i * net.per_block + k].grad)) for k in range(net.per_block)]
                for i in range(cfg.n_layers)
            ]
        )
        / cfg.batch
    )
    return {
        "stream_std": np.array([float(s.detach().std(unbiased=False)) for s in streams]),
        "added_std": np.array([float(a.detach().std(unbiased=False)) for a in added]),
        "grad_std": np.array([float(s.grad.std(unbiased=False)) for s in streams]),
        "weight_grad_norm": np.sqrt((dw**2).sum(axis=1)),
    }


@pytest.mark.parametrize("text", CASES)
def test_every_block_statistic_matches_pytorch(text: str) -> None:
    cfg = Config.from_string(text + " fan_in=48 depth=6 batch=32 dtype=float64")
    ours = run(cfg, advise=False)
    theirs = _torch_run(cfg)
    # float64 throughout; the only differences are summation orders and gelu's erf (ours to 1.2e-7)
    tol = 1e-6 if cfg.activation == "gelu" else 1e-10
    assert np.allclose(ours.forward.activation.std, theirs["stream_std"], rtol=tol, atol=0)
    assert np.allclose(ours.forward.preactivation.std, theirs["added_std"], rtol=tol, atol=0)
    assert np.allclose(ours.backward.activation_grad_std, theirs["grad_std"], rtol=tol, atol=0)
    assert np.allclose(ours.backward.weight_grad_norm, theirs["weight_grad_norm"], rtol=tol, atol=1e-300)
