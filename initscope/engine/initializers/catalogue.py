"""The catalogue: one keyword entry per initializer, in display order, and lookup by name or alias.

An entry is words (summary, formula, note) plus a law rule from `entry.py`; entries that are the same
distribution share one `VarianceScaling` rule, so a preset cannot drift from the rule it names.
"""

from __future__ import annotations

from collections.abc import Mapping

from initscope.engine.errors import ConfigError
from initscope.engine.initializers.entry import (
    GAIN_SQUARED,
    Fixed,
    FromParams,
    GainTimesMatrix,
    Initializer,
    VarianceScaling,
    sparse_rule,
)
from initscope.engine.initializers.laws import Constant, Identity, Normal, Orthogonal, Truncated, Uniform
from initscope.engine.initializers.params import (
    GAIN_1,
    GAIN_HE,
    MODE,
    VS_DIST,
    VS_MODE,
    Param,
    ParamValue,
    positive,
)
from initscope.engine.limits import LSUV_MAX_ITERS, LSUV_TOL, SPARSITY

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
TRUNC_LECUN = "N(0, s'²) cut at ±2s', s' = sqrt(1/fi)/0.87962566"
TRUNC_HE = "N(0, s'²) cut at ±2s', s' = sqrt(2/fi)/0.87962566"

# The variance-scaling rules the entries share (scale GAIN_SQUARED: the gain parameter squared).
TORCH_DEFAULT = VarianceScaling(1.0 / 3.0, "fan_in", "uniform")
XAVIER_UNIFORM = VarianceScaling(GAIN_SQUARED, "fan_avg", "uniform")
XAVIER_NORMAL = VarianceScaling(GAIN_SQUARED, "fan_avg", "normal")
HE_UNIFORM = VarianceScaling(GAIN_SQUARED, None, "uniform")
HE_NORMAL = VarianceScaling(GAIN_SQUARED, None, "normal")
LECUN_UNIFORM = VarianceScaling(1.0, "fan_in", "uniform")
LECUN_NORMAL = VarianceScaling(1.0, "fan_in", "normal")
HE_TRUNCATED = VarianceScaling(2.0, "fan_in", "truncated_normal")
GLOROT_TRUNCATED = VarianceScaling(1.0, "fan_avg", "truncated_normal")
LECUN_TRUNCATED = VarianceScaling(1.0, "fan_in", "truncated_normal")
GLOROT_SYMMETRIC = VarianceScaling(1.0, "fan_avg", "uniform")
ONE_SIDED_HE = VarianceScaling(2.0, "fan_in", "uniform", one_sided=True)
ONE_SIDED_GLOROT = VarianceScaling(1.0, "fan_avg", "uniform", one_sided=True)
ONE_SIDED_LECUN = VarianceScaling(1.0, "fan_in", "uniform", one_sided=True)


def _check_uniform(p: Mapping[str, ParamValue], given: Mapping[str, object]) -> None:
    if float(p["high"]) <= float(p["low"]):
        raise ConfigError(
            "uniform.high", given.get("high", p["high"]), f"a number > uniform.low ({float(p['low']):.6g})"
        )


def _preset(name: str, law: VarianceScaling, summary: str, formula: str, note: str) -> Initializer:
    """A framework preset: a fixed variance-scaling rule, nothing of its own."""
    return Initializer(name=name, family="framework preset", summary=summary, formula=formula, law=law, note=note)


def _kotlin_preset(name: str, law: VarianceScaling, kotlin_name: str, what: str, formula: str) -> Initializer:
    """KotlinDL's one-sided uniform variance scaling."""
    return Initializer(
        name=name,
        family="framework preset",
        formula=formula,
        law=law,
        note=KOTLIN_ONE_SIDED_NOTE,
        summary=f"KotlinDL's {kotlin_name}, reproduced with its one-sided U[0, b) draw ({what})",
        zero_mean=False,
        one_sided=True,
    )


CONSTANTS = (
    Initializer(
        name="zeros",
        aliases=("zero",),
        family="constant",
        law=Fixed(Constant(0.0)),
        zero_mean=False,
        summary="every weight 0: all units compute the same thing, symmetry never breaks",
        formula="W = 0",
        note="The usual bias init. As a weight init every hidden unit gets the same gradient: they stay identical.",
    ),
    Initializer(
        name="ones",
        aliases=("one",),
        family="constant",
        law=Fixed(Constant(1.0)),
        zero_mean=False,
        summary="every weight 1: symmetric, and the signal grows by fan_in per layer",
        formula="W = 1",
        note="Same as constant(value=1).",
    ),
    Initializer(
        name="constant",
        family="constant",
        law=FromParams(Constant, ("value",)),
        zero_mean=False,
        summary="every weight the same value: units stay identical (symmetric)",
        formula="W = value",
        params=(Param("value", 1.0, "the value of every weight"),),
        note="torch's constant_ and KotlinDL's Constant have no default value; Keras' Constant defaults to 0.",
    ),
)

