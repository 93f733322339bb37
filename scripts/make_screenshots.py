"""Drive the real explorer with Pilot and save SVG + PNG screenshots of every tab for a few telling configs.

    python scripts/make_screenshots.py [--out screenshots] [--size 120x36]

PNGs need `rsvg-convert` (Debian/Ubuntu: apt-get install librsvg2-bin); without it only SVGs are written.
The SVGs get xml:space="preserve" before conversion, or rsvg drops the spaces between styled spans.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textual.widgets import DataTable, Input

from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp
from initscope.tui.seed_ensemble import SeedEnsemble
from initscope.tui.tabs.audit import AuditTab
from initscope.tui.theory.jacobian import JacobianView
from initscope.tui.theory.phase import PhaseView
from initscope.tui.train.tab import TrainTab

TABS = (("1", "weights"), ("2", "forward"), ("3", "backward"), ("4", "theory"))


@dataclass
class Scene:
    name: str
    config: Config
    pin_first: Config | None = None
    """Run this config first and pin it, so the plots overlay it on `config`."""
    extra: tuple[tuple[str, str, str], ...] = ()
    """(tab key, view, file suffix) for more views of a tab (Forward: histograms, fractions)."""
    actions: tuple[tuple[str, str, str], ...] = ()
    """(key, 'tab/view' or '', file suffix): press the key (j Jacobian, k seed bands, or '' for none), wait for
    what it computes, show that view, shoot."""
    tabs: bool = True
    """Shoot every tab first (False: only `extra` and `actions`)."""
    size: tuple[int, int] | None = None
    """A terminal size of its own (default: --size)."""


ORTHOGONAL_TANH = Config(
    initializer="orthogonal",
    initializer_params={"gain": 1.05},
    activation="tanh",
    bias="normal",
    bias_params={"std": 0.025},
    depth=32,
)
"""Near-isometric orthogonal tanh net of the Jacobian scenes (shown at two sizes)."""

SCENES = [
    Scene(
        "he_vs_xavier_relu_depth50",
        Config(initializer="he_normal", depth=50),
        pin_first=Config(initializer="xavier_normal", depth=50),
        extra=(("2", "histograms", "forward_histograms"),),
    ),
    Scene(
        "tanh_xavier_gain_5_3_depth50",
        Config(initializer="xavier_normal", initializer_params={"gain": 5 / 3}, activation="tanh", depth=50),
        extra=(("2", "fractions", "forward_saturation"),),
    ),
    Scene("zeros_relu", Config(initializer="zeros", depth=10)),
    # the Theory tab's views and the on-demand extras (issue 5)
    Scene(
        "theory_tanh_xavier_gain_5_3_depth50",
        Config(initializer="xavier_normal", initializer_params={"gain": 5 / 3}, activation="tanh", depth=50),
        tabs=False,
        actions=(("", "theory/phase", "phase"), ("", "theory/saturation", "saturation")),
    ),
    Scene(
        "theory_tanh_xavier_gain_5_3_depth50_80x24",
        Config(initializer="xavier_normal", initializer_params={"gain": 5 / 3}, activation="tanh", depth=50),
        tabs=False,
        size=(80, 24),
        actions=(("", "theory/phase", "phase"),),
    ),
    Scene(
        "jacobian_orthogonal_tanh_depth32",
        ORTHOGONAL_TANH,
        tabs=False,
        actions=(("j", "", "theory_jacobian"),),
    ),
    Scene(
        "jacobian_he_relu_depth32",
        Config(initializer="he_normal", depth=32),
        tabs=False,
        actions=(("j", "", "theory_jacobian"),),
    ),
    Scene(
        "jacobian_orthogonal_tanh_depth32_80x24",
        ORTHOGONAL_TANH,
        tabs=False,
        size=(80, 24),
        actions=(("j", "", "theory_jacobian"),),
    ),
    Scene(
        "seed_bands_he_relu_depth50",
        Config(initializer="he_normal", depth=50),
        tabs=False,
        actions=(("k", "forward/std", "forward"), ("", "backward/", "backward")),
    ),
    # residual nets (issue 15): He branches double the stream every block; GPT-2's 1/sqrt(2L) against pre-LN
    Scene(
        "residual_he_unscaled_depth24",
        Config(arch="residual", depth=24),
        tabs=False,
        actions=(("", "forward/std", "forward"),),
    ),
    Scene(
        "residual_gpt2_scale_vs_preln_depth24",
        Config(arch="residual", branch_scale="1/sqrt(2L)", depth=24),
        pin_first=Config(arch="residual", norm="layernorm", depth=24),
        tabs=False,
        actions=(("", "forward/std", "forward"), ("", "backward/", "backward"), ("", "theory/std", "theory")),
    ),
]


async def settle(app: InitScopeApp, pilot: object) -> None:
    for _ in range(2000):
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]
        if app.shown_generation == app.generation:
            return
        await asyncio.sleep(0.01)
    raise RuntimeError("run did not finish")


TEXT_RUN = re.compile(r'<text ([^>]*?)x="([0-9.]+)"([^>]*?)textLength="([0-9.]+)"([^>]*)>([^<]*)</text>')


def one_cell_per_glyph(svg_text: str) -> str:
    """Split every text run that holds a drawing glyph (box, block, braille, shape: U+2500 and up) into one
    text element per cell. Textual gives each run its cell width (textLength), but rsvg ignores it, and a glyph
    that the monospace font lacks (braille) comes from a proportional fallback font, so the rest of the run
    drifted out of its cells in the PNG (a plot's line ran into the next plot)."""

    def split(m: re.Match[str]) -> str:
        before, x, middle, length, after, content = m.groups()
        chars = re.findall(r"&#?\w+;|.", content)
        if len(chars) < 2 or not any(len(c) == 1 and ord(c) >= 0x2500 for c in chars):
            return m.group(0)
        width = float(length) / len(chars)
        return "".join(
            f'<text {before}x="{float(x) + i * width:.2f}"{middle}textLength="{width:.2f}"{after}>{c}</text>'
            for i, c in enumerate(chars)
        )

    return TEXT_RUN.sub(split, svg_text)


def to_png(svg: Path) -> Path | None:
    """The PNG of a screenshot (the SVG itself is left as Textual wrote it, but for xml:space)."""
    if shutil.which("rsvg-convert") is None:
        return None
    text = svg.read_text(encoding="utf-8")
    if "xml:space" not in text:
        text = text.replace("<svg ", '<svg xml:space="preserve" ', 1)  # or rsvg drops the runs' spaces
        svg.write_text(text, encoding="utf-8")
    png = svg.with_suffix(".png")
    subprocess.run(
        ["rsvg-convert", "-w", "1400", "-o", str(png)], input=one_cell_per_glyph(text).encode("utf-8"), check=True
    )
    return png


async def settle_extras(app: InitScopeApp, pilot: object) -> None:
    """Wait for the on-demand workers (Jacobian, seed ensemble, phase grid) and the redraws they cause."""
    for _ in range(6000):
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)  # type: ignore[attr-defined]
        jacobian, ensemble = app.query_one(JacobianView).job, app.query_one(SeedEnsemble).job
        busy = (
            app.query_one(PhaseView).pending
            or (jacobian is not None and jacobian.status == "running")
            or (ensemble is not None and ensemble.status == "running")
        )
        if not busy and all(w.is_finished for w in app.workers):
            return
    raise RuntimeError("on-demand work did not finish")


