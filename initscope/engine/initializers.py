"""The initializer catalogue: one declarative entry per initializer.

Each entry maps (fan_in, fan_out, params, gain) to a `Law` (a distribution such as "uniform on
[-b, b)" or "orthogonal x gain"); the law both draws the values and states their exact mean, std and
support. Entries that are the same distribution (he_normal, the Keras presets, variance_scaling) share
one law constructor, so a preset cannot drift from the rule it names.

Interface used by config, propagate, the CLI and the TUI:
- `CATALOGUE`: tuple of `Initializer`, in display order; `names()`; `lookup(name)` (names and aliases,
  case-insensitive; an unknown name is a ConfigError that suggests close names).
- `Initializer.resolve(params)` -> every parameter filled in and validated (ConfigError names the field).
- `Initializer.sample(fan_in, fan_out, params, rng, dtype, shape=None, auto_gain=...)` -> ndarray.
- `Initializer.expected(fan_in, fan_out, params, auto_gain)` -> Expected(mean, std, bounds).
- `Initializer.snippets(fan_in, fan_out, params)` -> how to write it in PyTorch, Keras, JAX, KotlinDL.
- `sample(name, fan_in, ...)`: the public `initscope.sample`.

Layout: weights are (fan_in, fan_out) and a layer computes Z = A @ W (PyTorch stores W.T, [out, in]).
"""

from __future__ import annotations

import difflib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from initscope.engine.errors import ConfigError

ParamValue = float | str
Params = Mapping[str, ParamValue]
FloatArray = npt.NDArray[np.floating]
Shape = tuple[int, ...]

SQRT2 = math.sqrt(2.0)
TRUNC_C = 0.87962566103423978
"""Std of a standard normal truncated to (-2, 2): Keras, JAX and KotlinDL divide by it."""


def truncated_std_factor(k: float) -> float:
    """Std of N(0, 1) cut to (-k, k): sqrt(1 - 2k·phi(k) / (2·Phi(k) - 1)); 0.8796 for k = 2."""
    mass = math.erf(k / SQRT2)
    density = math.exp(-0.5 * k * k) / math.sqrt(2.0 * math.pi)
    return math.sqrt(max(0.0, 1.0 - 2.0 * k * density / mass))


# --------------------------------------------------------------------------------------------- params
@dataclass(frozen=True)
class Param:
    """One parameter of an initializer: its default and what is allowed."""

    name: str
    default: ParamValue
    help: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    choices: tuple[str, ...] = ()
    allow_auto: bool = False
    """The value may be the word 'auto' (gain: the chosen activation's gain)."""
    integer: bool = False

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = "an integer" if self.integer else "a number"
        if self.low is None and self.high is None:
            text = "any finite integer" if self.integer else "any finite number"
        else:
            lo = "-inf" if self.low is None else f"{self.low:g}"
            hi = "inf)" if self.high is None else f"{self.high:g}]"
            bracket = "[" if self.low_inclusive and self.low is not None else "("
            text = f"{kind} in {bracket}{lo}, {hi}"
        return text + (" or 'auto'" if self.allow_auto else "")

    def validate(self, value: object, owner: str) -> ParamValue:
        field_name = f"{owner}.{self.name}"
        if self.choices:
            text = str(value).strip().lower()
            if text not in self.choices:
                raise ConfigError(field_name, value, self.allowed())
            return text
        if self.allow_auto and str(value).strip().lower() == "auto":
            return "auto"
        if isinstance(value, bool):
            raise ConfigError(field_name, value, self.allowed())
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(field_name, value, self.allowed()) from None
        if not math.isfinite(number) or (self.integer and not number.is_integer()):
            raise ConfigError(field_name, value, self.allowed())
        if self.low is not None and (number < self.low or (number == self.low and not self.low_inclusive)):
            raise ConfigError(field_name, value, self.allowed())
        if self.high is not None and number > self.high:
            raise ConfigError(field_name, value, self.allowed())
        return number

    def shown_default(self) -> str:
        """The default as a user would type it."""
        return self.default if isinstance(self.default, str) else f"{self.default:g}"


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
    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> FloatArray:
        """Values of `shape`, computed in the working dtype `wd`, using only `rng`."""

    @abstractmethod
    def expected(self) -> Expected: ...


@dataclass(frozen=True)
class Constant(Law):
    value: float

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> FloatArray:
        return np.full(shape, self.value, dtype=wd)

    def expected(self) -> Expected:
        return Expected(self.value, 0.0, (self.value, self.value))


@dataclass(frozen=True)
class Normal(Law):
    mean: float
    std: float

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> FloatArray:
        z = rng.standard_normal(shape, dtype=wd)
        z *= self.std
        if self.mean:
            z += self.mean
        return z

    def expected(self) -> Expected:
        return Expected(self.mean, self.std, None)


def _standard_truncated(size: int, k: float, rng: np.random.Generator, wd: type[np.floating]) -> FloatArray:
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

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> FloatArray:
        z = _standard_truncated(math.prod(shape), self.k, rng, wd).reshape(shape)
        z *= self.std
        if self.mean:
            z += self.mean
        return z

    def expected(self) -> Expected:
        half = self.k * self.std
        return Expected(self.mean, self.std * truncated_std_factor(self.k),
                        (self.mean - half, self.mean + half))


@dataclass(frozen=True)
class Uniform(Law):
    """U[low, high): symmetric for most entries, [0, b) for KotlinDL's one-sided ones."""

    low: float
    high: float

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> FloatArray:
        u = rng.random(shape, dtype=wd)
        u *= self.high - self.low
        if self.low:
            u += self.low
        return u

    def expected(self) -> Expected:
        return Expected(0.5 * (self.low + self.high), (self.high - self.low) / math.sqrt(12.0),
                        (self.low, self.high))