PLAIN_RANDOM = (
    Initializer(
        name="normal",
        aliases=("random_normal",),
        family="plain random",
        summary="Gaussian with a fixed std that ignores the fans (torch normal_ defaults to std 1)",
        formula="W ~ N(mean, std²)",
        law=FromParams(Normal, ("mean", "std")),
        params=(Param("mean", 0.0, "mean"), positive("std", 1.0, "standard deviation")),
        note="Defaults differ: torch normal_ std 1, Keras RandomNormal 0.05, JAX normal 0.01, KotlinDL "
        "RandomNormal 1. A fixed std vanishes or explodes with depth unless it is about sqrt(2/fan_in) "
        "(relu).",
    ),
    Initializer(
        name="uniform",
        aliases=("random_uniform",),
        family="plain random",
        summary="uniform on fixed bounds that ignore the fans (Keras RandomUniform defaults)",
        formula="W ~ U(low, high)",
        law=FromParams(Uniform, ("low", "high")),
        check=_check_uniform,
        params=(Param("low", -0.05, "lower bound"), Param("high", 0.05, "upper bound (must exceed low)")),
        note="Defaults differ: torch uniform_ is U(0, 1), JAX uniform(scale) is U[0, scale), KotlinDL "
        "RandomUniform is U[0, 1) with maxVal first.",
    ),
    Initializer(
        name="truncated_normal",
        family="plain random",
        law=FromParams(Truncated, ("mean", "std", "k")),
        summary="Gaussian cut at mean ± k·std, not rescaled (Keras TruncatedNormal): sample std 0.8796·std for k = 2",
        formula="W ~ N(mean, std²) redrawn outside mean ± k·std; sample std = std·c(k), c(2) = 0.87963",
        params=(
            Param("mean", 0.0, "mean"),
            positive("std", 0.05, "std before truncation"),
            positive("k", 2.0, "cut points in stds"),
        ),
        note="Conventions differ: torch trunc_normal_(a, b) takes absolute bounds (with std 0.02 and the default "
        "±2 it does not truncate at all); Keras and JAX cut in std units. None of them corrects the std; "
        "variance_scaling's truncated_normal does.",
    ),
)