async def shoot(scene: Scene, out: Path, size: tuple[int, int]) -> list[Path]:
    written: list[Path] = []
    first = scene.pin_first or scene.config
    size = scene.size or size
    app = InitScopeApp(config=first, export_dir=out, clock=False)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        for widget in app.query(Input):
            widget.cursor_blink = False
        if scene.pin_first is not None:
            await pilot.press("p")
            app._apply(scene.config)
            await settle(app, pilot)
        app.clear_notifications()
        app.set_focus(None)
        for key, tab in TABS if scene.tabs else ():
            await pilot.press(key)
            await pilot.pause(0.2)
            svg = out / f"{scene.name}_{tab}.svg"
            app.save_screenshot(filename=svg.name, path=str(out))
            written.append(svg)
        for key, view, suffix in scene.extra:
            await pilot.press(key)
            app.action_set_view(app.query_one("#tabs").active, view)  # type: ignore[attr-defined]
            await pilot.pause(0.2)
            svg = out / f"{scene.name}_{suffix}.svg"
            app.save_screenshot(filename=svg.name, path=str(out))
            written.append(svg)
        for key, where, suffix in scene.actions:
            if key:
                await pilot.press(key)
            if where:
                tab, view = where.split("/")
                app.action_tab(tab)
                if view:
                    app.action_set_view(tab, view)
            await pilot.pause(0.2)
            await settle_extras(app, pilot)
            app.clear_notifications()
            await pilot.pause(0.2)
            svg = out / f"{scene.name}_{suffix}.svg"
            app.save_screenshot(filename=svg.name, path=str(out))
            written.append(svg)
    return written


TRAIN_SCENE = "train_he_xavier_zeros_spirals_relu"
"""The Train tab (issue 6): he_normal vs xavier_normal vs zeros on two spirals, relu 64x3, the default race."""


