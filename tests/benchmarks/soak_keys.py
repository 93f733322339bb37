"""Soak test (a plain script, not collected by pytest): N random keys in the headless explorer.

    python tests/benchmarks/soak_keys.py [--keys 10000] [--seed 0] [--check-every 200]

Presses keys drawn from the explorer's bindings, editing keys and printable characters (never `q` or
Ctrl+C, which quit) in Textual's test driver, with hostile files in the export folder (a FIFO, a huge
sparse file, a file nested 1,000 deep, a snapshot with a string where a count belongs) so `o` can open
them. Counts:
- crashes: the app stopped with an exception (it is restarted and the soak goes on);
- blank screens: at a check, the rendered screen has no visible character;
- stuck workers: at a check, workers still running after 60 s of waiting.
- stuck keys: a key press that did not return within 120 s (the app is then restarted).
The explorer runs under a 256 MiB memory budget: typed configs stay quick to run, so the soak spends its
time on keys (larger configs are refused in the form, which is a path the soak exercises too).
Prints one line per check and a summary; exit code 1 if anything was counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp

SIZE = (120, 36)
BINDING_KEYS = [
    "question_mark",
    "left_square_bracket",
    "right_square_bracket",
    "a",
    "1",
    "2",
    "3",
    "4",
    "5",
    "t",
    "x",
    "v",
    "comma",
    "full_stop",
    "p",
    "P",
    "e",
    "o",
    "r",
    "s",
    "escape",
]
EDIT_KEYS = [
    "tab",
    "shift+tab",
    "enter",
    "escape",
    "up",
    "down",
    "left",
    "right",
    "backspace",
    "delete",
    "home",
    "end",
    "pageup",
    "pagedown",
    "space",
    "ctrl+a",
    "ctrl+e",
    "ctrl+k",
    "ctrl+u",
]
CHARACTERS = [*"0123456789.-eE=,()abcdefghijklmnoprstuvwxyz_/", "minus", "plus"]
WORKER_WAIT_S = 60.0
PRESS_WAIT_S = 120.0
BUDGET = "256MiB"


def hostile_files(folder: Path) -> None:
    """Files `o` may list or a typed path may name: none of them may crash or blank the explorer."""
    good = json.loads(_good_snapshot())
    bad = json.loads(json.dumps(good))
    bad["layers"][0]["activation"]["histogram"]["total"] = "many"
    (folder / "bad_total.json").write_text(json.dumps(bad))
    (folder / "deep.json").write_text("[" * 1000 + "]" * 1000)
    (folder / "nan.json").write_text(json.dumps(good).replace('"elapsed_s": ', '"elapsed_s": NaN, "x": ', 1))
    (folder / "good.json").write_text(json.dumps(good))
    with (folder / "huge.json").open("wb") as handle:
        handle.truncate(200 * 1024**2)  # sparse
    fifo = folder / "fifo.json"
    if hasattr(os, "mkfifo") and not fifo.exists():
        os.mkfifo(fifo)


def _good_snapshot() -> str:
    from initscope import snapshot
    from initscope.engine import run

    return snapshot.dumps(run(Config(depth=3, fan_in=8, batch=8)))


def rendered_text(app: InitScopeApp) -> str:
    """The characters the screen shows (the compositor's lines, as a terminal would get them)."""
    update = app.screen._compositor.render_update(full=True)
    return "".join(strip.text for line in getattr(update, "strips", ()) for strip in line)


async def soak(keys: int, seed: int, check_every: int, folder: Path) -> dict[str, int]:
    rng = random.Random(seed)
    counts = {"keys": 0, "crashes": 0, "blank": 0, "stuck": 0}
    started = time.monotonic()
    while counts["keys"] < keys:
        app = InitScopeApp(
            config=Config(depth=6, fan_in=64, batch=64, memory_budget=BUDGET), export_dir=folder, clock=False
        )
        try:
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                while counts["keys"] < keys:
                    pool = rng.choice((BINDING_KEYS, BINDING_KEYS, EDIT_KEYS, CHARACTERS))
                    key = rng.choice(pool)
                    try:
                        await asyncio.wait_for(pilot.press(key), PRESS_WAIT_S)
                    except TimeoutError:
                        counts["stuck"] += 1
                        print(
                            f"STUCK: key {key!r} after {counts['keys']} keys did not return in {PRESS_WAIT_S:.0f} s",
                            file=sys.stderr,
                        )
                        break  # restart the app
                    counts["keys"] += 1
                    if not app.is_running:
                        raise RuntimeError("the explorer stopped")
                    if counts["keys"] % check_every == 0:
                        await _check(app, pilot, counts)
                        rate = counts["keys"] / (time.monotonic() - started)
                        print(
                            f"{counts['keys']} keys ({rate:.1f}/s): {counts['crashes']} crashes, "
                            f"{counts['blank']} blank, {counts['stuck']} stuck",
                            flush=True,
                        )
        except Exception:
            counts["crashes"] += 1
            print(f"CRASH after {counts['keys']} keys:", file=sys.stderr)
            traceback.print_exc()
    return counts


async def _check(app: InitScopeApp, pilot: Any, counts: dict[str, int]) -> None:
    try:
        await asyncio.wait_for(app.workers.wait_for_complete(), WORKER_WAIT_S)
    except TimeoutError:
        counts["stuck"] += 1
        print(f"STUCK workers after {counts['keys']} keys: {[w.name for w in app.workers]}", file=sys.stderr)
    await pilot.pause()
    if not rendered_text(app).strip():
        counts["blank"] += 1
        print(f"BLANK screen after {counts['keys']} keys ({type(app.screen).__name__})", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check-every", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="initscope-soak-") as tmp:
        folder = Path(tmp)
        hostile_files(folder)
        os.chdir(folder)  # screenshots and exports land here
        t0 = time.monotonic()
        counts = asyncio.run(soak(args.keys, args.seed, args.check_every, folder))
    print(
        f"soak: {counts['keys']} keys in {time.monotonic() - t0:.0f} s, seed {args.seed}: "
        f"{counts['crashes']} crashes, {counts['blank']} blank screens, {counts['stuck']} stuck workers"
    )
    return 1 if counts["crashes"] or counts["blank"] or counts["stuck"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