@dataclass(frozen=True)
class Orthogonal(Law):
    """gain·Q with Q from the QR of a Gaussian matrix, Q·sign(diag R): a Haar-distributed (semi-)orthogonal
    matrix, rows orthonormal when rows <= columns, else columns (as torch, Keras and JAX)."""

    gain: float
    fan_in: int
    fan_out: int

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> FloatArray:
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

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> FloatArray:
        rows, cols = _matrix(shape, "identity")
        return self.gain * np.eye(rows, cols, dtype=wd)

    def expected(self) -> Expected:
        p = min(self.fan_in, self.fan_out) / (self.fan_in * self.fan_out)  # fraction on the diagonal
        return Expected(self.gain * p, abs(self.gain) * math.sqrt(p * (1.0 - p)),
                        (min(0.0, self.gain), max(0.0, self.gain)))


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

    def draw(self, shape: Shape, rng: np.random.Generator, wd: type[np.floating]) -> FloatArray:
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
    return {"fan_in": float(fan_in), "fan_out": float(fan_out), "fan_avg": 0.5 * (fan_in + fan_out),
            "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]


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


def _gain(params: Mapping[str, ParamValue], auto_gain: float) -> float:
    g = params.get("gain", 1.0)
    return auto_gain if g == "auto" else float(g)


def _f(params: Mapping[str, ParamValue], key: str) -> float:
    return float(params[key])


# ------------------------------------------------------------------------------------------- snippets
@dataclass(frozen=True)
class Code:
    """One framework's spelling: an initializer expression (PyTorch: statements on `w`), a comment,
    and, when the framework has no exact equivalent, why (`expr` is then the closest recipe, or empty)."""

    expr: str = ""
    comment: str = ""
    missing: str = ""


Codes = dict[str, Code]
FRAMEWORKS = ("pytorch", "keras", "jax", "kotlindl")


def _g(x: float) -> str:
    """A number as code: 6 significant digits."""
    return f"{x:.6g}"


def _kd(x: float) -> str:
    """A Kotlin Double literal."""
    text = _g(x)
    return text if any(ch in text for ch in ".en") else text + ".0"


def _scale(x: float) -> str:
    """A variance scale as code; 1/3 (the torch default's) is written as a fraction."""
    return "1/3" if math.isclose(x, 1.0 / 3.0, rel_tol=1e-12) else _g(x)


def _kf(x: float) -> str:
    """A Kotlin Float literal."""
    return _kd(x) + "f"


def _render(fw: str, code: Code, fi: int, fo: int) -> str:
    cm = "//" if fw == "kotlindl" else "#"
    lines: list[str] = []
    if code.missing:
        lines.append(f"{cm} no exact equivalent: {code.missing}")
        if not code.expr:
            return "\n".join(lines)
    tail = f"  {cm} {code.comment}" if code.comment else ""
    if fw == "pytorch":
        lines.append(f"w = torch.empty({fo}, {fi})  # torch layout [out, in]: initscope's W is w.T")
        lines.append(code.expr + tail)
    elif fw == "keras":
        lines.append(f"init = {code.expr}{tail}")
        lines.append(f"w = init(shape=({fi}, {fo}))  # Keras kernel layout (in, out), as initscope")
    elif fw == "jax":
        lines.append(f"init = {code.expr}{tail}")
        lines.append(f"w = init(jax.random.key(0), ({fi}, {fo}))  # (in, out), as initscope")
    else:
        lines.append(f"val init = {code.expr}{tail}")
        lines.append(f"// Dense(outputSize = {fo}, kernelInitializer = init) on {fi} inputs: "
                     f"KotlinDL passes fanIn = {fi}, fanOut = {fo}")
    return "\n".join(lines)


_KERAS_NAMES = {
    (1.0, "fan_avg", "uniform"): "GlorotUniform", (1.0, "fan_avg", "truncated_normal"): "GlorotNormal",
    (2.0, "fan_in", "uniform"): "HeUniform", (2.0, "fan_in", "truncated_normal"): "HeNormal",
    (1.0, "fan_in", "uniform"): "LecunUniform", (1.0, "fan_in", "truncated_normal"): "LecunNormal",
}
_JAX_NAMES = {key: "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")
              for key, name in _KERAS_NAMES.items()}
_KOTLIN_NAMES = {key: name.replace("Lecun", "LeCun") for key, name in _KERAS_NAMES.items()
                 if key[2] == "truncated_normal"}  # KotlinDL's *Uniform are one-sided: never the same law


def _named(table: Mapping[tuple[float, str, str], str], scale: float, mode: str, dist: str) -> str | None:
    for (s, m, d), name in table.items():
        if math.isclose(scale, s, rel_tol=1e-9) and m == mode and d == dist:
            return name
    return None


