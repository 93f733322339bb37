"""The training race's losses, and what every trainable network does with them.

Softmax cross-entropy for classification, mean squared error for regression, both reduced as torch's mean
reduction; `Trainable` gives a network with `forward` and `backward` its loss, gradients and evaluation,
so the plain MLP and the residual networks compute them the same way.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from initscope.engine.arrays import Array

EVAL_CHUNK = 8192


def _softmax_parts(logits: Array, y: npt.NDArray[Any]) -> tuple[Array, Array, float, int]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y], dtype=np.float64))
    correct = int(np.count_nonzero(logits.argmax(axis=1) == y))
    return exp, total, loss, correct


def loss_value(logits: Array, y: npt.NDArray[Any], task: str) -> tuple[float, int]:
    """Mean softmax cross-entropy (with correct predictions) or mean squared error over all elements."""
    if task == "classification":
        _, _, loss, correct = _softmax_parts(logits, y)
        return loss, correct
    diff = logits - y
    return float(np.mean(diff * diff, dtype=np.float64)), 0


def loss_and_dlogits(logits: Array, y: npt.NDArray[Any], task: str) -> tuple[float, int, Array]:
    """The loss and its gradient with respect to the logits (mean over the batch, as torch's reduction)."""
    n = len(logits)
    if task == "classification":
        exp, total, loss, correct = _softmax_parts(logits, y)
        exp /= total
        exp[np.arange(n), y] -= 1.0
        exp *= exp.dtype.type(1.0 / n)
        return loss, correct, exp
    diff = logits - y
    loss = float(np.mean(diff * diff, dtype=np.float64))
    diff *= diff.dtype.type(2.0 / diff.size)
    return loss, 0, diff


class Trainable:
    """Loss, gradients and evaluation for a network that has `forward(x, keep)` -> (logits, inputs, zs) and
    `backward(inputs, zs, dlogits)` -> (dW list, db list)."""

    def forward(self, x: Array, keep: bool = True) -> tuple[Array, list[Array], list[Any]]:
        """(logits, each layer's input, what each layer's backward step needs: the network's own choice)."""
        raise NotImplementedError

    def backward(self, inputs: list[Array], zs: list[Any], dlogits: Array) -> tuple[list[Array], list[Array]]:
        raise NotImplementedError

    def loss_and_gradients(
        self, x: Array, y: npt.NDArray[Any], task: str
    ) -> tuple[float, int, list[Array], list[Array]]:
        """(mean loss, correct predictions, dW list, db list) on one batch."""
        logits, inputs, zs = self.forward(x, keep=True)
        loss, correct, dlogits = loss_and_dlogits(logits, y, task)
        dws, dbs = self.backward(inputs, zs, dlogits)
        return loss, correct, dws, dbs

    def evaluate(self, x: Array, y: npt.NDArray[Any], task: str) -> tuple[float, float]:
        """(mean loss, accuracy) over all rows, in chunks so memory stays bounded; accuracy NaN for regression."""
        total, correct = 0.0, 0
        for start in range(0, len(x), EVAL_CHUNK):
            logits, _, _ = self.forward(x[start : start + EVAL_CHUNK], keep=False)
            loss, right = loss_value(logits, y[start : start + EVAL_CHUNK], task)
            total += loss * len(logits)
            correct += right
        n = len(x)
        return total / n, (correct / n if task == "classification" else math.nan)
