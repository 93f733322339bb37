"""The schemas of initscope's JSON documents: the snapshot, its `training` block and `initscope theory`'s output.

`check_snapshot(doc)` checks every nested field (type, range, finiteness, list lengths, agreement between
fields) and returns the Config the document describes; nothing reads a field before it passed. Field names
and meanings are documented in docs/snapshots.md.
"""

from __future__ import annotations

from typing import Any

from initscope.engine.kinds import VERDICT_KINDS as VERDICT_KIND_MEMBERS
from initscope.engine.kinds import Phase, RaceStatus, Severity
from initscope.engine.limits import MAX_DEPTH
from initscope.jsoncheck import (
    Check,
    SchemaError,
    anything,
    dict_of,
    flag,
    fraction,
    list_of,
    nullable,
    number,
    obj,
    scalar,
    text,
    where,
    whole,
)

SNAPSHOT_FORMAT = "initscope.snapshot"
SNAPSHOT_VERSIONS = (1, 2)
"""2 adds residual blocks and norms: the config's architecture fields, `layers[i].branch`, `theory.depth_note`."""
TRAINING_FORMAT = "initscope.training"
TRAINING_VERSIONS = (1,)
THEORY_FORMAT = "initscope.theory"
VERDICT_KINDS = tuple(k.value for k in VERDICT_KIND_MEMBERS)
SEVERITIES = tuple(s.value for s in Severity)
PHASES = tuple(p.value for p in Phase)
CONTENDER_STATUS = tuple(s.value for s in RaceStatus)

HISTOGRAM = obj(
    {"edges": list_of(number()), "counts": list_of(whole())},
    {
        "total": whole(),
        "nonfinite": whole(),
        "outside": list_of(whole(), length=2),
        "collapsed": text(null=True),
        "note": text(null=True),
    },
)
SUMMARY = {"mean": number(), "std": number(0.0), "min": number(), "max": number()}
SUMMARY_OPTIONAL = {"nonfinite_fraction": fraction()}
BOUNDS = list_of(number(null=False), length=2, null=True)

LAYER = obj(
    {
        "index": whole(1),
        "fan_in": whole(1),
        "fan_out": whole(1),
        "weight": obj(
            {**SUMMARY, "expected_std": number(0.0), "zero_fraction": fraction()},
            {**SUMMARY_OPTIONAL, "expected_mean": number(), "bounds": BOUNDS, "histogram": HISTOGRAM},
        ),
        "preactivation": obj(SUMMARY, SUMMARY_OPTIONAL),
        "activation": obj(
            {**SUMMARY, "saturated_fraction": fraction(), "dead_fraction": fraction()},
            {**SUMMARY_OPTIONAL, "dead_unit_fraction": fraction(), "symmetric": flag, "histogram": HISTOGRAM},
        ),
        "gradient": obj(
            {"activation_grad_std": number(0.0), "weight_grad_norm": number(0.0), "grad_to_weight_ratio": number(0.0)},
            {
                "bias_grad_norm": number(0.0),
                "clipped_weight_grad_norm": number(0.0),
                "clip_scale": fraction(),
                "histogram": HISTOGRAM,
            },
        ),
        "theory": obj(
            {"preactivation_var": number(0.0), "activation_std": number(0.0), "saturated_fraction": fraction()},
            {"activation_grad_std": number(0.0)},
        ),
    }
)

BRANCH = obj(
    {"std": number(0.0), "ratio": number(0.0), "grad_std": number(0.0)},
    {
        "saturated_fraction": fraction(),
        "dead_fraction": fraction(),
        "theory_std": number(0.0),
        "weight_std": list_of(number(0.0)),
        "weight_grad_norm": list_of(number(0.0)),
    },
)
"""A residual block's branch (version 2; required in every layer of a residual snapshot)."""

FINDING = obj(
    {"text": text()}, {"kind": text(), "severity": text(SEVERITIES), "fix": text(), "numbers": dict_of(number())}
)
ADVICE = obj({"config": text(null=True), "text": text()}, {"measured": dict_of(anything)}, null=True)
"""`verdict.fix`: a suggested config verified by running it, or config null with words on what helps instead
(when no initializer does); absent in older files."""

VERDICT = obj(
    {"kind": text(VERDICT_KINDS), "text": text()},
    {
        "severity": text(SEVERITIES),
        "findings": list_of(FINDING),
        "first_nonfinite_layer": whole(1, null=True),
        "forward_factor": number(0.0),
        "backward_factor": number(0.0),
        "fix": ADVICE,
    },
)