def variance_scaling_codes(fi: int, fo: int, scale: float, mode: str, dist: str) -> Codes:
    """How each framework writes variance scaling (scale, mode, dist) for these fans."""
    law = variance_scaling_law(fi, fo, scale, mode, dist)
    n = max(1.0, fan(fi, fo, mode))
    sigma = math.sqrt(scale / n)
    gain = math.sqrt(scale)
    geo = mode == "fan_geo_avg"
    # a framework without fan_geo_avg gets the same variance from fan_in with an adjusted scale
    mode_k, scale_k = ("fan_in", scale * fi / n) if geo else (mode, scale)
    geo_note = f"no fan_geo_avg mode: fan_in with scale·fi/n gives the same variance for ({fi}, {fo})"

    # PyTorch
    torch_nl = {1.0: "linear", 2.0: "relu"}
    nl = next((v for s, v in torch_nl.items() if math.isclose(scale, s, rel_tol=1e-9)), None)
    if dist == "truncated_normal":
        assert isinstance(law, Truncated)
        s = law.std
        torch = Code(f"nn.init.trunc_normal_(w, mean=0.0, std={_g(s)}, a={_g(-2 * s)}, b={_g(2 * s)})",
                     f"sample std {_g(sigma)}: torch has no corrected truncation; std/0.8796 and "
                     "absolute cuts ±2·std reproduce it")
    elif dist == "normal":
        if mode in ("fan_in", "fan_out") and nl:
            torch = Code(f"nn.init.kaiming_normal_(w, mode='{mode}', nonlinearity='{nl}')",
                         f"std = {_g(sigma)}")
        elif mode == "fan_avg":
            torch = Code(f"nn.init.xavier_normal_(w, gain={_g(gain)})", f"std = {_g(sigma)}")
        else:
            torch = Code(f"nn.init.normal_(w, mean=0.0, std={_g(sigma)})", f"std exact for ({fi}, {fo})")
    else:
        b = math.sqrt(3.0) * sigma
        if mode in ("fan_in", "fan_out") and nl:
            torch = Code(f"nn.init.kaiming_uniform_(w, mode='{mode}', nonlinearity='{nl}')",
                         f"bound = {_g(b)}")
        elif mode == "fan_avg":
            torch = Code(f"nn.init.xavier_uniform_(w, gain={_g(gain)})", f"bound = {_g(b)}")
        else:
            torch = Code(f"nn.init.uniform_(w, {_g(-b)}, {_g(b)})", f"bound exact for ({fi}, {fo})")

    # Keras 3 ("normal" there silently means truncated: spell the untruncated one out)
    kdist = "untruncated_normal" if dist == "normal" else dist
    name = None if geo else _named(_KERAS_NAMES, scale, mode, dist)
    keras = Code(f"keras.initializers.{name}()" if name else
                 f'keras.initializers.VarianceScaling(scale={_scale(scale_k)}, mode="{mode_k}", '
                 f'distribution="{kdist}")', geo_note if geo else "")

    # JAX ("normal" is untruncated there)
    jname = _named(_JAX_NAMES, scale, mode, dist)
    jax = Code(f"jax.nn.initializers.{jname}()" if jname else
               f'jax.nn.initializers.variance_scaling({_scale(scale)}, "{mode}", "{dist}")')

    # KotlinDL (its UNIFORM is one-sided; a symmetric uniform needs RandomUniform with the bound)
    if dist == "uniform":
        b = math.sqrt(3.0) * sigma
        kotlin = Code(f"RandomUniform(maxVal = {_kf(b)}, minVal = {_kf(-b)})",
                      "not VarianceScaling(UNIFORM)/HeUniform/GlorotUniform: KotlinDL draws those one-sided, "
                      "U[0, b)")
    else:
        kname = None if geo else _named(_KOTLIN_NAMES, scale, mode, dist)
        kd = "TRUNCATED_NORMAL" if dist == "truncated_normal" else "UNTRUNCATED_NORMAL"
        kotlin = Code(f"{kname}()" if kname else
                      f"VarianceScaling(scale = {_kd(scale_k)}, mode = Mode.{mode_k.upper()}, "
                      f"distribution = Distribution.{kd})", geo_note if geo else "")
    return {"pytorch": torch, "keras": keras, "jax": jax, "kotlindl": kotlin}


def _constant_codes(value: float) -> Codes:
    if value == 0.0:
        return {"pytorch": Code("nn.init.zeros_(w)"), "keras": Code("keras.initializers.Zeros()"),
                "jax": Code("jax.nn.initializers.zeros"), "kotlindl": Code("Zeros()")}
    if value == 1.0:
        return {"pytorch": Code("nn.init.ones_(w)"), "keras": Code("keras.initializers.Ones()"),
                "jax": Code("jax.nn.initializers.ones"), "kotlindl": Code("Ones()")}
    return {"pytorch": Code(f"nn.init.constant_(w, {_g(value)})"),
            "keras": Code(f"keras.initializers.Constant(value={_g(value)})"),
            "jax": Code(f"jax.nn.initializers.constant({_g(value)})"),
            "kotlindl": Code(f"Constant({_kf(value)})")}


def _normal_codes(mean: float, std: float) -> Codes:
    jax = (Code(f"jax.nn.initializers.normal(stddev={_g(std)})") if mean == 0 else
           Code(f"lambda key, shape, dtype=jnp.float32: {_g(mean)} + jax.nn.initializers.normal({_g(std)})"
                "(key, shape, dtype)", "jax's normal has no mean"))
    return {"pytorch": Code(f"nn.init.normal_(w, mean={_g(mean)}, std={_g(std)})"),
            "keras": Code(f"keras.initializers.RandomNormal(mean={_g(mean)}, stddev={_g(std)})"),
            "jax": jax, "kotlindl": Code(f"RandomNormal(mean = {_kf(mean)}, stdev = {_kf(std)})")}


def _uniform_codes(low: float, high: float) -> Codes:
    return {"pytorch": Code(f"nn.init.uniform_(w, a={_g(low)}, b={_g(high)})"),
            "keras": Code(f"keras.initializers.RandomUniform(minval={_g(low)}, maxval={_g(high)})"),
            "jax": Code(f"lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, "
                        f"minval={_g(low)}, maxval={_g(high)})",
                        "jax.nn.initializers.uniform(scale) is U[0, scale)"),
            "kotlindl": Code(f"RandomUniform(maxVal = {_kf(high)}, minVal = {_kf(low)})",
                             "note: maxVal first")}


def _truncated_codes(mean: float, std: float, k: float) -> Codes:
    lo, hi = mean - k * std, mean + k * std
    unscaled = f"not rescaled: sample std {_g(std * truncated_std_factor(k))}"
    keras = (Code(f"keras.initializers.TruncatedNormal(mean={_g(mean)}, stddev={_g(std)})", unscaled)
             if k == 2.0 else
             Code("", missing=f"Keras' TruncatedNormal always cuts at mean ± 2·stddev, not ± {_g(k)}·stddev"))
    jax_expr = f"jax.nn.initializers.truncated_normal(stddev={_g(std)}, lower={_g(-k)}, upper={_g(k)})"
    jax = (Code(jax_expr, unscaled + "; lower/upper in std units") if mean == 0 else
           Code(f"lambda key, shape, dtype=jnp.float32: {_g(mean)} + {jax_expr}(key, shape, dtype)",
                "jax's truncated_normal has no mean"))
    return {"pytorch": Code(f"nn.init.trunc_normal_(w, mean={_g(mean)}, std={_g(std)}, "
                            f"a={_g(lo)}, b={_g(hi)})", "a and b are absolute values, not multiples of std"),
            "keras": keras, "jax": jax,
            "kotlindl": Code(f"ParametrizedTruncatedNormal(mean = {_kf(mean)}, stdev = {_kf(std)}, "
                             f"p1 = {_kf(lo)}, p2 = {_kf(hi)}, seed = 12L)", "p1, p2 are absolute bounds")}


