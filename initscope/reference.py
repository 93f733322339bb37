"""The catalogue as text: `initscope list` (plain, aligned) and docs/initializers.md (Markdown).

Both are generated from the catalogue entries, so the docs cannot drift from the code. Regenerate the
Markdown with `python -m initscope.reference > docs/initializers.md` (a test fails when it is stale).
Imports nothing from textual, rich or plotext: the CLI prints this without starting a UI.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from initscope.engine.initializers import CATALOGUE, TRUNC_C, Expected, Initializer, Param
from initscope.snippets import snippets

EXAMPLE_FANS = (784, 256)
"""The shape every Markdown snippet is shown for: a 784 -> 256 layer (an MNIST first layer)."""

WIDTH = 100
ONE_SIDED_MARK = "[ONE-SIDED: every value >= 0]"
LANGS = {
    "pytorch": ("PyTorch", "python"),
    "keras": ("Keras 3", "python"),
    "jax": ("JAX / Flax", "python"),
    "kotlindl": ("KotlinDL", "kotlin"),
}


def _families() -> list[str]:
    seen: list[str] = []
    for entry in CATALOGUE:
        if entry.family not in seen:
            seen.append(entry.family)
    return seen


def _param_text(p: Param) -> str:
    return f"{p.name}={p.shown_default()} ({p.allowed()})"


def _num(x: float) -> str:
    return f"{x:.6g}"


def _expected_text(e: Expected) -> str:
    bounds = "unbounded" if e.bounds is None else f"[{_num(e.bounds[0])}, {_num(e.bounds[1])}]"
    return f"mean {_num(e.mean)}, std {_num(e.std)}, support {bounds}"


# ------------------------------------------------------------------------------------------- plain text
LABEL = 10
"""Width of the field names (formula, params, ...) in the plain table."""


def _field(name: str, text: str) -> list[str]:
    """A labelled field, its text wrapped under itself."""
    wrapped = textwrap.wrap(text, WIDTH - LABEL - 4, break_on_hyphens=False) or [""]
    return [f"    {name:<{LABEL}}{wrapped[0]}", *(" " * (LABEL + 4) + more for more in wrapped[1:])]


_KINDS: tuple[tuple[Callable[[Initializer], bool], str, str], ...] = (
    (lambda e: not e.elementwise, "weights only (not a bias)", "a weight matrix only (cannot initialize a bias)"),
    (lambda e: e.data_dependent, "data-dependent", "data-dependent: rescaled on the batch by the engine"),
    (lambda e: not e.zero_mean, "mean-field theory not applicable", "mean-field theory not applicable"),
)
"""What the rest of the program may not assume of an entry: (applies, words in the table, in the Markdown)."""


def _kinds(entry: Initializer, markdown: bool = False) -> list[str]:
    return [long if markdown else short for applies, short, long in _KINDS if applies(entry)]


def _table_entry(entry: Initializer) -> list[str]:
    head = entry.name
    if entry.aliases:
        head += "  (aliases: " + ", ".join(entry.aliases) + ")"
    if entry.one_sided:
        head += "  " + ONE_SIDED_MARK
    lines = ["", head, *_field("formula", entry.formula)]
    params = [_param_text(p) for p in entry.params] or ["none"]
    for i, text in enumerate(params):
        lines += _field("params" if i == 0 else "", text)
    lines += _field("about", entry.summary)
    if entry.note:
        lines += _field("note", entry.note)
    if flags := _kinds(entry):
        lines += _field("flags", "; ".join(flags))
    for key, code in snippets(entry, *EXAMPLE_FANS).items():  # code is never wrapped
        lines += [f"    {key if i == 0 else '':<{LABEL}}{code_line}" for i, code_line in enumerate(code.splitlines())]
    return lines


def catalogue_table() -> str:
    """Every entry with aliases, family, formula, parameters (defaults and ranges) and note."""
    lines = [
        "initscope initializers (fi = fan_in, fo = fan_out, g = gain, fan = fi or fo by mode;",
        "weights are (fi, fo) and a layer computes Z = A @ W; PyTorch stores W.T).",
        f"Entries marked {ONE_SIDED_MARK} draw U[0, b) as KotlinDL does, not U(-b, b).",
        "The code lines write the same initializer in PyTorch, Keras 3, JAX and KotlinDL for a "
        f"{EXAMPLE_FANS[0]} -> {EXAMPLE_FANS[1]} layer.",
    ]
    for family in _families():
        lines += ["", f"== {family} =="]
        for entry in (e for e in CATALOGUE if e.family == family):
            lines += _table_entry(entry)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------- markdown
_XAVIERS = "\n".join(
    [
        '## Three different "Xavier"s',
        "",
        'The name "Xavier" is used for three different distributions; initscope gives each its own entry.',
        "",
        '| what people call "Xavier" | distribution | variance | initscope entry |',
        "|---|---|---|---|",
        '| the "Xavier" of many tutorials; Glorot & Bengio 2010 **eq. (1)**, the "commonly used heuristic" the '
        "paper argues against; PyTorch's `nn.Linear`/`nn.Conv*` default (`kaiming_uniform_(a=sqrt(5))`) "
        "| U(±1/sqrt(fi)) | 1/(3·fi) "
        "| `inv_sqrt_fan_in_uniform` (aliases `torch_default`, `pytorch_linear`, `glorot_heuristic`) |",
        '| Glorot & Bengio 2010 **eq. (16)**, "normalized initialization": what every library\'s '
        "`xavier_*`/`glorot_*` means | U(±sqrt(6/(fi+fo))) | 2/(fi+fo) "
        "| `xavier_uniform` (and `xavier_normal`) |",
        '| Caffe\'s `"xavier"` filler (default `variance_norm: FAN_IN`) | U(±sqrt(3/fi)) | 1/fi | `lecun_uniform` |',
        "",
        "For fi = 10 (the U(-1/sqrt(n), 1/sqrt(n)) example with n = 10) the first has bound 0.316228 and std "
        "0.182574. For a square layer (fi = fo) the second and third coincide, and the first is sqrt(3) smaller "
        "in std.",
        "",
    ]
)


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a bare | would end the cell."""
    return text.replace("|", "\\|")


