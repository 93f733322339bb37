"""Drive the real explorer with Pilot and save SVG + PNG screenshots of every tab for a few telling configs.

    python scripts/make_screenshots.py [--out screenshots] [--size 120x36]

PNGs need `rsvg-convert` (Debian/Ubuntu: apt-get install librsvg2-bin); without it only SVGs are written.
The SVGs get xml:space="preserve" before conversion, or rsvg drops the spaces between styled spans.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textual.widgets import Input

from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp

TABS = (("1", "weights"), ("2", "forward"), ("3", "backward"), ("4", "theory"))


@dataclass
class Scene:
    name: str
    config: Config
    pin_first: Config | None = None
    """Run this config first and pin it, so the plots overlay it on `config`."""
    extra: tuple[tuple[str, str, str], ...] = ()
    """(tab key, view, file suffix) for more views of a tab (Forward: histograms, fractions)."""


SCENES = [
    Scene("he_vs_xavier_relu_depth50", Config(initializer="he_normal", depth=50),
          pin_first=Config(initializer="xavier_normal", depth=50),
          extra=(("2", "histograms", "forward_histograms"),)),
    Scene("tanh_xavier_gain_5_3_depth50", Config(initializer="xavier_normal", initializer_params={"gain": 5 / 3},
                                                 activation="tanh", depth=50),
          extra=(("2", "fractions", "forward_saturation"),)),
    Scene("zeros_relu", Config(initializer="zeros", depth=10)),
]


async def settle(app: InitScopeApp, pilot: object) -> None:
    for _ in range(2000):
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]
        if app.shown_generation == app.generation:
            return
        await asyncio.sleep(0.01)
    raise RuntimeError("run did not finish")


def to_png(svg: Path) -> Path | None:
    if shutil.which("rsvg-convert") is None:
        return None
    text = svg.read_text(encoding="utf-8")
    if "xml:space" not in text:
        svg.write_text(text.replace("<svg ", '<svg xml:space="preserve" ', 1), encoding="utf-8")
    png = svg.with_suffix(".png")
    subprocess.run(["rsvg-convert", "-w", "1400", str(svg), "-o", str(png)], check=True)
    return png


async def shoot(scene: Scene, out: Path, size: tuple[int, int]) -> list[Path]:
    written: list[Path] = []
    first = scene.pin_first or scene.config
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
        for key, tab in TABS:
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
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots", help="folder for the SVG and PNG files")
    parser.add_argument("--size", default="120x36", help="terminal size COLSxROWS (default 120x36)")
    parser.add_argument("--small", action="store_true", help="also write the first scene at 80x24")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cols, rows = (int(v) for v in args.size.lower().split("x"))
    svgs: list[Path] = []
    for scene in SCENES:
        svgs += asyncio.run(shoot(scene, out, (cols, rows)))
    if args.small:
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