def _orthogonal_codes(fi: int, fo: int, g: float) -> Codes:
    kotlin = Code(f"Orthogonal(gain = {_kf(g)})")
    if fi != fo:
        kotlin = Code(kotlin.expr, "KotlinDL's Orthogonal reads the wrong dim for non-square shapes and "
                                   "appears to fail here (untested)")
    return {"pytorch": Code(f"nn.init.orthogonal_(w, gain={_g(g)})",
                            "semi-orthogonal either way round: the same law"),
            "keras": Code(f"keras.initializers.Orthogonal(gain={_g(g)})"),
            "jax": Code(f"jax.nn.initializers.orthogonal(scale={_g(g)})", "scale is a plain multiplier"),
            "kotlindl": kotlin}


def _one_sided_codes(fi: int, fo: int, scale: float, mode: str, kotlin_name: str) -> Codes:
    law = one_sided_law(fi, fo, scale, mode)
    assert isinstance(law, Uniform)
    b = law.high
    return {"pytorch": Code(f"nn.init.uniform_(w, a=0.0, b={_g(b)})", "one-sided, as KotlinDL"),
            "keras": Code(f"keras.initializers.RandomUniform(minval=0.0, maxval={_g(b)})", "one-sided"),
            "jax": Code(f"jax.nn.initializers.uniform(scale={_g(b)})", "U[0, scale): one-sided as well"),
            "kotlindl": Code(f"{kotlin_name}()", f"U[0, {_g(b)}): every value >= 0")}


# ---------------------------------------------------------------------------------------- the entries
LawFn = Callable[[int, int, dict[str, ParamValue], float], Law]
SnippetFn = Callable[[int, int, dict[str, ParamValue], float], Codes]
CheckFn = Callable[[dict[str, ParamValue], Mapping[str, object]], None]
"""(resolved params, params as given) -> None or ConfigError; the message shows the value as given."""


@dataclass(frozen=True)
class Initializer:
    name: str
    aliases: tuple[str, ...]
    family: str
    summary: str
    formula: str
    params: tuple[Param, ...]
    law: LawFn
    """(fan_in, fan_out, resolved params, gain) -> the distribution; gain is 'auto' already replaced."""
    snippet: SnippetFn
    note: str = ""
    elementwise: bool = True
    """Values are i.i.d. per element, so the entry can also initialize a bias vector."""
    zero_mean: bool = True
    """Weights have mean zero and are not all equal (with default params): mean-field theory applies.
    An entry whose mean is a parameter (normal, uniform) can be moved off zero: check expected().mean."""
    data_dependent: bool = False
    """The draw is only the start: the propagation engine rescales it on the batch (lsuv)."""
    one_sided: bool = False
    """All values >= 0 by construction (KotlinDL's U[0, b)): shown with a warning."""
    check: CheckFn | None = None
    """Validation across parameters (uniform: high > low)."""

    def resolve(self, given: Params | None = None) -> dict[str, ParamValue]:
        """Every parameter filled in (defaults) and validated; unknown names are a ConfigError."""
        given = dict(given or {})
        known = {p.name: p for p in self.params}
        for key in given:
            if key not in known:
                allowed = ", ".join(known) if known else "no parameters"
                raise ConfigError(f"{self.name}.{key}", given[key], f"{self.name} takes {allowed}")
        resolved = {p.name: p.validate(given.get(p.name, p.default), self.name) for p in self.params}
        if self.check is not None:
            self.check(resolved, given)
        return resolved

    def distribution(self, fan_in: int, fan_out: int, params: Params | None = None,
                     auto_gain: float = SQRT2) -> Law:
        """The law for these fans; the single path behind sample() and expected()."""
        resolved = self.resolve(params)
        return self.law(fan_in, fan_out, resolved, _gain(resolved, auto_gain))

    def sample(
        self,
        fan_in: int,
        fan_out: int,
        params: Params | None,
        rng: np.random.Generator,
        dtype: npt.DTypeLike = np.float64,
        shape: tuple[int, ...] | None = None,
        auto_gain: float = SQRT2,
    ) -> FloatArray:
        """Draw a (fan_in, fan_out) matrix (or `shape`, e.g. a bias vector) with these fans.

        Every dtype draws in float64 and casts, so one seed gives the same weights in float16, float32 and
        float64 up to that dtype's rounding (a float32 run compared with a float64 one differs by precision,
        not by a different draw). NumPy's float64 normals cost about what its float32 ones do.
        """
        law = self.distribution(fan_in, fan_out, params, auto_gain)
        values = law.draw(shape or (fan_in, fan_out), rng, np.float64)
        return values.astype(dtype, copy=False)

    def expected(self, fan_in: int, fan_out: int, params: Params | None = None,
                 auto_gain: float = SQRT2) -> Expected:
        return self.distribution(fan_in, fan_out, params, auto_gain).expected()

    def snippets(self, fan_in: int, fan_out: int, params: Params | None = None,
                 auto_gain: float = SQRT2) -> dict[str, str]:
        """How to write this in PyTorch, Keras, JAX and KotlinDL (keys: pytorch, keras, jax, kotlindl),
        with these fans and parameters filled in ('auto' gain: `auto_gain`)."""
        resolved = self.resolve(params)
        codes = self.snippet(fan_in, fan_out, resolved, _gain(resolved, auto_gain))
        out = {fw: _render(fw, codes[fw], fan_in, fan_out) for fw in FRAMEWORKS}
        if resolved.get("gain") == "auto":
            for fw, text in out.items():
                cm = "//" if fw == "kotlindl" else "#"
                out[fw] = f"{cm} gain 'auto' = {_g(auto_gain)}, the activation's gain\n{text}"
        return out


GAIN_1 = Param("gain", 1.0, "multiplier; 'auto' uses the activation's gain", 0.0, None, False,
               allow_auto=True)
GAIN_HE = Param("gain", SQRT2, "multiplier (sqrt2 for relu); 'auto' uses the activation's gain",
                0.0, None, False, allow_auto=True)
