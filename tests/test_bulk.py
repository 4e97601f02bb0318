"""The cyclic garbage collector rests while a search builds its rows and records."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest
from conftest import demo_installation

from dpo_workbench import open_workbench
from dpo_workbench.bulk import collector_paused
from dpo_workbench.errors import DatabaseError


def test_nested_and_concurrent_pauses_end_together_and_restore_the_collector():
    assert gc.isenabled()
    inside = threading.Event()
    leave = threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            leave.wait(10)

    with collector_paused():
        thread = threading.Thread(target=other)
        thread.start()
        inside.wait(10)
        with collector_paused():
            assert not gc.isenabled()
    assert not gc.isenabled(), "the other thread's batch is still being built"
    leave.set()
    thread.join()
    assert gc.isenabled()


def test_a_program_that_turned_the_collector_off_keeps_it_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_search_runs_with_the_collector_off_and_turns_it_on_again_even_when_it_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dpo_workbench import search as search_module

    states: list[bool] = []
    assemble = search_module._assemble

    def watched(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        states.append(gc.isenabled())
        return assemble(*args, **kwargs)

    monkeypatch.setattr(search_module, "_assemble", watched)
    with demo_installation(tmp_path / "demo", indexes=False) as settings, \
            open_workbench(settings, user="dpo") as wb:
        assert wb.search(email="aino.jarvinen@example.fi").total > 0
        assert states == [False] and gc.isenabled()
        # A database gone between the plan and its selects: the search fails.
        Path(wb.settings.databases["operative"].database).unlink()
        wb.installation.engines["operative"].dispose()
        with pytest.raises(DatabaseError):
            wb.search(email="aino.jarvinen@example.fi")
    assert gc.isenabled()
