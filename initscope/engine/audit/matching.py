"""Which catalogue initializers a tensor's values are consistent with, for its fans.

A candidate agrees when every test below passes at Z standard errors of the sample size n:
- std: the std of a sample std is about sigma·sqrt((kappa + 2) / (4n)) for i.i.d. values of excess kurtosis
  kappa (orthogonal matrices have an exact std: only rounding is allowed);
- mean: within Z·sigma/sqrt(n) of the law's mean;
- family: values inside the law's bounds (uniform, truncated normal, one-sided) and reaching close to them
  (n values leave a gap of mass t at a bound with probability (1 - t)^n: a gap over REACH/n, plus the
  dtype's rounding at the bound, refuses), the
  excess kurtosis within Z·sqrt(24/n) of the law's (uniform -1.2, truncated normal at ±2σ -0.63, normal 0),
  and no i.i.d. law for orthonormal rows or columns (random vectors are never orthogonal to 1e-3);
- structure: orthogonal needs orthonormal rows or columns, sparse its fraction of zeros.
Candidates with the same law for these fans (xavier_uniform and keras_default) are one match with two names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from initscope.engine import initializers
from initscope.engine.audit.measure import EPS, TensorStats
from initscope.engine.initializers import Expected, Law
from initscope.engine.text import call_text

REACH = 12.0
"""A bounded law's extremes must come within REACH/n of its bounds in probability mass (else p < 1e-5)."""
Z = 4.5
"""Standard errors allowed: a true initializer is refused by one test with probability below 1e-5."""
VARIANTS: tuple[tuple[str, Mapping[str, initializers.ParamValue], str], ...] = (
    ("he_normal", {"mode": "fan_out"}, "torchvision's ResNet conv init"),
    ("he_uniform", {"mode": "fan_out"}, ""),
    ("normal", {"std": 0.02}, "BERT's and GPT-2's initializer_range 0.02"),
    ("normal", {"std": 0.01}, ""),
    ("normal", {"std": 0.05}, "Keras' RandomNormal default"),
    ("uniform", {"low": -0.1, "high": 0.1}, ""),
)
"""Common non-default settings worth naming, besides every entry with its defaults."""


def truncated_kurtosis(k: float) -> float:
    """Excess kurtosis of N(0, 1) cut to [-k, k]: m4/m2² - 3 with m2 = 1 - 2k·phi/Z, m4 = 3·m2 - 2k³·phi/Z."""
    mass = math.erf(k / math.sqrt(2.0))
    phi = math.exp(-0.5 * k * k) / math.sqrt(2.0 * math.pi)
    m2 = 1.0 - 2.0 * k * phi / mass
    m4 = 3.0 * m2 - 2.0 * k**3 * phi / mass
    return m4 / (m2 * m2) - 3.0


@dataclass(frozen=True)
class Candidate:
    names: tuple[str, ...]
    """Every catalogue spelling of this law for these fans, the first the one shown."""
    law: Law
    expected: Expected
    family: str
    kurtosis: float | None
    """Excess kurtosis of the law (None for structured laws, whose values are not i.i.d.)."""
    source: str = ""

    @property
    def name(self) -> str:
        return self.names[0]


@dataclass
class Match:
    candidate: Candidate
    score: float
    """sqrt(z_std² + z_kurtosis²): smaller agrees better."""

    def sentence(self, stats: TensorStats) -> str:
        c = self.candidate
        same = f" (= {', '.join(c.names[1:])})" if len(c.names) > 1 else ""
        return f"consistent with {c.name}{same}: std {stats.std:.4g} vs {c.expected.std:.4g}, {c.family}"


@dataclass
class MatchResult:
    matches: list[Match] = field(default_factory=list)
    nearest: Candidate | None = None
    """When nothing matches: the reference the std is compared with."""

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