MODE = Param("mode", "fan_in", "which fan sets the scale", choices=("fan_in", "fan_out"))
VS_MODE = Param("mode", "fan_in", "n: fan_in, fan_out, (fi+fo)/2 or sqrt(fi·fo)",
                choices=("fan_in", "fan_out", "fan_avg", "fan_geo_avg"))
VS_DIST = Param("distribution", "truncated_normal",
                "truncated_normal (corrected), normal (untruncated) or uniform",
                choices=("truncated_normal", "normal", "uniform"))


def _positive(name: str, default: float, help: str) -> Param:
    """A parameter that must be > 0 (a std, a scale)."""
    return Param(name, default, help, 0.0, None, False)


KOTLIN_ONE_SIDED_NOTE = (
    "ONE-SIDED. KotlinDL's uniform variance-scaling initializers multiply a [0, 1) draw by the bound, so "
    "every value lies in U[0, b), b = sqrt(3·scale/n): mean b/2 and std b/sqrt(12), not mean 0. KotlinDL's "
    "Dense/Conv bias default is HeUniform, so every bias starts positive. Mean-field theory does not apply "
    "(non-zero mean)."
)
TORCH_FANS_NOTE = (
    "torch stores [out, in] and reads fan_in from size(1): initialize torch.empty(fo, fi) (our W.T), "
    "or the fans swap (pytorch#129834)."
)


def _check_uniform(p: dict[str, ParamValue], given: Mapping[str, object]) -> None:
    if _f(p, "high") <= _f(p, "low"):
        raise ConfigError("uniform.high", given.get("high", p["high"]),
                          f"a number > uniform.low ({_g(_f(p, 'low'))})")


def _vs(scale: float | None, mode: str | None, dist: str) -> tuple[LawFn, SnippetFn]:
    """Law and snippets of variance scaling with `dist`; scale None means gain², mode None means params."""
    def args(p: dict[str, ParamValue], g: float) -> tuple[float, str]:
        return (g * g if scale is None else scale), (str(p["mode"]) if mode is None else mode)

    def law(fi: int, fo: int, p: dict[str, ParamValue], g: float) -> Law:
        return variance_scaling_law(fi, fo, *args(p, g), dist)

    def codes(fi: int, fo: int, p: dict[str, ParamValue], g: float) -> Codes:
        return variance_scaling_codes(fi, fo, *args(p, g), dist)

    return law, codes


def _preset(name: str, summary: str, formula: str, scale: float, mode: str, dist: str, note: str,
            overrides: Mapping[str, Code] | None = None) -> Initializer:
    """A framework preset: a fixed variance_scaling law, nothing of its own."""
    law, codes = _vs(scale, mode, dist)
    return Initializer(
        name, (), "framework preset", summary, formula, (), law,
        lambda fi, fo, p, g: {**codes(fi, fo, p, g), **(overrides or {})}, note,
    )


def _kotlin_preset(name: str, kotlin_name: str, scale: float, mode: str, what: str,
                   formula: str) -> Initializer:
    """KotlinDL's one-sided uniform variance scaling."""
    return Initializer(
        name, (), "framework preset",
        f"KotlinDL's {kotlin_name}, reproduced with its one-sided U[0, b) draw ({what})", formula, (),
        lambda fi, fo, p, g: one_sided_law(fi, fo, scale, mode),
        lambda fi, fo, p, g: _one_sided_codes(fi, fo, scale, mode, kotlin_name),
        KOTLIN_ONE_SIDED_NOTE, zero_mean=False, one_sided=True,
    )


def _torch_default_codes(fi: int, fo: int, p: dict[str, ParamValue], g: float) -> Codes:
    b = 1.0 / math.sqrt(fi)
    return {
        **variance_scaling_codes(fi, fo, 1.0 / 3.0, "fan_in", "uniform"),
        "pytorch": Code("nn.init.kaiming_uniform_(w, a=math.sqrt(5))",
                        f"bound {_g(b)}: what nn.Linear({fi}, {fo}) does"),
        "kotlindl": Code(f"RandomUniform(maxVal = {_kf(b)}, minVal = {_kf(-b)})",
                         "VarianceScaling(1.0/3, FAN_IN, UNIFORM) would be one-sided, U[0, 1/sqrt(fi))"),
    }


def _identity_codes(fi: int, fo: int, p: dict[str, ParamValue], g: float) -> Codes:
    return {
        "pytorch": Code(f"nn.init.eye_(w); w.mul_({_g(g)})" if g != 1 else "nn.init.eye_(w)",
                        "eye_ has no gain"),
        "keras": Code(f"keras.initializers.Identity(gain={_g(g)})"),
        "jax": Code(f"lambda key, shape, dtype=jnp.float32: {_g(g)} * jnp.eye(*shape, dtype=dtype)",
                    "jax.nn.initializers has no eye"),
        "kotlindl": Code(f"Identity(gain = {_kf(g)})"),
    }


def _sparse_codes(fi: int, fo: int, p: dict[str, ParamValue], g: float) -> Codes:
    s, std = _f(p, "sparsity"), _f(p, "std")
    return {
        "pytorch": Code(f"nn.init.sparse_(w.T, sparsity={_g(s)}, std={_g(std)})",
                        f"w.T: {sparse_zeros(s, fi)} zeros per output unit; sparse_(w) would zero "
                        f"ceil(sparsity·{fo}) per input column instead"),
        "keras": Code(missing="Keras has no sparse initializer"),
        "jax": Code(missing="jax.nn.initializers has no sparse initializer"),
        "kotlindl": Code(missing="KotlinDL has no sparse initializer"),
    }


def _lsuv_codes(fi: int, fo: int, p: dict[str, ParamValue], g: float) -> Codes:
    missing = "no built-in LSUV; the orthogonal start is shown"
    then = "then rescale each layer on a batch until its output variance is 1"
    return {
        "pytorch": Code("nn.init.orthogonal_(w)", then, missing),
        "keras": Code("keras.initializers.Orthogonal()", then, missing),
        "jax": Code("jax.nn.initializers.orthogonal()", then, missing),
        "kotlindl": Code("Orthogonal()", then, missing),
    }


