"""The explorer's architecture controls: arch, branch depth, norm, placement and branch scale."""

from __future__ import annotations

from textual.widgets import Select
from tui_helpers import settle, text_of

from initscope.engine.config import Config
from initscope.tui.app import InitScopeApp
from initscope.tui.plot_widget import Plot

SMALL = Config(fan_in=64, depth=6, batch=64)


def legend_of(app: InitScopeApp, selector: str) -> str:
    figure = app.query_one(selector, Plot).figure
    return "  ".join(entry.label for entry in figure.legend) if figure is not None else ""


async def test_architecture_selects_rerun_and_plots_show_stream_and_branch() -> None:
    app = InitScopeApp(config=SMALL, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("p")  # pin the plain MLP
        app.query_one("#arch", Select).value = "residual"
        await settle(pilot)
        assert app.config == SMALL.replace(arch="residual")
        assert app.result is not None and app.result.branch is not None
        app.query_one("#branch_scale", Select).value = "1/sqrt(2L)"
        app.query_one("#norm", Select).value = "layernorm"
        app.query_one("#norm_placement", Select).value = "post"
        app.query_one("#branch_depth", Select).value = "1"
        await settle(pilot)
        want = SMALL.replace(
            arch="residual", branch_scale="1/sqrt(2L)", norm="layernorm", norm_placement="post", branch_depth=1
        )
        assert app.config == want
        await pilot.press("2")
        await pilot.pause()
        legend = legend_of(app, "#std Plot")
        assert "stream std" in legend and "branch std" in legend and "theory: branch" in legend
        assert "pin 1: mlp" in legend  # the pin names the architecture it differs in
        # back to an MLP: the branch scale returns to 1 (an MLP has no branches) and the run is accepted
        app.query_one("#arch", Select).value = "mlp"
        await settle(pilot)
        assert app.config.arch == "mlp" and app.config.branch_scale == "1"
        assert app.query_one("#branch_scale", Select).value == "1"


async def test_residual_with_a_different_width_marks_the_width_field() -> None:
    app = InitScopeApp(config=SMALL.replace(width=32), clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.query_one("#arch", Select).value = "residual"
        await pilot.pause()
        await pilot.pause()
        assert app.query_one("#width").has_class("-invalid-field")
        assert "width" in text_of(app, "#control-error")


async def test_summary_of_a_residual_block_shows_its_branch() -> None:
    from initscope.engine.propagate import run
    from initscope.tui.summary import SummaryPane, num

    cfg = SMALL.replace(arch="residual")
    app = InitScopeApp(config=cfg, clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        r = run(cfg)
        acts = text_of(app, "#summary-activations")
        assert r.branch is not None and r.branch.theory_std is not None
        assert f"branch std {num(r.forward.preactivation.std[0])}" in acts
        assert f"aF/x {num(r.branch.ratio[0])} (branch theory {num(r.branch.theory_std[0])})" in acts
        assert "block 1 of 6" in str(app.query_one(SummaryPane).border_title)


def test_theory_readouts_of_a_residual_net_name_the_recursion() -> None:
    from initscope.engine.propagate import run
    from initscope.tui.theory.readouts import readouts

    text = readouts(run(SMALL.replace(arch="residual"), advise=False)).plain
    assert "Yang & Schoenholz 2017" in text and "multiplies by 2 per block" in text and "q*" not in text
