"""`o` opens a weights file as `initscope audit FILE --open` does: the Audit tab is composed on first use and
shows the file's tensors; a bad file is the audit's one-line error and the screen stays as it was."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList, TabbedContent
from tui_helpers import settle

from initscope.engine.audit import WeightsFileError, audit_file
from initscope.engine.audit.reading import SUFFIXES
from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp
from initscope.tui.controls import ControlPane
from initscope.tui.screens import WEIGHTS_SUFFIXES, OpenScreen, describe_weights
from initscope.tui.summary import SummaryPane
from initscope.tui.tabs.audit import AuditTab

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))  # the audit tests' model builders
from audit_models import keras_model, plant_faults, save_safetensors, torch_model

SMALL = Config(width=32, depth=3, batch=32)


def test_the_dialog_routes_what_the_audit_reads() -> None:
    assert set(WEIGHTS_SUFFIXES) == set(SUFFIXES)


async def _open(pilot, path: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    """Press o, then pick the first listed file (path None) or type `path`."""
    app = pilot.app
    await pilot.press("o")
    await pilot.pause()
    assert isinstance(app.screen, OpenScreen)
    if path is None:
        await pilot.press("enter")
    else:
        app.screen.query_one("#open-path", Input).value = str(path)
        app.screen.query_one("#open-path", Input).focus()
        await pilot.pause()
        await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_o_opens_a_safetensors_file_in_the_audit_tab(tmp_path: Path) -> None:
    arrays, _truth = torch_model()
    path = tmp_path / "model.safetensors"
    save_safetensors(arrays, str(path))
    app = InitScopeApp(config=SMALL, export_dir=tmp_path, clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert not app.query("#audit-view")  # composed only when first needed
        await pilot.press("o")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        listed = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(listed) == 1 and f"safetensors, {len(arrays)} tensors" in listed[0]
        await pilot.press("escape")
        await pilot.pause()
        await _open(pilot)
        assert app.query_one("#tabs", TabbedContent).active == "audit"
        # the tab has the room: no summary and no controls (it uses none); back on Forward both return
        assert not app.query_one(SummaryPane).display and not app.query_one(ControlPane).display
        await pilot.press("2")
        await pilot.pause()
        assert app.query_one(SummaryPane).display and app.query_one(ControlPane).display
        await pilot.press("6")
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "audit"
        table = app.query_one(AuditTab).query_one(DataTable)
        names = [table.get_row_at(i)[0] for i in range(table.row_count)]
        expected = audit_file(path)
        assert names == [a.info.name for a in expected.tensors] and sorted(names) == sorted(arrays)
        assert expected.signal is not None and app.result is not None
        assert app.result.config == expected.signal.config  # the file's MLP is the shown run, as with --open
        assert app.snapshot_path == path

        # a second file replaces the first in the same tab, from its first tensor
        other = tmp_path / "keras.safetensors"
        keras_arrays, _ = keras_model()
        save_safetensors(keras_arrays, str(other))
        await _open(pilot, other)
        assert len(app.query(AuditTab)) == 1
        names = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert sorted(names) == sorted(keras_arrays) and app.query_one(AuditTab).report.path == other


@pytest.mark.parametrize("start_tab", ["forward", "audit"])
async def test_a_truncated_file_is_one_line_and_the_screen_stays(tmp_path: Path, start_tab: str) -> None:
    good = tmp_path / "good.safetensors"
    save_safetensors(plant_faults(torch_model()[0]), str(good))
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(WeightsFileError) as raised:
        audit_file(bad)
    app = InitScopeApp(
        config=SMALL, export_dir=tmp_path, clock=False, audit=audit_file(good) if start_tab == "audit" else None
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.query_one("#tabs", TabbedContent).active = start_tab
        await pilot.pause()
        before = (app.result, app.snapshot_path, app.audit)
        await _open(pilot, bad)
        errors = [n.message for n in app._notifications if n.message.startswith("cannot audit")]
        assert errors == [f"cannot audit: {raised.value}"] and "\n" not in errors[0]
        assert app.query_one("#tabs", TabbedContent).active == start_tab
        assert (app.result, app.snapshot_path, app.audit) == before
        assert bool(app.query("#audit-view")) == (start_tab == "audit")
        if start_tab == "audit":
            assert app.query_one(AuditTab).report is before[2]
        else:  # no Audit tab to show yet: key 6 says so and the tab stays
            await pilot.press("6")
            await pilot.pause()
            assert app.query_one("#tabs", TabbedContent).active == start_tab
            assert any("no weights file audited yet" in n.message for n in app._notifications)


def test_describe_weights_says_what_a_file_is(tmp_path: Path) -> None:
    good = tmp_path / "m.safetensors"
    save_safetensors(torch_model()[0], str(good))
    assert describe_weights(good).startswith("weights · safetensors, 20 tensors, ")
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"\x00" * 3)
    with pytest.raises(WeightsFileError) as raised:
        audit_file(bad)
    assert describe_weights(bad) == f"weights · cannot be audited: {raised.value}"