_XAVIER_U = _vs(None, "fan_avg", "uniform")
_XAVIER_N = _vs(None, "fan_avg", "normal")
_HE_U = _vs(None, None, "uniform")
_HE_N = _vs(None, None, "normal")
_LECUN_U = _vs(1.0, "fan_in", "uniform")
_LECUN_N = _vs(1.0, "fan_in", "normal")
_TRUNC_LECUN = "N(0, s'²) cut at ±2s', s' = sqrt(1/fi)/0.87962566"
_TRUNC_HE = "N(0, s'²) cut at ±2s', s' = sqrt(2/fi)/0.87962566"


def _vs_law(fi: int, fo: int, p: dict[str, ParamValue], g: float) -> Law:
    return variance_scaling_law(fi, fo, _f(p, "scale"), str(p["mode"]), str(p["distribution"]))


def _vs_codes(fi: int, fo: int, p: dict[str, ParamValue], g: float) -> Codes:
    return variance_scaling_codes(fi, fo, _f(p, "scale"), str(p["mode"]), str(p["distribution"]))


CATALOGUE: tuple[Initializer, ...] = (
    # ---------------------------------------------------------------- constants
    Initializer(
        "zeros", ("zero",), "constant",
        "every weight 0: all units compute the same thing, symmetry never breaks", "W = 0", (),
        lambda fi, fo, p, g: Constant(0.0), lambda fi, fo, p, g: _constant_codes(0.0),
        "The usual bias init. As a weight init every hidden unit gets the same gradient: they stay "
        "identical.",
        zero_mean=False,
    ),
    Initializer(
        "ones", ("one",), "constant",
        "every weight 1: symmetric, and the signal grows by fan_in per layer", "W = 1", (),
        lambda fi, fo, p, g: Constant(1.0), lambda fi, fo, p, g: _constant_codes(1.0),
        "Same as constant(value=1).", zero_mean=False,
    ),
    Initializer(
        "constant", (), "constant",
        "every weight the same value: units stay identical (symmetric)", "W = value",
        (Param("value", 1.0, "the value of every weight"),),
        lambda fi, fo, p, g: Constant(_f(p, "value")),
        lambda fi, fo, p, g: _constant_codes(_f(p, "value")),
        "torch's constant_ and KotlinDL's Constant have no default value; Keras' Constant defaults to 0.",
        zero_mean=False,
    ),
    # ---------------------------------------------------------------- plain random (ignore the fans)
    Initializer(
        "normal", ("random_normal",), "plain random",
        "Gaussian with a fixed std that ignores the fans (torch normal_ defaults to std 1)",
        "W ~ N(mean, std²)",
        (Param("mean", 0.0, "mean"), _positive("std", 1.0, "standard deviation")),
        lambda fi, fo, p, g: Normal(_f(p, "mean"), _f(p, "std")),
        lambda fi, fo, p, g: _normal_codes(_f(p, "mean"), _f(p, "std")),
        "Defaults differ: torch normal_ std 1, Keras RandomNormal 0.05, JAX normal 0.01, KotlinDL "
        "RandomNormal 1. A fixed std vanishes or explodes with depth unless it is about sqrt(2/fan_in) "
        "(relu).",
    ),
    Initializer(
        "uniform", ("random_uniform",), "plain random",
        "uniform on fixed bounds that ignore the fans (Keras RandomUniform defaults)",
        "W ~ U(low, high)",
        (Param("low", -0.05, "lower bound"), Param("high", 0.05, "upper bound (must exceed low)")),
        lambda fi, fo, p, g: Uniform(_f(p, "low"), _f(p, "high")),
        lambda fi, fo, p, g: _uniform_codes(_f(p, "low"), _f(p, "high")),
        "Defaults differ: torch uniform_ is U(0, 1), JAX uniform(scale) is U[0, scale), KotlinDL "
        "RandomUniform is U[0, 1) with maxVal first.",
        check=_check_uniform,
    ),
    Initializer(
        "truncated_normal", (), "plain random",
        "Gaussian cut at mean ± k·std, not rescaled (Keras TruncatedNormal): sample std 0.8796·std for k = 2",
        "W ~ N(mean, std²) redrawn outside mean ± k·std; sample std = std·c(k), c(2) = 0.87963",
        (Param("mean", 0.0, "mean"), _positive("std", 0.05, "std before truncation"),
         _positive("k", 2.0, "cut points in stds")),
        lambda fi, fo, p, g: Truncated(_f(p, "mean"), _f(p, "std"), _f(p, "k")),
        lambda fi, fo, p, g: _truncated_codes(_f(p, "mean"), _f(p, "std"), _f(p, "k")),
        "Conventions differ: torch trunc_normal_(a, b) takes absolute bounds (with std 0.02 and the default "
        "±2 it does not truncate at all); Keras and JAX cut in std units. None of them corrects the std; "
        "variance_scaling's truncated_normal does.",
    ),
    # ---------------------------------------------------------------- fan-scaled
    Initializer(
        "inv_sqrt_fan_in_uniform", ("torch_default", "pytorch_linear", "glorot_heuristic"),
        "variance scaling",
        "U(±1/sqrt(fi)): Glorot & Bengio 2010 eq. (1), the heuristic that paper argues against; "
        "PyTorch's nn.Linear/Conv default, kaiming_uniform_(a=sqrt5); often mislabelled \"Xavier\"",
        "W ~ U(-b, b), b = 1/sqrt(fi); std = 1/sqrt(3·fi)", (),
        _vs(1.0 / 3.0, "fan_in", "uniform")[0], _torch_default_codes,
        "Variance 1/(3·fi), a third of LeCun's: a linear layer shrinks the signal std by sqrt3 (relu: "
        "sqrt6). It is not Glorot/Xavier (eq. 16), whatever tutorials call it; torch keeps it for "
        "backward compatibility (pytorch#1667, #15314). torch's bias default is the same U(±1/sqrt(fi)).",
    ),
    Initializer(
        "xavier_uniform", ("glorot_uniform",), "variance scaling",
        "Glorot & Bengio 2010 eq. (16), 'normalized initialization': variance 2/(fi+fo) balances "
        "forward and backward",
        "W ~ U(-b, b), b = g·sqrt(6/(fi+fo))", (GAIN_1,), *_XAVIER_U,
        "Keras' default kernel init. For tanh torch suggests gain 5/3 (or 'auto'). KotlinDL's "
        "GlorotUniform is one-sided (see kotlindl_glorot_uniform).",
    ),
    Initializer(
        "xavier_normal", ("glorot_normal",), "variance scaling",
        "Glorot's variance 2/(fi+fo) as an untruncated Gaussian (torch xavier_normal_)",
        "W ~ N(0, s²), s = g·sqrt(2/(fi+fo))", (GAIN_1,), *_XAVIER_N,
        "Untruncated, as torch. Keras/JAX/KotlinDL GlorotNormal are truncated (see keras_glorot_normal).",
    ),
    Initializer(
        "he_uniform", ("kaiming_uniform",), "variance scaling",
        "He et al. 2015: variance g²/fan keeps relu signals (g = sqrt2) constant through depth; uniform",
        "W ~ U(-b, b), b = g·sqrt(3/fan)", (GAIN_HE, MODE), *_HE_U,
        "mode fan_in keeps the forward signal, fan_out the backward gradient. " + TORCH_FANS_NOTE
        + " KotlinDL's HeUniform is one-sided (see kotlindl_he_uniform).",
    ),
    Initializer(
        "he_normal", ("kaiming_normal", "msra"), "variance scaling",
        "He et al. 2015, untruncated Gaussian (torch kaiming_normal_, Caffe 'msra')",
        "W ~ N(0, s²), s = g/sqrt(fan)", (GAIN_HE, MODE), *_HE_N,
        "Untruncated, as torch. Keras/JAX/KotlinDL HeNormal are truncated (see keras_he_normal). "
        + TORCH_FANS_NOTE,
    ),
    Initializer(
        "lecun_uniform", (), "variance scaling",
        "LeCun 1998: variance 1/fi, uniform (this is Caffe's 'xavier' filler)",
        "W ~ U(-b, b), b = sqrt(3/fi)", (), *_LECUN_U,
        "torch has no lecun_*: kaiming_uniform_(nonlinearity='linear') is the same. KotlinDL's "
        "LeCunUniform is one-sided (see kotlindl_lecun_uniform).",
    ),
    Initializer(
        "lecun_normal", (), "variance scaling",
        "LeCun 1998: variance 1/fi, untruncated Gaussian (what self-normalizing SELU nets assume)",
        "W ~ N(0, s²), s = 1/sqrt(fi)", (), *_LECUN_N,
        "Untruncated. Keras/JAX/KotlinDL LecunNormal and Flax's default are truncated "
        "(see keras_lecun_normal).",
    ),
    Initializer(
        "variance_scaling", (), "variance scaling",
        "the rule behind Glorot, He and LeCun: variance scale/n, n chosen by mode (Keras/JAX "
        "VarianceScaling)",
        "σ² = scale/n; truncated_normal: N(0, s'²) cut at ±2s', s' = σ/0.87962566 (sample std σ); "
        "normal: N(0, σ²); uniform: U(-b, b), b = sqrt(3)·σ",
        (_positive("scale", 1.0, "variance multiplier (gain²)"), VS_MODE, VS_DIST), _vs_law, _vs_codes,
        "Here 'normal' is untruncated, as in JAX; Keras silently maps 'normal' to truncated_normal and "
        "spells the untruncated one 'untruncated_normal'. fan_geo_avg (n = sqrt(fi·fo)) exists only in "
        "JAX. A torch gain g is scale g².",
    ),
    # ---------------------------------------------------------------- structured
    Initializer(
        "orthogonal", (), "structured",
        "Saxe et al. 2014: a random (semi-)orthogonal matrix times gain; keeps norms exactly in linear nets",
        "W = g·Q, Q from QR of a Gaussian, Q·sign(diag R); rows orthonormal if fi <= fo, else columns",
        (GAIN_1,),
        lambda fi, fo, p, g: Orthogonal(g, fi, fo),
        lambda fi, fo, p, g: _orthogonal_codes(fi, fo, g),
        "Expected std g/sqrt(max(fi, fo)) is exact (Frobenius norm² = min(fi, fo)·g²). Mean-field theory "
        "predicts its variances, not its Jacobian spectrum (orthogonal + tanh can reach dynamical isometry).",
        elementwise=False,
    ),
    Initializer(
        "identity", ("eye",), "structured",
        "gain·eye: every unit copies one input; a residual-style start, not a random init",
        "W = g·eye(fi, fo)", (GAIN_1,),
        lambda fi, fo, p, g: Identity(g, fi, fo), _identity_codes,
        "Rectangular: g on the first min(fi, fo) diagonal entries. Mean-field theory does not apply "
        "(not random).",
        elementwise=False, zero_mean=False,
    ),
    Initializer(
        "sparse", (), "structured",
        "Martens 2010: Gaussian weights with a fixed number of zeros in each output unit's incoming weights",
        "W ~ N(0, std²), then ceil(sparsity·fi) zeros in every column (one column = one output unit)",
        (Param("sparsity", 0.1, "fraction of each column set to zero (rounded up)", 0.0, 1.0),
         _positive("std", 0.01, "std of the non-zero weights")),
        lambda fi, fo, p, g: Sparse(_f(p, "sparsity"), _f(p, "std"), fi), _sparse_codes,
        "Expected std counts the zeros: std·sqrt(1 - zeros/fi). fi = 10 with sparsity 0.25 gives 3 zeros "
        "per column (30 %, not 25 %), as torch. The default std 0.01 ignores the fans: deep nets vanish.",
        elementwise=False,
    ),
    Initializer(
        "lsuv", (), "data-dependent",
        "Mishkin & Matas 2016: orthogonal, then each layer rescaled on the batch until Var of its output "
        "is 1 ± tol",
        "W = orthogonal(gain 1); then layer by layer W ← W/std(Z) until |Var(Z) - 1| < tol "
        "(at most max_iters)",
        (Param("tol", 0.1, "accepted |Var(Z) - 1|", 0.0, 1.0, False),
         Param("max_iters", 10.0, "rescaling rounds per layer", 1.0, 1000.0, integer=True)),
        lambda fi, fo, p, g: Orthogonal(1.0, fi, fo), _lsuv_codes,
        "A draw here is the orthogonal start (expected values are the start's); the propagation engine "
        "does the rescaling on the run's batch.",
        elementwise=False, data_dependent=True,
    ),
    # ---------------------------------------------------------------- framework presets (exact semantics)
    _preset("keras_he_normal",
            "Keras/JAX/KotlinDL HeNormal: truncated and corrected, sample std sqrt(2/fi)",
            _TRUNC_HE, 2.0, "fan_in", "truncated_normal",
            "= variance_scaling(2, fan_in, truncated_normal). Hard cutoff at ±2.2737·sqrt(2/fi)."),
    _preset("keras_glorot_normal", "Keras/JAX/KotlinDL GlorotNormal: truncated and corrected",
            "N(0, s'²) cut at ±2s', s' = sqrt(2/(fi+fo))/0.87962566", 1.0, "fan_avg", "truncated_normal",
            "= variance_scaling(1, fan_avg, truncated_normal)."),
    _preset("keras_lecun_normal", "Keras/JAX/KotlinDL LecunNormal: truncated and corrected",
            _TRUNC_LECUN, 1.0, "fan_in", "truncated_normal",
            "= variance_scaling(1, fan_in, truncated_normal)."),
    _preset("flax_default",
            "Flax's Dense/Linear/Conv default kernel init: lecun_normal (truncated, corrected)",
            _TRUNC_LECUN, 1.0, "fan_in", "truncated_normal",
            "= keras_lecun_normal. Flax's bias default is zeros.",
            {"jax": Code("flax.nnx.initializers.lecun_normal()",
                         "the default kernel_init of nnx.Linear / linen.Dense")}),
    _preset("keras_default", "Keras' Dense/Conv default kernel init: GlorotUniform",
            "W ~ U(-b, b), b = sqrt(6/(fi+fo))", 1.0, "fan_avg", "uniform",
            "= xavier_uniform (gain 1). Keras' bias default is zeros.",
            {"keras": Code("keras.initializers.GlorotUniform()", "the default kernel_initializer of Dense")}),
    _preset("kotlindl_he_normal",
            "KotlinDL's Dense/Conv default kernel init: HeNormal (truncated, corrected)",
            _TRUNC_HE, 2.0, "fan_in", "truncated_normal",
            "= keras_he_normal. KotlinDL's default bias, HeUniform, is one-sided: see kotlindl_he_uniform.",
            {"kotlindl": Code("HeNormal()", "the default kernelInitializer of Dense/Conv; seed 12L")}),
    _kotlin_preset("kotlindl_he_uniform", "HeUniform", 2.0, "fan_in", "KotlinDL's default bias init",
                   "W ~ U[0, b), b = sqrt(6/fi): one-sided"),
    _kotlin_preset("kotlindl_glorot_uniform", "GlorotUniform", 1.0, "fan_avg", "not Glorot's U(-b, b)",
                   "W ~ U[0, b), b = sqrt(6/(fi+fo)): one-sided"),
    _kotlin_preset("kotlindl_lecun_uniform", "LeCunUniform", 1.0, "fan_in", "not LeCun's U(-b, b)",
                   "W ~ U[0, b), b = sqrt(3/fi): one-sided"),
)

