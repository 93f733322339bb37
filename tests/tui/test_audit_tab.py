"""The Audit tab shows the engine's audit: one table row per tensor, sortable, and the selected tensor's
histogram with the matched law's expected counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from textual.widgets import DataTable
from tui_helpers import settle

from initscope.engine.audit import audit_file
from initscope.tui.app import InitScopeApp
from initscope.tui.plot_widget import Plot
from initscope.tui.plots import Bars, Line
from initscope.tui.tabs.audit import AuditTab
from initscope.tui.tabs.base import PlotCard


def _report(tmp_path: Path):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    arrays = {
        "fc1.weight": (rng.standard_normal((64, 32)) * np.sqrt(2 / 32)).astype(np.float32),
        "fc1.bias": np.zeros(64, np.float32),
        "fc2.weight": (rng.standard_normal((10, 64)) * np.sqrt(2 / 64) * 3).astype(np.float32),
    }
    save_file(arrays, str(tmp_path / "m.safetensors"))
    return audit_file(tmp_path / "m.safetensors")


async def test_audit_tab_table_sort_and_histogram(tmp_path: Path) -> None:
    report = _report(tmp_path)
    app = InitScopeApp(audit=report, clock=False)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        assert app.query_one("#tabs").active == "audit"
        assert app.result is report.signal  # the file's MLP is the shown run
        tab = app.query_one(AuditTab)
        table = tab.query_one(DataTable)
        assert table.row_count == len(report.tensors)
        names = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert names == [a.info.name for a in report.tensors]

        stds = [a.stats.std for a in report.tensors if a.stats is not None]
        std_column = [c.key.value for c in table.ordered_columns].index("std")
        for descending in (False, True):  # a header selected twice sorts the other way (file order is ascending)
            tab.post_message(DataTable.HeaderSelected(table, table.ordered_columns[std_column].key, std_column, "std"))
            await pilot.pause()
            shown = [table.get_row_at(i)[std_column] for i in range(table.row_count)]
            assert shown == [f"{x:.4g}" for x in sorted(stds, reverse=descending)]

        table.move_cursor(row=[table.get_row_at(i)[0] for i in range(table.row_count)].index("fc1.weight"))
        await pilot.pause()
        fig = tab.query_one("#audit-hist", PlotCard).query_one(Plot).figure
        assert fig is not None and isinstance(fig.bars[0], Bars)
        fc1 = next(a for a in report.tensors if a.info.name == "fc1.weight")
        assert fc1.stats is not None and fc1.density is not None
        np.testing.assert_array_equal(fig.bars[0].counts, fc1.stats.histogram.counts)
        line = fig.lines[0]
        assert isinstance(line, Line)
        np.testing.assert_array_equal(line.y, fc1.density[0])

        # g: log10 counts, the bars and the expected counts alike (empty bins are gaps)
        await pilot.press("g")
        await pilot.pause()
        fig = tab.query_one("#audit-hist", PlotCard).query_one(Plot).figure
        assert fig is not None and fig.log_y
        with np.errstate(divide="ignore"):
            bars = np.log10(np.asarray(fc1.stats.histogram.counts, dtype=np.float64))
            expected = np.log10(np.asarray(fc1.density[0], dtype=np.float64))
        np.testing.assert_array_equal(fig.bars[0].counts, np.where(np.isfinite(bars), bars, np.nan))
        np.testing.assert_array_equal(fig.lines[0].y, np.where(np.isfinite(expected), expected, np.nan))