THEORY = obj(
    {},
    {
        "applicable": flag,
        "reason": text(),
        "q_star": number(0.0),
        "chi1": number(0.0),
        "phase": text(PHASES),
        "depth_scale": number(0.0),
        "trainable_depth": number(0.0),
        "sigma_w2": number(0.0),
        "sigma_b2": number(0.0),
        "depth_note": text(),
    },
)

RUN = obj(
    {},
    {
        "layers_done": whole(),
        "cancelled": flag,
        "elapsed_s": number(0.0, null=False),
        "input_std": number(0.0),
        "input_grad_std": number(0.0),
    },
)

CONFIG = obj({"string": text()})

SNAPSHOT = obj(
    {
        "format": text((SNAPSHOT_FORMAT,)),
        "version": whole(),
        "config": CONFIG,
        "layers": list_of(anything),
        "verdict": VERDICT,
        "theory": THEORY,
    },
    {"initscope_version": text(), "created_utc": text(), "run": RUN},
)


def _version(doc: dict[str, Any], path: str, known: tuple[int, ...]) -> None:
    version = doc["version"]
    if version > max(known):
        raise SchemaError(
            where(path, "version"), f"{version} is newer than this initscope reads ({max(known)}); upgrade initscope"
        )
    if version not in known:
        raise SchemaError(
            where(path, "version"), f"{version} is not a known version (known: " + ", ".join(map(str, known)) + ")"
        )


def check_snapshot(doc: Any) -> Any:
    """Check a parsed snapshot document field by field; return its Config (a SchemaError names the path)."""
    if isinstance(doc, dict) and "format" in doc and doc["format"] != SNAPSHOT_FORMAT:
        raise SchemaError(
            "format", f"expected {SNAPSHOT_FORMAT!r}, got {doc['format']!r:.60}: not an initscope snapshot"
        )
    if isinstance(doc, dict) and isinstance(doc.get("version"), int):  # a newer file: say so before its fields
        whole()(doc["version"], "version")
        _version(doc, "", SNAPSHOT_VERSIONS)
    SNAPSHOT(doc, "")
    _version(doc, "", SNAPSHOT_VERSIONS)
    cfg = _config(doc["config"], "config")
    depth = cfg.n_layers
    layers = doc["layers"]
    if len(layers) != depth:
        raise SchemaError("layers", f"{len(layers)} layers for a config of depth {depth}")
    for i, (layer, fans) in enumerate(zip(layers, cfg.layer_fans, strict=True)):
        _layer(layer, where("layers", i), i, fans, cfg)
    _verdict(doc["verdict"], depth)
    run = doc.get("run", {})
    if run.get("layers_done", 0) > depth:
        raise SchemaError("run.layers_done", f"{run['layers_done']} is more than the {depth} layers of the config")
    if doc.get("training") is not None:
        check_training(doc["training"], "training")
    return cfg


def _layer(layer: Any, here: str, i: int, fans: tuple[int, int], cfg: Any) -> None:
    """One entry of `layers`: its fields, its place in the config, its histograms, bounds and clip fields."""
    LAYER(layer, here)
    _agree(layer, here, {"index": i + 1, "fan_in": fans[0], "fan_out": fans[1]})
    for part in ("weight", "activation", "gradient"):
        if "histogram" in layer[part]:
            _histogram(layer[part]["histogram"], where(where(here, part), "histogram"))
    if cfg.residual:
        _branch(layer.get("branch"), where(here, "branch"), cfg.branch_depth)
    bounds = layer["weight"].get("bounds")
    if bounds is not None and bounds[0] > bounds[1]:
        raise SchemaError(where(here, "weight.bounds"), f"lower {bounds[0]!r} above upper {bounds[1]!r}")
    if cfg.clip is None:
        for key in ("clipped_weight_grad_norm", "clip_scale"):
            if layer["gradient"].get(key) is not None:
                raise SchemaError(where(here, f"gradient.{key}"), "must be null: clipping is off in this config")


def _branch(block: Any, path: str, branch_depth: int) -> None:
    if block is None:
        raise SchemaError(path, "missing: a residual snapshot holds one branch object per block")
    BRANCH(block, path)
    for key in ("weight_std", "weight_grad_norm"):
        if key in block and len(block[key]) != branch_depth:
            raise SchemaError(where(path, key), f"{len(block[key])} values for a branch of {branch_depth} layers")