_BY_NAME: dict[str, Initializer] = {}
for _entry in CATALOGUE:
    for _key in (_entry.name, *_entry.aliases):
        assert _key.lower() not in _BY_NAME, f"duplicate initializer name {_key}"
        _BY_NAME[_key.lower()] = _entry


def names() -> list[str]:
    """Canonical names in display order."""
    return [e.name for e in CATALOGUE]


def lookup(name: str, field_name: str = "initializer") -> Initializer:
    """The entry for a name or alias; an unknown name is a ConfigError that suggests the closest names."""
    key = str(name).strip().lower().replace("-", "_")
    if key in _BY_NAME:
        return _BY_NAME[key]
    close = difflib.get_close_matches(key, list(_BY_NAME), n=3, cutoff=0.5)
    hint = "did you mean " + " or ".join(close) + "?" if close else "see `initscope list`"
    raise ConfigError(field_name, name, "a catalogue name or alias", hint)


def _count(field_name: str, value: object, low: int) -> int:
    allowed = f"an integer >= {low}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(field_name, value, allowed)
    if int(value) < low:
        raise ConfigError(field_name, value, allowed)
    return int(value)


def sample(
    name: str,
    fan_in: int,
    fan_out: int | None = None,
    n: int | None = None,
    seed: int = 0,
    params: Params | None = None,
    dtype: npt.DTypeLike = np.float64,
    auto_gain: float = SQRT2,
) -> FloatArray:
    """Draw from a catalogue entry with the given fans (fan_out defaults to fan_in).

    Without `n`: one (fan_in, fan_out) matrix. With `n`: n values, flattened. Elementwise entries draw n
    i.i.d. values with these fans directly; structured ones (orthogonal, identity, sparse, lsuv) draw
    ceil(n / (fan_in·fan_out)) matrices and return the first n values (every value from a real matrix).
    The generator is np.random.default_rng(np.random.SeedSequence(seed)).
    """
    entry = lookup(name)
    fi = _count("fan_in", fan_in, 1)
    fo = fi if fan_out is None else _count("fan_out", fan_out, 1)
    rng = np.random.default_rng(np.random.SeedSequence(_count("seed", seed, 0)))
    if n is None:
        return entry.sample(fi, fo, params, rng, dtype, auto_gain=auto_gain)
    count = _count("n", n, 1)
    if entry.elementwise:
        return entry.sample(fi, fo, params, rng, dtype, shape=(count,), auto_gain=auto_gain)
    matrices = [entry.sample(fi, fo, params, rng, dtype, auto_gain=auto_gain).ravel()
                for _ in range(math.ceil(count / (fi * fo)))]
    return np.concatenate(matrices)[:count]
