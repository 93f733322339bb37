"""The laws: distributions of weight values, already scaled for given fans, with their exact moments.

A law both draws the values and states their mean, std and support, so what a draw should look like is
computed from the same object that makes it. `variance_scaling_law` is the one rule behind Glorot, He,
LeCun and the Keras/JAX/KotlinDL presets, so a preset cannot drift from the rule it names.

Layout: weights are (fan_in, fan_out) and a layer computes Z = A @ W (PyTorch stores W.T, [out, in]).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from initscope.engine.arrays import Array

Shape = tuple[int, ...]

SQRT2 = math.sqrt(2.0)
TRUNC_C = 0.87962566103423978
"""Std of a standard normal truncated to (-2, 2): Keras, JAX and KotlinDL divide by it."""


def truncated_std_factor(k: float) -> float:
    """Std of N(0, 1) cut to (-k, k): sqrt(1 - 2k·phi(k) / (2·Phi(k) - 1)); 0.8796 for k = 2."""
    mass = math.erf(k / SQRT2)
    density = math.exp(-0.5 * k * k) / math.sqrt(2.0 * math.pi)
    return math.sqrt(max(0.0, 1.0 - 2.0 * k * density / mass))


@dataclass(frozen=True)
class Expected:
    """What the formula says a draw should look like for given fans."""

    mean: float
    std: float
    """Std of all the values of one draw (population std, zeros included)."""
    bounds: tuple[float, float] | None
    """Hard support [low, high] of the values, or None when unbounded (normals) or when the only bound is
    not a property worth stating (orthogonal entries merely obey |w| <= gain)."""


# ----------------------------------------------------------------------------------------------- laws
def _matrix(shape: Shape, what: str) -> tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(f"{what} needs a 2-D (fan_in, fan_out) shape, got {shape}")
    return shape[0], shape[1]


class Law(ABC):
    """A distribution of weight values, already scaled for given fans: draws and exact moments."""

    @abstractmethod
    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> Array:
        """Values of `shape`, computed in the working dtype `wd`, using only `rng`."""

    @abstractmethod
    def expected(self) -> Expected: ...


@dataclass(frozen=True)
class Constant(Law):
    value: float

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> Array:
        return np.full(shape, self.value, dtype=wd)

    def expected(self) -> Expected:
        return Expected(self.value, 0.0, (self.value, self.value))


@dataclass(frozen=True)
class Normal(Law):
    mean: float
    std: float

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> Array:
        z = rng.standard_normal(shape, dtype=wd)
        z *= self.std
        if self.mean:
            z += self.mean
        return z

    def expected(self) -> Expected:
        return Expected(self.mean, self.std, None)


def _standard_truncated(size: int, k: float, rng: np.random.Generator, wd: type[np.floating]) -> Array:
    """`size` exact draws of N(0, 1) restricted to [-k, k], by rejection (as torch's trunc_normal_)."""
    if k >= 1.0:  # most normals (>= 68 %) land inside: redraw only the ones outside
        z = rng.standard_normal(size, dtype=wd)
        bad = np.flatnonzero(np.abs(z) > k)
        while bad.size:
            redraw = rng.standard_normal(bad.size, dtype=wd)
            z[bad] = redraw
            bad = bad[np.abs(redraw) > k]
        return z
    # a narrow cut: uniform proposals on [-k, k], accepted with probability exp(-x^2/2) (>= 85 % of them)
    out = np.empty(size, dtype=wd)
    filled = 0
    rate = math.sqrt(2.0 * math.pi) * math.erf(k / SQRT2) / (2.0 * k)
    while filled < size:
        batch = int((size - filled) / rate * 1.1) + 16
        x = (2.0 * rng.random(batch, dtype=wd) - 1.0) * k
        keep = x[rng.random(batch, dtype=wd) < np.exp(-0.5 * x * x)][: size - filled]
        out[filled : filled + keep.size] = keep
        filled += keep.size
    return out


@dataclass(frozen=True)
class Truncated(Law):
    """N(mean, std^2) restricted to [mean - k·std, mean + k·std]; std is the pre-truncation scale."""

    mean: float
    std: float
    k: float

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> Array:
        z = _standard_truncated(math.prod(shape), self.k, rng, wd).reshape(shape)
        z *= self.std
        if self.mean:
            z += self.mean
        return z

    def expected(self) -> Expected:
        half = self.k * self.std
        return Expected(self.mean, self.std * truncated_std_factor(self.k), (self.mean - half, self.mean + half))


@dataclass(frozen=True)
class Uniform(Law):
    """U[low, high): symmetric for most entries, [0, b) for KotlinDL's one-sided ones."""

    low: float
    high: float

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> Array:
        u = rng.random(shape, dtype=wd)
        u *= self.high - self.low
        if self.low:
            u += self.low
        return u

    def expected(self) -> Expected:
        return Expected(0.5 * (self.low + self.high), (self.high - self.low) / math.sqrt(12.0), (self.low, self.high))


@dataclass(frozen=True)
class Orthogonal(Law):
    """gain·Q with Q from the QR of a Gaussian matrix, Q·sign(diag R): a Haar-distributed (semi-)orthogonal
    matrix, rows orthonormal when rows <= columns, else columns (as torch, Keras and JAX)."""

    gain: float
    fan_in: int
    fan_out: int

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> Array:
        rows, cols = _matrix(shape, "orthogonal")
        gaussian = rng.standard_normal((max(rows, cols), min(rows, cols)), dtype=wd)
        q, r = np.linalg.qr(gaussian.astype(np.float64))  # QR in float64: orthogonality is the point
        q *= np.where(np.diagonal(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        return self.gain * q

    def expected(self) -> Expected:
        # ||W||_F^2 = min(fi, fo)·g^2 over fi·fo entries: E[w^2] = g^2 / max(fi, fo), exactly
        return Expected(0.0, self.gain / math.sqrt(max(self.fan_in, self.fan_out)), None)


@dataclass(frozen=True)
class Identity(Law):
    gain: float
    fan_in: int
    fan_out: int

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> Array:
        rows, cols = _matrix(shape, "identity")
        return self.gain * np.eye(rows, cols, dtype=wd)

    def expected(self) -> Expected:
        p = min(self.fan_in, self.fan_out) / (self.fan_in * self.fan_out)  # fraction on the diagonal
        return Expected(
            self.gain * p, abs(self.gain) * math.sqrt(p * (1.0 - p)), (min(0.0, self.gain), max(0.0, self.gain))
        )


def sparse_zeros(sparsity: float, rows: int) -> int:
    """Zeros per column: torch's sparse_ formula int(math.ceil(sparsity * rows)), floating point and all
    (0.07 * 100 = 7.000000000000001 gives 8 zeros there, so it does here)."""
    return min(rows, math.ceil(sparsity * rows))


@dataclass(frozen=True)
class Sparse(Law):
    """N(0, std^2) with exactly ceil(sparsity·rows) zeros in every column (one column = one output unit)."""

    sparsity: float
    std: float
    fan_in: int

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> Array:
        rows, cols = _matrix(shape, "sparse")
        w = rng.standard_normal((rows, cols), dtype=wd)
        w *= self.std
        mask = np.zeros((rows, cols), dtype=bool)
        mask[: sparse_zeros(self.sparsity, rows)] = True
        w[rng.permuted(mask, axis=0)] = 0.0  # each column shuffled independently
        return w

    def expected(self) -> Expected:
        kept = 1.0 - sparse_zeros(self.sparsity, self.fan_in) / self.fan_in
        return Expected(0.0, self.std * math.sqrt(kept), None)


# ------------------------------------------------------------------------------------ shared law rules
def fan(fan_in: int, fan_out: int, mode: str) -> float:
    """The n of a variance-scaling rule."""
    return {
        "fan_in": float(fan_in),
        "fan_out": float(fan_out),
        "fan_avg": 0.5 * (fan_in + fan_out),
        "fan_geo_avg": math.sqrt(fan_in * fan_out),
    }[mode]


def variance_scaling_law(fan_in: int, fan_out: int, scale: float, mode: str, distribution: str) -> Law:
    """Keras/JAX VarianceScaling: variance scale/n; truncated normals are corrected by 1/0.8796."""
    var = scale / max(1.0, fan(fan_in, fan_out, mode))  # max(1, n): Keras' and KotlinDL's guard
    if distribution == "truncated_normal":
        return Truncated(0.0, math.sqrt(var) / TRUNC_C, 2.0)
    if distribution == "normal":
        return Normal(0.0, math.sqrt(var))
    bound = math.sqrt(3.0 * var)
    return Uniform(-bound, bound)


def one_sided_law(fan_in: int, fan_out: int, scale: float, mode: str) -> Law:
    """KotlinDL's uniform variance scaling: a [0, 1) draw times b = sqrt(3·scale/n), so U[0, b)."""
    return Uniform(0.0, math.sqrt(3.0 * scale / max(1.0, fan(fan_in, fan_out, mode))))
