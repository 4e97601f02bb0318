"""Progress is shown as the place the work runs in needs it (issue 12, "Progress"):
plain lines without carriage returns in a log, a bar with rate and time left on a
terminal, a widget in a notebook; index creation moves index by index."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import demo_installation

import dpo_workbench as dw
from dpo_workbench import progress as progress_module
from dpo_workbench.cli import main
from dpo_workbench.demo.build import build_demo
from dpo_workbench.progress import (
    BarProgress,
    LineProgress,
    ProgressDisplay,
    as_progress,
    progress_display,
)

ROOT = Path(__file__).resolve().parent.parent


class Terminal(io.StringIO):
    """What the command line writes to a terminal's standard error."""

    def isatty(self) -> bool:
        return True


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", fake)
    return fake


# -- finding: "\r percentages even when stderr is not a terminal (a log gets one glued line)"


def test_stderr_not_a_terminal_gets_plain_lines_without_carriage_returns(tmp_path: Path) -> None:
    err = io.StringIO()
    status = main(["demo", "build", str(tmp_path / "demo"), "--events", "1500",
                   "--max-files", "2"], io.StringIO(), err)
    assert status == 0
    log = err.getvalue()
    assert "\r" not in log
    lines = log.splitlines()
    assert len(lines) > 10 and log.endswith("\n")  # one line per step, not one glued line
    assert "operative: contact events: 1500/1500 (100%) in 0:0" in log


def test_a_log_gets_at_most_one_line_per_interval_besides_each_stage_end(clock: Clock) -> None:
    out = io.StringIO()
    show = LineProgress(out, interval=2.0)
    for i in range(1, 101):  # 100 steps over 10 seconds: lines at 0, 2, 4, 6, 8 s and the end
        clock.now += 0.1
        show("operative: contact events", i, 100)
    show("monitoring1: contact events", 1, 1)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + 5 + 1
    assert lines[-2] == "operative: contact events: 100/100 (100%) in 0:10"
    assert lines[-1].startswith("monitoring1: contact events: 1/1 (100%) in ")


# -- finding: "no rate or ETA"


def test_lines_in_a_log_give_the_rate_and_the_time_left(clock: Clock) -> None:
    out = io.StringIO()
    show = LineProgress(out, interval=0)
    show("index operative.dpo_phone", 0, 4)
    clock.now += 30
    show("index operative.dpo_email", 1, 4)
    assert out.getvalue().splitlines()[-1] == (
        "index operative.dpo_email: 1/4 (25%), 2.0/min, about 1:30 left")


def test_a_terminal_gets_a_bar_with_rate_and_time_left(tmp_path: Path) -> None:
    err = Terminal()
    assert main(["demo", "build", str(tmp_path / "demo"), "--events", "1500",
                 "--max-files", "2"], io.StringIO(), err) == 0
    shown = err.getvalue()
    assert "it/s]" in shown  # the rate
    assert "operative: contact events: 100%" in shown
    assert "[00:00<00:00" in shown  # elapsed < time left


def test_quiet_shows_nothing(tmp_path: Path) -> None:
    err = Terminal()
    assert main(["demo", "build", str(tmp_path / "demo"), "--events", "1500",
                 "--max-files", "2", "--quiet"], io.StringIO(), err) == 0
    assert err.getvalue() == ""


def test_the_display_suits_the_stream() -> None:
    assert isinstance(progress_display(io.StringIO()), LineProgress)
    assert isinstance(progress_display(Terminal()), BarProgress)
    assert type(progress_display(Terminal(), quiet=True)) is ProgressDisplay
    callback, close = as_progress(True)
    assert isinstance(callback, ProgressDisplay)  # a script's stderr
    close()


# -- "in notebooks a widget"


def test_a_notebook_gets_a_widget(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    import ipywidgets

    monkeypatch.setattr(progress_module, "in_notebook", lambda: True)
    show = progress_display()
    assert isinstance(show, BarProgress)
    show("searched operative", 1, 5)
    assert isinstance(show._bar.container, ipywidgets.HBox)  # the bar is a widget
    show.close()


def test_outside_a_notebook_no_widget_is_chosen() -> None:
    assert progress_module.in_notebook() is False


def test_the_json_search_path_loads_no_progress_display(tmp_path: Path) -> None:
    """A command that shows no progress must not pay for tqdm or the widgets."""
    code = ("import sys, dpo_workbench.cli as c, dpo_workbench.search, dpo_workbench.progress; "
            "print([m for m in ('tqdm', 'ipywidgets') if m in sys.modules])")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out.replace("'", '"')) == []


# -- finding: "index creation shows only 0% and 100%"


def test_index_creation_moves_index_by_index(tmp_path: Path) -> None:
    with demo_installation(tmp_path / "demo", indexes=False) as settings, \
            dw.open_workbench(settings) as wb:
        missing = len(wb.index_definitions())
        calls: list[tuple[str, int, int]] = []
        built = wb.create_indexes(progress=lambda *call: calls.append(call))
    assert len(built) == missing > 2
    assert [done for _, done, _ in calls] == list(range(missing + 1))
    assert {total for _, _, total in calls} == {missing}
    # each step names the index it builds (database and index, no data)
    assert calls[0][0] == f"index {built[0][0].database}.{built[0][0].name}"


def test_indexes_apply_reports_each_index_on_stderr(tmp_path: Path) -> None:
    with demo_installation(tmp_path / "demo", indexes=False) as settings:
        out, err = io.StringIO(), io.StringIO()
        assert main(["indexes", "--apply", "-c", str(settings)], out, err) == 0
    assert "\r" not in err.getvalue()
    assert err.getvalue().splitlines()[-1].startswith("indexes created: ")
    assert out.getvalue().count("created ") > 2  # one line per index, then the total


def test_demo_build_reports_its_own_indexes_one_by_one(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    build_demo(tmp_path, events=1500, max_files=2,
               progress=lambda stage, done, total: calls.append((stage, done, total)))
    operative = [(done, total) for stage, done, total in calls if stage == "operative: indexes"]
    total = operative[0][1]
    assert total > 2 and operative == [(i, total) for i in range(total + 1)]


def test_report_and_erase_show_their_progress_unless_quiet(tmp_path):
    """report and erase --confirm show their progress on standard error; --quiet shows none."""
    from dpo_workbench.cli import main

    with demo_installation(tmp_path / "demo") as settings:
        base = ["-c", str(settings), "--phone", "+358 40 123 4567"]
        err = io.StringIO()
        assert main(["report", *base, "--out", str(tmp_path / "r.csv")], io.StringIO(), err) == 0
        assert "\r" not in err.getvalue() and "100%" in err.getvalue()
        quiet = io.StringIO()
        assert main(["report", *base, "--out", str(tmp_path / "q.csv"), "-q"], io.StringIO(),
                    quiet) == 0
        assert quiet.getvalue() == ""
        out = io.StringIO()
        assert main(["erase", *base, "--format", "json"], out, io.StringIO()) == 0
        token = json.loads(out.getvalue())["plan"]["token"]
        err = io.StringIO()
        main(["erase", *base, "--confirm", token], io.StringIO(), err)
        assert "100%" in err.getvalue() and "\r" not in err.getvalue()