def _agree(block: dict[str, Any], path: str, expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        if not _same(block[key], value):
            raise SchemaError(where(path, key), f"{block[key]!r:.60} disagrees with the config ({value!r:.60})")


def _same(given: Any, expected: Any) -> bool:
    """Equal as JSON values: 7 and 7.0 are one number, but `true` is not 1 (Python's True == 1 is)."""
    if isinstance(given, bool) or isinstance(expected, bool):
        return type(given) is type(expected) and given == expected
    if isinstance(given, dict) and isinstance(expected, dict):
        return given.keys() == expected.keys() and all(_same(given[k], expected[k]) for k in given)
    if isinstance(given, list) and isinstance(expected, list):
        return len(given) == len(expected) and all(_same(g, e) for g, e in zip(given, expected, strict=True))
    return bool(given == expected)


def _config(block: dict[str, Any], path: str) -> Any:
    """The Config of a `config` block: rebuilt from its one-line string, every other field must agree.
    An input file that is gone or changed keeps the numbers and shows the generated input instead."""
    from initscope.engine.config import Config
    from initscope.engine.errors import ConfigError

    line = block["string"]
    try:
        cfg = Config.from_string(line)
    except ConfigError as err:
        if err.field == "memory_budget":
            cfg = _over_budget(line, where(path, "string"))
            _agree(
                block,
                path,
                {k: v for k, v in cfg.as_dict().items() if k in block and k not in ("memory_budget", "string")},
            )
            return cfg
        if err.field != "input":
            raise SchemaError(where(path, "string"), str(err)) from None
        try:
            cfg = Config.from_string(line.replace(f"input={block.get('input')}", "input=normal"))
        except ConfigError as again:
            raise SchemaError(where(path, "string"), str(again)) from None
        return cfg
    _agree(block, path, {k: v for k, v in cfg.as_dict().items() if k in block})
    return cfg


def _over_budget(line: str, path: str) -> Any:
    """A config whose estimate no longer fits its recorded budget (a later initscope estimates more): the
    snapshot still shows what was measured, with the budget raised to the estimate (what a re-run needs)."""
    from initscope.engine.config import KEY_ALIASES, build, parse_assignments
    from initscope.engine.errors import ConfigError
    from initscope.engine.limits import MAX_BUDGET

    try:
        given = {k: v for k, v in parse_assignments(line).items() if KEY_ALIASES.get(k) != "memory_budget"}
        cfg = build({**given, "budget": MAX_BUDGET})
        return cfg.replace(memory_budget=max(cfg.memory_estimate(), 1))
    except ConfigError as err:
        raise SchemaError(path, str(err)) from None


def _histogram(h: dict[str, Any], path: str) -> None:
    edges, counts = h["edges"], h["counts"]
    if counts and len(edges) != len(counts) + 1:
        raise SchemaError(path, f"{len(edges)} edges for {len(counts)} counts (expected counts + 1)")


def _verdict(v: dict[str, Any], depth: int) -> None:
    first = v.get("first_nonfinite_layer")
    if first is not None and first > depth:
        raise SchemaError("verdict.first_nonfinite_layer", f"{first} is beyond the {depth} layers of the config")
    if "severity" in v:
        worst = max((SEVERITIES.index(f.get("severity", "info")) for f in v.get("findings", [])), default=0)
        if v["severity"] != SEVERITIES[worst]:
            raise SchemaError(
                "verdict.severity",
                f"{v['severity']!r} disagrees with its findings (the worst is {SEVERITIES[worst]!r})",
            )


# ------------------------------------------------------------------------------- the training block
CURVE = list_of(number())
TRAIN_CONTENDER = obj(
    {
        "label": text(),
        "initializer": text(),
        "params": dict_of(scalar),
        "status": text(CONTENDER_STATUS),
        "stopped_step": whole(null=True),
        "reason": text(),
        "steps_done": whole(),
        "steps_to_target": whole(null=True),
        "final_loss": number(0.0),
        "final_accuracy": fraction(),
        "distinct_units_initial": list_of(whole()),
        "clip": obj({"clipped_fraction": fraction(null=False), "norm_before": number(0.0), "norm_after": number(0.0)}),
        "curves": obj(
            {
                "loss": CURVE,
                "accuracy": list_of(fraction()),
                "step_loss": CURVE,
                "grad_norm": list_of(CURVE),
                "update_ratio": list_of(CURVE),
                "distinct_units": list_of(list_of(whole(-1))),
            }
        ),
    },
    {"distinct_units_final": list_of(whole()), "distinct_units_min": whole()},
)

TRAINING = obj(
    {
        "format": text((TRAINING_FORMAT,)),
        "version": whole(),
        "config": obj(
            {"contenders": list_of(text()), "network": CONFIG},
            {
                "data": text(),
                "task": text(("auto", "classification", "regression")),
                "samples": whole(1),
                "epochs": whole(1),
                "batch_size": whole(1),
                "optimizer": text(("sgd", "adam")),
                "lr": number(0.0, null=False),
                "momentum": number(0.0, 1.0, null=False),
                "clip": obj({"threshold": number(0.0, null=False), "mode": text(("global", "per_layer"))}, null=True),
                "target_loss": number(0.0),
                "seed": whole(),
                "work_budget": number(0.0, null=False),
                "parameters": whole(),
            },
        ),
        "dataset": obj(
            {"task": text(("classification", "regression"))},
            {
                "name": text(),
                "samples": whole(1),
                "features": whole(1),
                "classes": whole(),
                "class_names": list_of(text()),
                "baseline_loss": number(0.0),
            },
        ),
        "target_loss": number(0.0),
        "steps_per_epoch": whole(1),
        "epochs_done": whole(),
        "cancelled": flag,
        "curves": obj({"epoch_step": list_of(whole()), "record_step": list_of(whole())}),
        "contenders": list_of(TRAIN_CONTENDER),
    },
    {
        "total_steps": whole(),
        "elapsed_s": number(0.0),
        "steps_per_second": number(0.0),
        "layer_names": list_of(text()),
        "conclusion": text(),
    },
)


def check_training(block: Any, path: str = "training") -> None:
    """Check a `training` block: every field, and every curve's length against the shared step axes."""
    TRAINING(block, path)
    _version(block, path, TRAINING_VERSIONS)
    network = _config(block["config"]["network"], where(path, "config.network"))
    layers = network.n_layers + 1  # hidden layers and the readout
    epochs, records = len(block["curves"]["epoch_step"]), len(block["curves"]["record_step"])
    if "layer_names" in block and len(block["layer_names"]) != layers:
        raise SchemaError(where(path, "layer_names"), f"{len(block['layer_names'])} names for {layers} layers")
    labels = [c["label"] for c in block["contenders"]]
    if not labels:
        raise SchemaError(where(path, "contenders"), "an empty list; a race has at least one contender")
    for i, c in enumerate(block["contenders"]):
        here = where(where(path, "contenders"), i)
        if labels.count(c["label"]) > 1:
            raise SchemaError(where(here, "label"), f"{c['label']!r:.60} appears twice")
        curves = c["curves"]
        shapes: dict[str, tuple[int, int | None]] = {
            "loss": (epochs, None),
            "accuracy": (epochs, None),
            "step_loss": (records, None),
            "grad_norm": (records, layers),
            "update_ratio": (records, layers),
            "distinct_units": (records, layers - 1),
        }
        for key, (rows, cols) in shapes.items():
            _shape(curves[key], where(where(here, "curves"), key), rows, cols)
        _shape(c["distinct_units_initial"], where(here, "distinct_units_initial"), layers - 1, None)


def _shape(values: list[Any], path: str, rows: int, cols: int | None) -> None:
    if len(values) != rows:
        raise SchemaError(path, f"{len(values)} entries; the step axis has {rows}")
    for j, row in enumerate(values if cols is not None else ()):
        if len(row) != cols:
            raise SchemaError(where(path, j), f"{len(row)} entries; expected one per layer ({cols})")


# ------------------------------------------------------------------------------- `initscope theory`
THEORY_OUTPUT: Check = obj(
    {
        "format": text((THEORY_FORMAT,)),
        "version": whole(),
        "config": CONFIG,
        "theory": obj(
            {
                "applicable": flag,
                "reason": text(),
                "weights": text(),
                "depth": whole(1, MAX_DEPTH),
                "explanation": text(),
            },
            {"within_trainable_depth": nullable(flag)},
        ),
    },
    {
        "jacobian": obj({"first_nonfinite_layer": whole(1, null=True)}),
        "ensemble": obj({"k": whole(2), "cancelled": flag}),
    },
)
"""`initscope theory --format json`: the readouts (the snapshot's `theory` fields plus words), and the
Jacobian and ensemble blocks when asked for."""


def check_theory_output(doc: Any) -> None:
    THEORY_OUTPUT(doc, "")
    THEORY(doc["theory"], "theory")