FAN_SCALED = (
    Initializer(
        name="inv_sqrt_fan_in_uniform",
        aliases=("torch_default", "pytorch_linear", "glorot_heuristic"),
        family="variance scaling",
        law=TORCH_DEFAULT,
        summary="U(±1/sqrt(fi)): Glorot & Bengio 2010 eq. (1), the heuristic that paper argues against; "
        'PyTorch\'s nn.Linear/Conv default, kaiming_uniform_(a=sqrt5); often mislabelled "Xavier"',
        formula="W ~ U(-b, b), b = 1/sqrt(fi); std = 1/sqrt(3·fi)",
        note="Variance 1/(3·fi), a third of LeCun's: a linear layer shrinks the signal std by sqrt3 (relu: "
        "sqrt6). It is not Glorot/Xavier (eq. 16), whatever tutorials call it; torch keeps it for "
        "backward compatibility (pytorch#1667, #15314). torch's bias default is the same U(±1/sqrt(fi)).",
    ),
    Initializer(
        name="xavier_uniform",
        aliases=("glorot_uniform",),
        family="variance scaling",
        law=XAVIER_UNIFORM,
        summary="Glorot & Bengio 2010 eq. (16), 'normalized initialization': variance 2/(fi+fo) balances "
        "forward and backward",
        formula="W ~ U(-b, b), b = g·sqrt(6/(fi+fo))",
        params=(GAIN_1,),
        note="Keras' default kernel init. For tanh torch suggests gain 5/3 (or 'auto'). KotlinDL's "
        "GlorotUniform is one-sided (see kotlindl_glorot_uniform).",
    ),
    Initializer(
        name="xavier_normal",
        aliases=("glorot_normal",),
        family="variance scaling",
        law=XAVIER_NORMAL,
        summary="Glorot's variance 2/(fi+fo) as an untruncated Gaussian (torch xavier_normal_)",
        formula="W ~ N(0, s²), s = g·sqrt(2/(fi+fo))",
        params=(GAIN_1,),
        note="Untruncated, as torch. Keras/JAX/KotlinDL GlorotNormal are truncated (see keras_glorot_normal).",
    ),
    Initializer(
        name="he_uniform",
        aliases=("kaiming_uniform",),
        family="variance scaling",
        law=HE_UNIFORM,
        summary="He et al. 2015: variance g²/fan keeps relu signals (g = sqrt2) constant through depth; uniform",
        formula="W ~ U(-b, b), b = g·sqrt(3/fan)",
        params=(GAIN_HE, MODE),
        note="mode fan_in keeps the forward signal, fan_out the backward gradient. "
        + TORCH_FANS_NOTE
        + " KotlinDL's HeUniform is one-sided (see kotlindl_he_uniform).",
    ),
    Initializer(
        name="he_normal",
        aliases=("kaiming_normal", "msra"),
        family="variance scaling",
        law=HE_NORMAL,
        summary="He et al. 2015, untruncated Gaussian (torch kaiming_normal_, Caffe 'msra')",
        formula="W ~ N(0, s²), s = g/sqrt(fan)",
        params=(GAIN_HE, MODE),
        note="Untruncated, as torch. Keras/JAX/KotlinDL HeNormal are truncated (see keras_he_normal). "
        + TORCH_FANS_NOTE,
    ),
    Initializer(
        name="lecun_uniform",
        family="variance scaling",
        law=LECUN_UNIFORM,
        summary="LeCun 1998: variance 1/fi, uniform (this is Caffe's 'xavier' filler)",
        formula="W ~ U(-b, b), b = sqrt(3/fi)",
        note="torch has no lecun_*: kaiming_uniform_(nonlinearity='linear') is the same. KotlinDL's "
        "LeCunUniform is one-sided (see kotlindl_lecun_uniform).",
    ),
    Initializer(
        name="lecun_normal",
        family="variance scaling",
        law=LECUN_NORMAL,
        summary="LeCun 1998: variance 1/fi, untruncated Gaussian (what self-normalizing SELU nets assume)",
        formula="W ~ N(0, s²), s = 1/sqrt(fi)",
        note="Untruncated. Keras/JAX/KotlinDL LecunNormal and Flax's default are truncated (see keras_lecun_normal).",
    ),
    Initializer(
        name="variance_scaling",
        family="variance scaling",
        law=VarianceScaling(),
        summary="the rule behind Glorot, He and LeCun: variance scale/n, n chosen by mode (Keras/JAX VarianceScaling)",
        formula="σ² = scale/n; truncated_normal: N(0, s'²) cut at ±2s', s' = σ/0.87962566 (sample std σ); "
        "normal: N(0, σ²); uniform: U(-b, b), b = sqrt(3)·σ",
        params=(positive("scale", 1.0, "variance multiplier (gain²)"), VS_MODE, VS_DIST),
        note="Here 'normal' is untruncated, as in JAX; Keras silently maps 'normal' to truncated_normal and "
        "spells the untruncated one 'untruncated_normal'. fan_geo_avg (n = sqrt(fi·fo)) exists only in "
        "JAX. A torch gain g is scale g².",
    ),
)

STRUCTURED = (
    Initializer(
        name="orthogonal",
        family="structured",
        law=GainTimesMatrix(Orthogonal),
        params=(GAIN_1,),
        summary="Saxe et al. 2014: a random (semi-)orthogonal matrix times gain; keeps norms exactly in linear nets",
        formula="W = g·Q, Q from QR of a Gaussian, Q·sign(diag R); rows orthonormal if fi <= fo, else columns",
        note="Expected std g/sqrt(max(fi, fo)) is exact (Frobenius norm² = min(fi, fo)·g²). Mean-field theory "
        "predicts its variances, not its Jacobian spectrum (orthogonal + tanh can reach dynamical "
        "isometry).",
        elementwise=False,
    ),
    Initializer(
        name="identity",
        aliases=("eye",),
        family="structured",
        law=GainTimesMatrix(Identity),
        params=(GAIN_1,),
        summary="gain·eye: every unit copies one input; a residual-style start, not a random init",
        formula="W = g·eye(fi, fo)",
        note="Rectangular: g on the first min(fi, fo) diagonal entries. Mean-field theory does not apply (not random).",
        elementwise=False,
        zero_mean=False,
    ),
    Initializer(
        name="sparse",
        family="structured",
        law=sparse_rule,
        summary="Martens 2010: Gaussian weights with a fixed number of zeros in each output unit's incoming weights",
        formula="W ~ N(0, std²), then ceil(sparsity·fi) zeros in every column (one column = one output unit)",
        params=(
            Param("sparsity", 0.1, "fraction of each column set to zero (rounded up)", *SPARSITY),
            positive("std", 0.01, "std of the non-zero weights"),
        ),
        note="Expected std counts the zeros: std·sqrt(1 - zeros/fi). fi = 10 with sparsity 0.25 gives 3 zeros "
        "per column (30 %, not 25 %), as torch. The default std 0.01 ignores the fans: deep nets vanish.",
        elementwise=False,
    ),
    # lsuv takes no gain, so GainTimesMatrix starts it at gain 1
    Initializer(
        name="lsuv",
        family="data-dependent",
        law=GainTimesMatrix(Orthogonal),
        summary="Mishkin & Matas 2016: orthogonal, then each layer rescaled on the batch until Var of its "
        "output is 1 ± tol",
        formula="W = orthogonal(gain 1); then layer by layer W ← W/std(Z) until |Var(Z) - 1| < tol (at most max_iters)",
        params=(
            Param("tol", 0.1, "accepted |Var(Z) - 1|", *LSUV_TOL, low_inclusive=False),
            Param("max_iters", 10.0, "rescaling rounds per layer", *LSUV_MAX_ITERS, integer=True),
        ),
        note="A draw here is the orthogonal start (expected values are the start's); the propagation engine "
        "does the rescaling on the run's batch.",
        elementwise=False,
        data_dependent=True,
    ),
)