def _family(law: Law, entry: initializers.Initializer) -> tuple[str, float | None]:
    if isinstance(law, initializers.Uniform):
        return ("one-sided uniform" if entry.one_sided else "uniform"), -1.2
    if isinstance(law, initializers.Truncated):
        return f"truncated normal (±{law.k:g}σ)", truncated_kurtosis(law.k)
    if isinstance(law, initializers.Normal):
        return "normal", 0.0
    if isinstance(law, initializers.Constant):
        return "constant", None
    if isinstance(law, initializers.Orthogonal):
        return "orthogonal", None
    if isinstance(law, initializers.Sparse):
        return "sparse normal", None
    return "identity", None


def _law_key(law: Law) -> tuple[object, ...]:
    return (type(law).__name__, *(round(v, 12) if isinstance(v, float) else v for v in vars(law).values()))


@lru_cache(maxsize=4096)
def candidates(fan_in: int, fan_out: int, elementwise_only: bool = False) -> tuple[Candidate, ...]:
    """Every catalogue entry (defaults, and VARIANTS) for these fans, laws that coincide merged."""
    settings: list[tuple[initializers.Initializer, Mapping[str, initializers.ParamValue], str]] = [
        (e, {}, "") for e in initializers.CATALOGUE if not e.data_dependent
    ]
    settings += [(initializers.lookup(n), p, s) for n, p, s in VARIANTS]
    merged: dict[tuple[object, ...], Candidate] = {}
    for entry, params, source in settings:
        if elementwise_only and not entry.elementwise:
            continue
        law = entry.distribution(fan_in, fan_out, params)
        key = _law_key(law)
        name = call_text(entry.name, params, sep=", ")
        if key in merged:
            old = merged[key]
            merged[key] = Candidate(
                (*old.names, name), old.law, old.expected, old.family, old.kurtosis, old.source or source
            )
        else:
            family, kurt = _family(law, entry)
            merged[key] = Candidate((name,), law, law.expected(), family, kurt, source)
    return tuple(merged.values())


def agreement(c: Candidate, s: TensorStats, dtype_name: str) -> float | None:
    """The score (smaller is better) when the tensor agrees with candidate `c`, else None."""
    n = s.finite
    e = c.expected
    if n == 0 or s.nonfinite:
        return None
    eps = EPS.get(dtype_name, 2.0**-23)
    rounding = 4.0 * eps * max(abs(e.mean), e.std, abs(s.mean), s.std, 1e-300)
    if c.family == "constant":
        return 0.0 if s.min == s.max and abs(s.mean - e.mean) <= rounding else None
    if s.std == 0 or e.std == 0:
        return None
    z_std = _std_z(c, s, eps, rounding)
    if abs(z_std) > Z or abs(s.mean - e.mean) > Z * e.std / math.sqrt(n) + rounding:
        return None
    if not _within_bounds(c, s, eps):
        return None
    z_kurt = _kurtosis_z(c, s)
    if z_kurt is None or not _structure_agrees(c, s):
        return None
    return math.hypot(z_std, z_kurt)


def _std_z(c: Candidate, s: TensorStats, eps: float, rounding: float) -> float:
    """How many standard errors the tensor's std is from the candidate's."""
    e, n = c.expected, s.finite
    if c.kurtosis is None:
        std_se = e.std * (1e-4 + 2.0 * eps)  # exact std up to rounding
        if c.family == "sparse normal":
            std_se = e.std * math.sqrt(2.0 / (4.0 * n)) + rounding
    else:
        std_se = e.std * math.sqrt((c.kurtosis + 2.0) / (4.0 * n)) + rounding
    return (s.std - e.std) / std_se