def _params_table(entry: Initializer) -> list[str]:
    if not entry.params:
        return ["Parameters: none."]
    rows = ["| parameter | default | allowed | meaning |", "|---|---|---|---|"]
    rows += [f"| `{p.name}` | `{p.shown_default()}` | {_cell(p.allowed())} | {_cell(p.help)} |" for p in entry.params]
    return rows


def _entry_markdown(entry: Initializer) -> list[str]:
    fi, fo = EXAMPLE_FANS
    out = [f"### `{entry.name}`", ""]
    if entry.one_sided:
        out += [f"> **{ONE_SIDED_MARK}** This reproduces KotlinDL's U[0, b), not a symmetric U(-b, b).", ""]
    out += [entry.summary[0].upper() + entry.summary[1:] + ".", ""]
    facts = [f"- **Formula:** {entry.formula}", f"- **Family:** {entry.family}"]
    if entry.aliases:
        facts.append("- **Aliases:** " + ", ".join(f"`{a}`" for a in entry.aliases))
    facts.append(
        f"- **Expected at (fi, fo) = ({fi}, {fo}), default parameters:** " + _expected_text(entry.expected(fi, fo))
    )
    if kinds := _kinds(entry, markdown=True):
        facts.append("- **Kind:** " + "; ".join(kinds))
    out += [*facts, "", *_params_table(entry), ""]
    if entry.note:
        out += [f"**Note.** {entry.note}", ""]
    out += [f"In code, for a {fi} -> {fo} layer:", ""]
    for key, text in snippets(entry, fi, fo).items():
        title, lang = LANGS[key]
        out += [f"*{title}*", "", f"```{lang}", text, "```", ""]
    return out


def catalogue_markdown() -> str:
    """The full reference: conventions, the three Xaviers, an index, then every entry with snippets."""
    fi, fo = EXAMPLE_FANS
    out = [
        "# Initializer reference",
        "",
        "<!-- Generated by `python -m initscope.reference > docs/initializers.md`; do not edit by hand. -->",
        "",
        "Every initializer initscope knows: its formula, parameters, the exact mean, std and support it "
        "should produce, and how to write the same thing in PyTorch, Keras 3, JAX/Flax and KotlinDL.",
        "",
        "## Conventions",
        "",
        "- fi = fan_in, fo = fan_out, g = gain, fan = fi or fo as chosen by `mode`.",
        "- Weights are (fi, fo) and a layer computes Z = A @ W, as in Keras, JAX and KotlinDL. PyTorch "
        "stores [out, in] = W.T and computes fans from that layout, so the PyTorch snippets initialize "
        f"`torch.empty({fo}, {fi})`.",
        '- U(-b, b) has std b/sqrt(3). "Truncated" means values outside the cut points are redrawn. '
        f"c = {TRUNC_C!r} is the std of N(0, 1) cut to (-2, 2); Keras/JAX/KotlinDL variance scaling "
        "divides by it so the sample std is the nominal one, and plain truncated normals do not.",
        "- `gain='auto'` uses the chosen activation's gain (PyTorch's `calculate_gain`: linear/sigmoid 1, "
        "tanh 5/3, relu sqrt(2), leaky_relu(a) sqrt(2/(1+a²)), selu 3/4). Keras/JAX/KotlinDL have no gain: "
        "use `scale = g²`.",
        f"- Snippets are shown for (fi, fo) = ({fi}, {fo}) and default parameters; numbers in them are "
        'computed for that shape. "no exact equivalent" says so where a framework cannot express it.',
        "- KotlinDL's `HeUniform`, `GlorotUniform`, `LeCunUniform` (and `VarianceScaling(UNIFORM)`) are "
        "**one-sided**, U[0, b): every value is >= 0, and its Dense/Conv bias default `HeUniform` makes "
        "every "
        "bias start positive. The `kotlindl_*_uniform` entries reproduce this.",
        "",
        _XAVIERS,
        "## Index",
        "",
        "| name | aliases | family | formula |",
        "|---|---|---|---|",
    ]
    for entry in CATALOGUE:
        mark = " (one-sided)" if entry.one_sided else ""
        aliases = ", ".join(f"`{a}`" for a in entry.aliases)
        link = f"[`{entry.name}`](#{entry.name})"
        out.append(f"| {link}{mark} | {aliases} | {entry.family} | {_cell(entry.formula)} |")
    out.append("")
    for family in _families():
        out += [f"## {family[0].upper() + family[1:]}", ""]
        for entry in CATALOGUE:
            if entry.family == family:
                out += _entry_markdown(entry)
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(catalogue_markdown(), end="")