PRESETS = (
    _preset(
        "keras_he_normal",
        HE_TRUNCATED,
        "Keras/JAX/KotlinDL HeNormal: truncated and corrected, sample std sqrt(2/fi)",
        TRUNC_HE,
        "= variance_scaling(2, fan_in, truncated_normal). Hard cutoff at ±2.2737·sqrt(2/fi).",
    ),
    _preset(
        "keras_glorot_normal",
        GLOROT_TRUNCATED,
        "Keras/JAX/KotlinDL GlorotNormal: truncated and corrected",
        "N(0, s'²) cut at ±2s', s' = sqrt(2/(fi+fo))/0.87962566",
        "= variance_scaling(1, fan_avg, truncated_normal).",
    ),
    _preset(
        "keras_lecun_normal",
        LECUN_TRUNCATED,
        "Keras/JAX/KotlinDL LecunNormal: truncated and corrected",
        TRUNC_LECUN,
        "= variance_scaling(1, fan_in, truncated_normal).",
    ),
    _preset(
        "flax_default",
        LECUN_TRUNCATED,
        "Flax's Dense/Linear/Conv default kernel init: lecun_normal (truncated, corrected)",
        TRUNC_LECUN,
        "= keras_lecun_normal. Flax's bias default is zeros.",
    ),
    _preset(
        "keras_default",
        GLOROT_SYMMETRIC,
        "Keras' Dense/Conv default kernel init: GlorotUniform",
        "W ~ U(-b, b), b = sqrt(6/(fi+fo))",
        "= xavier_uniform (gain 1). Keras' bias default is zeros.",
    ),
    _preset(
        "kotlindl_he_normal",
        HE_TRUNCATED,
        "KotlinDL's Dense/Conv default kernel init: HeNormal (truncated, corrected)",
        TRUNC_HE,
        "= keras_he_normal. KotlinDL's default bias, HeUniform, is one-sided: see kotlindl_he_uniform.",
    ),
    _kotlin_preset(
        "kotlindl_he_uniform",
        ONE_SIDED_HE,
        "HeUniform",
        "KotlinDL's default bias init",
        "W ~ U[0, b), b = sqrt(6/fi): one-sided",
    ),
    _kotlin_preset(
        "kotlindl_glorot_uniform",
        ONE_SIDED_GLOROT,
        "GlorotUniform",
        "not Glorot's U(-b, b)",
        "W ~ U[0, b), b = sqrt(6/(fi+fo)): one-sided",
    ),
    _kotlin_preset(
        "kotlindl_lecun_uniform",
        ONE_SIDED_LECUN,
        "LeCunUniform",
        "not LeCun's U(-b, b)",
        "W ~ U[0, b), b = sqrt(3/fi): one-sided",
    ),
)

CATALOGUE: tuple[Initializer, ...] = (*CONSTANTS, *PLAIN_RANDOM, *FAN_SCALED, *STRUCTURED, *PRESETS)
"""Every entry, in display order."""


def _index(entries: tuple[Initializer, ...]) -> dict[str, Initializer]:
    by_name: dict[str, Initializer] = {}
    for entry in entries:
        for key in (entry.name, *entry.aliases):
            if key.lower() in by_name:
                raise ValueError(f"duplicate initializer name {key}")
            by_name[key.lower()] = entry
    return by_name


_BY_NAME = _index(CATALOGUE)


def names() -> list[str]:
    """Canonical names in display order."""
    return [e.name for e in CATALOGUE]


def lookup(name: str, field_name: str = "initializer") -> Initializer:
    """The entry for a name or alias; an unknown name is a ConfigError that suggests the closest names."""
    key = str(name).strip().lower().replace("-", "_")
    if key in _BY_NAME:
        return _BY_NAME[key]
    import difflib  # only for a name not in the catalogue (difflib takes 1.4 ms to import)

    close = difflib.get_close_matches(key, list(_BY_NAME), n=3, cutoff=0.5)
    hint = "did you mean " + " or ".join(close) + "?" if close else "see `initscope list`"
    raise ConfigError(field_name, name, "a catalogue name or alias", hint)