def _within_bounds(c: Candidate, s: TensorStats, eps: float) -> bool:
    """Inside the candidate's bounds, and reaching near them as often as a draw of this size does."""
    e = c.expected
    if e.bounds is None or c.family == "identity":
        return True
    lo, hi = e.bounds
    slack = 4.0 * eps * max(abs(lo), abs(hi))
    if s.min < lo - slack or s.max > hi + slack:
        return False
    edge = _edge_density(c.law)  # the gap allowed at a bound: chance, plus the stored dtype's rounding there
    return not (edge > 0 and max(s.min - lo, hi - s.max) > REACH / (s.finite * edge) + slack)


def _kurtosis_z(c: Candidate, s: TensorStats) -> float | None:
    """How many standard errors the kurtosis is from a random law's (0 for an exact one); None when it
    disagrees, or when an orthonormal tensor meets a random law."""
    if c.kurtosis is None:
        return 0.0
    if s.orthonormal is not None or math.isnan(s.kurtosis):
        return None
    z_kurt = (s.kurtosis - c.kurtosis) / math.sqrt(24.0 / s.finite)
    return None if abs(z_kurt) > Z else z_kurt


def _structure_agrees(c: Candidate, s: TensorStats) -> bool:
    """Orthogonal, identity and sparse candidates: the tensor has their structure."""
    if c.family == "orthogonal":
        return s.orthonormal is not None
    if c.family == "identity":
        return bool(s.orthonormal) and abs(s.zero_fraction - _identity_zeros(c)) < 1e-12
    if c.family == "sparse normal":
        return not abs(s.zero_fraction - _sparse_zeros(c)) > Z * math.sqrt(0.25 / s.finite)
    return True


def _edge_density(law: Law) -> float:
    """Density of a bounded law at its bounds (0 when it has none worth testing)."""
    if isinstance(law, initializers.Uniform):
        return 1.0 / (law.high - law.low) if law.high > law.low else 0.0
    if isinstance(law, initializers.Truncated) and law.std > 0:
        mass = math.erf(law.k / math.sqrt(2.0))
        return math.exp(-0.5 * law.k**2) / (math.sqrt(2.0 * math.pi) * law.std * mass)
    return 0.0


def _identity_zeros(c: Candidate) -> float:
    law = c.law
    assert isinstance(law, initializers.Identity)
    return 1.0 - min(law.fan_in, law.fan_out) / (law.fan_in * law.fan_out)


def _sparse_zeros(c: Candidate) -> float:
    law = c.law
    assert isinstance(law, initializers.Sparse)
    return initializers.sparse_zeros(law.sparsity, law.fan_in) / law.fan_in


def match(
    s: TensorStats,
    fan_in: int,
    fan_out: int,
    dtype_name: str,
    elementwise_only: bool = False,
    reference: str | None = None,
) -> MatchResult:
    """The agreeing candidates, best first; with none, the reference to compare the std with (`reference`
    when it is a catalogue name, else the candidate whose std is nearest)."""
    pool = candidates(fan_in, fan_out, elementwise_only)
    found = [Match(c, score) for c in pool if (score := agreement(c, s, dtype_name)) is not None]
    found.sort(key=lambda m: (m.score, m.candidate.name))
    if found:
        return MatchResult(found)
    return MatchResult([], reference_candidate(pool, s, reference))


def reference_candidate(pool: tuple[Candidate, ...], s: TensorStats, reference: str | None) -> Candidate | None:
    if reference is not None:
        for c in pool:
            if reference in c.names:
                return c
    scaled = [c for c in pool if c.expected.std > 0 and c.family != "constant"]
    if not scaled or not s.std > 0:
        return None
    return min(scaled, key=lambda c: abs(math.log(s.std / c.expected.std)))


def ratio_sentence(s: TensorStats, ref: Candidate | None) -> str:
    """'no initializer matches: std 2.7x he_normal's' (or what is known when there is no reference)."""
    if ref is None or not s.std > 0:
        return "no initializer matches"
    ratio = s.std / ref.expected.std
    return f"no initializer matches: std {ratio:.3g}x {ref.name}'s ({s.std:.4g} vs {ref.expected.std:.4g})"