async def shoot_train(out: Path, size: tuple[int, int], name: str) -> list[Path]:
    """The race mid-way (live), done, and its update:data view."""
    written: list[Path] = []
    app = InitScopeApp(config=Config(initializer="he_normal", activation="relu"), export_dir=out, clock=False)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        tab = app.query_one(TrainTab)
        app.query_one("#race-contenders", Input).value = "he_normal,xavier_normal,zeros"
        for widget in app.query(Input):
            widget.cursor_blink = False
        await pilot.pause(0.3)
        app.set_focus(None)
        app.clear_notifications()

        def save(suffix: str) -> None:
            svg = out / f"{name}_{suffix}.svg"
            app.save_screenshot(filename=svg.name, path=str(out))
            written.append(svg)

        started = tab.generation
        app.action_race()
        while not (tab.live is not None and tab.live.fraction >= 0.4):
            await asyncio.sleep(0.02)
        await pilot.pause(0.15)
        save("live")
        while tab.racing or tab.generation == started:
            await asyncio.sleep(0.05)
        await pilot.pause(0.3)
        save("done")
        app.action_set_view("train", "update")
        await pilot.pause(0.3)
        save("update")
    return written


AUDIT_SCENE = "audit_torch_faults"
"""The Audit tab (issue 12): the audit tests' small PyTorch-layout conv net with its four planted faults (fc2
scaled x3, features.6 drawn with fan_in = in_channels, fc3 all equal, a NaN in proj), opened with `o`."""


async def shoot_audit(out: Path, size: tuple[int, int], name: str, dialog: bool) -> list[Path]:
    """The open dialog listing the checkpoint (if `dialog`), then the Audit tab on fc2.weight (x3: no match)
    and on features.6.weight (the wrong fan)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))
    from audit_models import plant_faults, save_safetensors, torch_model

    written: list[Path] = []
    with tempfile.TemporaryDirectory() as folder:
        save_safetensors(plant_faults(torch_model()[0]), str(Path(folder) / "convnet_faults.safetensors"))
        app = InitScopeApp(config=Config(), export_dir=folder, clock=False)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)

            def save(suffix: str) -> None:
                svg = out / f"{name}_{suffix}.svg"
                app.save_screenshot(filename=svg.name, path=str(out))
                written.append(svg)

            await pilot.press("o")
            await pilot.pause(0.3)
            if dialog:
                save("open_dialog")
            await pilot.press("enter")
            while not app.query(AuditTab):
                await app.workers.wait_for_complete()
                await pilot.pause(0.05)
            await settle(app, pilot)
            app.clear_notifications()
            tab = app.query_one(AuditTab)
            table = tab.query_one(DataTable)
            for tensor in ("fc2.weight", "features.6.weight"):
                row = next(i for i in range(table.row_count) if table.get_row_at(i)[0] == tensor)
                table.move_cursor(row=row)
                table.focus()
                await pilot.pause(0.3)
                save(tensor.replace(".", "_"))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots", help="folder for the SVG and PNG files")
    parser.add_argument("--size", default="120x36", help="terminal size COLSxROWS (default 120x36)")
    parser.add_argument("--small", action="store_true", help="also write the first scene at 80x24")
    parser.add_argument(
        "--only",
        default="",
        help="only the scenes whose name starts with one of these "
        "comma-separated prefixes (e.g. theory,jacobian,seed_bands,audit)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cols, rows = (int(v) for v in args.size.lower().split("x"))
    svgs: list[Path] = []
    prefixes = tuple(p for p in args.only.split(",") if p)
    for scene in SCENES:
        if not prefixes or scene.name.startswith(prefixes):
            svgs += asyncio.run(shoot(scene, out, (cols, rows)))
    if not prefixes or TRAIN_SCENE.startswith(prefixes):
        svgs += asyncio.run(shoot_train(out, (cols, rows), TRAIN_SCENE))
        svgs += asyncio.run(shoot_train(out, (80, 24), TRAIN_SCENE + "_80x24"))
    if not prefixes or AUDIT_SCENE.startswith(prefixes):
        svgs += asyncio.run(shoot_audit(out, (cols, rows), AUDIT_SCENE, dialog=True))
        svgs += asyncio.run(shoot_audit(out, (80, 24), AUDIT_SCENE + "_80x24", dialog=False))
    if args.small and not prefixes:
        small = Scene(SCENES[0].name + "_80x24", SCENES[0].config, SCENES[0].pin_first)
        svgs += asyncio.run(shoot(small, out, (80, 24)))
    for svg in svgs:
        png = to_png(svg)
        print(svg if png is None else f"{svg}  {png.name}")
    if shutil.which("rsvg-convert") is None:
        print("rsvg-convert not found: PNGs not written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
