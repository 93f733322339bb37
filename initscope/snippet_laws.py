"""How PyTorch, Keras 3, JAX and KotlinDL write each law that is not variance scaling (constant, normal,
uniform, truncated normal, orthogonal, identity, sparse), saying so where a framework has no equivalent."""

from __future__ import annotations

from initscope.engine.initializers import sparse_zeros, truncated_std_factor
from initscope.snippet_code import Code, Codes, kotlin_float, py_num


def constant_codes(value: float) -> Codes:
    if value == 0.0:
        return {
            "pytorch": Code("nn.init.zeros_(w)"),
            "keras": Code("keras.initializers.Zeros()"),
            "jax": Code("jax.nn.initializers.zeros"),
            "kotlindl": Code("Zeros()"),
        }
    if value == 1.0:
        return {
            "pytorch": Code("nn.init.ones_(w)"),
            "keras": Code("keras.initializers.Ones()"),
            "jax": Code("jax.nn.initializers.ones"),
            "kotlindl": Code("Ones()"),
        }
    return {
        "pytorch": Code(f"nn.init.constant_(w, {py_num(value)})"),
        "keras": Code(f"keras.initializers.Constant(value={py_num(value)})"),
        "jax": Code(f"jax.nn.initializers.constant({py_num(value)})"),
        "kotlindl": Code(f"Constant({kotlin_float(value)})"),
    }


def normal_codes(mean: float, std: float) -> Codes:
    jax = (
        Code(f"jax.nn.initializers.normal(stddev={py_num(std)})")
        if mean == 0
        else Code(
            f"lambda key, shape, dtype=jnp.float32: {py_num(mean)} + jax.nn.initializers.normal({py_num(std)})"
            "(key, shape, dtype)",
            "jax's normal has no mean",
        )
    )
    return {
        "pytorch": Code(f"nn.init.normal_(w, mean={py_num(mean)}, std={py_num(std)})"),
        "keras": Code(f"keras.initializers.RandomNormal(mean={py_num(mean)}, stddev={py_num(std)})"),
        "jax": jax,
        "kotlindl": Code(f"RandomNormal(mean = {kotlin_float(mean)}, stdev = {kotlin_float(std)})"),
    }


def uniform_codes(low: float, high: float) -> Codes:
    return {
        "pytorch": Code(f"nn.init.uniform_(w, a={py_num(low)}, b={py_num(high)})"),
        "keras": Code(f"keras.initializers.RandomUniform(minval={py_num(low)}, maxval={py_num(high)})"),
        "jax": Code(
            f"lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, "
            f"minval={py_num(low)}, maxval={py_num(high)})",
            "jax.nn.initializers.uniform(scale) is U[0, scale)",
        ),
        "kotlindl": Code(
            f"RandomUniform(maxVal = {kotlin_float(high)}, minVal = {kotlin_float(low)})", "note: maxVal first"
        ),
    }


def truncated_codes(mean: float, std: float, k: float) -> Codes:
    lo, hi = mean - k * std, mean + k * std
    unscaled = f"not rescaled: sample std {py_num(std * truncated_std_factor(k))}"
    keras = (
        Code(f"keras.initializers.TruncatedNormal(mean={py_num(mean)}, stddev={py_num(std)})", unscaled)
        if k == 2.0
        else Code("", missing=f"Keras' TruncatedNormal always cuts at mean ± 2·stddev, not ± {py_num(k)}·stddev")
    )
    jax_expr = f"jax.nn.initializers.truncated_normal(stddev={py_num(std)}, lower={py_num(-k)}, upper={py_num(k)})"
    jax = (
        Code(jax_expr, unscaled + "; lower/upper in std units")
        if mean == 0
        else Code(
            f"lambda key, shape, dtype=jnp.float32: {py_num(mean)} + {jax_expr}(key, shape, dtype)",
            "jax's truncated_normal has no mean",
        )
    )
    return {
        "pytorch": Code(
            f"nn.init.trunc_normal_(w, mean={py_num(mean)}, std={py_num(std)}, a={py_num(lo)}, b={py_num(hi)})",
            "a and b are absolute values, not multiples of std",
        ),
        "keras": keras,
        "jax": jax,
        "kotlindl": Code(
            f"ParametrizedTruncatedNormal(mean = {kotlin_float(mean)}, stdev = {kotlin_float(std)}, "
            f"p1 = {kotlin_float(lo)}, p2 = {kotlin_float(hi)}, seed = 12L)",
            "p1, p2 are absolute bounds",
        ),
    }


def orthogonal_codes(fi: int, fo: int, g: float) -> Codes:
    kotlin = Code(f"Orthogonal(gain = {kotlin_float(g)})")
    if fi != fo:
        kotlin = Code(
            kotlin.expr,
            "KotlinDL's Orthogonal reads the wrong dim for non-square shapes and appears to fail here (untested)",
        )
    return {
        "pytorch": Code(f"nn.init.orthogonal_(w, gain={py_num(g)})", "semi-orthogonal either way round: the same law"),
        "keras": Code(f"keras.initializers.Orthogonal(gain={py_num(g)})"),
        "jax": Code(f"jax.nn.initializers.orthogonal(scale={py_num(g)})", "scale is a plain multiplier"),
        "kotlindl": kotlin,
    }


def identity_codes(g: float) -> Codes:
    return {
        "pytorch": Code(f"nn.init.eye_(w); w.mul_({py_num(g)})" if g != 1 else "nn.init.eye_(w)", "eye_ has no gain"),
        "keras": Code(f"keras.initializers.Identity(gain={py_num(g)})"),
        "jax": Code(
            f"lambda key, shape, dtype=jnp.float32: {py_num(g)} * jnp.eye(*shape, dtype=dtype)",
            "jax.nn.initializers has no eye",
        ),
        "kotlindl": Code(f"Identity(gain = {kotlin_float(g)})"),
    }


def sparse_codes(fi: int, fo: int, sparsity: float, std: float) -> Codes:
    return {
        "pytorch": Code(
            f"nn.init.sparse_(w.T, sparsity={py_num(sparsity)}, std={py_num(std)})",
            f"w.T: {sparse_zeros(sparsity, fi)} zeros per output unit; sparse_(w) would zero "
            f"ceil(sparsity·{fo}) per input column instead",
        ),
        "keras": Code(missing="Keras has no sparse initializer"),
        "jax": Code(missing="jax.nn.initializers has no sparse initializer"),
        "kotlindl": Code(missing="KotlinDL has no sparse initializer"),
    }
