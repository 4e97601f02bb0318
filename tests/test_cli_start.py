"""The command line starts fast: a search loads no pandas, widgets or dashboard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import demo_installation

#: Modules a command-line search must not load: each costs a large part of a
#: process's start (pandas alone took 0.35 s when the details module pulled it in),
#: or a millisecond or two for nothing (the HTML of Jupyter's displays, the other
#: commands' JSON documents, the "did you mean" of a wrong group name).
HEAVY = ("pandas", "numpy", "ipywidgets", "voila", "jupyter_server", "dpo_workbench.ui",
         "dpo_workbench.web", "dpo_workbench.report.csvfile", "dpo_workbench.erasure.plan",
         "html", "difflib", "dpo_workbench.cli.documents", "dpo_workbench.cli.erasedocs")

_PROBE = """
import json, os, sys
from dpo_workbench.cli import main
status = main(sys.argv[1:])
heavy = json.loads(os.environ["HEAVY_MODULES"])
print(json.dumps({"status": status, "loaded": [m for m in heavy if m in sys.modules]}),
      file=sys.stderr)
"""


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with demo_installation(tmp_path_factory.mktemp("demo")) as path:
        yield path


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_command_line_search_imports_no_pandas_or_widgets(settings: Path, fmt: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "search", "--config", str(settings),
         "--email", "aino.jarvinen@example.fi", "--phone", "+358 40 123 4567",
         "--format", fmt],
        capture_output=True, text=True, check=False, timeout=120,
        env=dict(os.environ, HEAVY_MODULES=json.dumps(HEAVY)))
    probe = json.loads(proc.stderr.strip().splitlines()[-1])
    assert probe == {"status": 0, "loaded": []}
    if fmt == "json":
        assert json.loads(proc.stdout)["total"] > 0
    else:
        assert len(proc.stdout.splitlines()) > 1


def test_a_run_builds_only_its_commands_options_and_parses_as_the_full_parser() -> None:
    """The parser of one command's run equals the full parser on that command's arguments."""
    from dpo_workbench.cli.parser import COMMAND_ARGUMENTS, build_parser

    argv = ["search", "--config", "w.yaml", "--phone", "+358 40 123 4567", "--format", "json",
            "--reference", "DPO-7"]
    assert vars(build_parser("search").parse_args(argv)) == vars(build_parser().parse_args(argv))
    lean = build_parser("search")
    for name in COMMAND_ARGUMENTS:  # every command is still listed with its help
        assert name in lean.format_help()


_GC_PROBE = """
import gc, json, sys
from dpo_workbench import cli, console
seen = {}
real_main = cli.main
usual = gc.get_threshold()
def main():
    seen["collector on during the command"] = gc.isenabled()
    imported = gc.get_freeze_count()
    seen["imported objects set aside"] = imported > 10000
    seen["collecting rarely while opening"] = gc.get_threshold()[0] == console.START_THRESHOLD
    status = real_main()
    seen["opening set aside too"] = gc.get_freeze_count() > imported
    seen["collecting as usual after opening"] = gc.get_threshold() == usual
    return status
cli.main = main
try:
    console.run()
finally:
    print(json.dumps(seen), file=sys.stderr)
"""


def test_the_process_collects_garbage_during_the_command_and_answers_as_main(settings: Path):
    """The console script turns the collector off only while importing and collects
    rarely while the command opens its installation; the command's own work runs with
    the usual collector, and it prints and exits exactly as :func:`dpo_workbench.cli.main`."""
    argv = ["search", "--config", str(settings), "--email", "aino.jarvinen@example.fi",
            "--format", "json"]
    proc = subprocess.run([sys.executable, "-c", _GC_PROBE, *argv], capture_output=True,
                          text=True, check=False, timeout=120)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == {
        "collector on during the command": True, "imported objects set aside": True,
        "collecting rarely while opening": True, "opening set aside too": True,
        "collecting as usual after opening": True}
    assert proc.returncode == 0
    script = Path(sys.executable).parent / "dpo-workbench"
    for command in ([str(script)], [sys.executable, "-m", "dpo_workbench.cli"]):
        run = subprocess.run([*command, *argv], capture_output=True, text=True, check=False,
                             timeout=120)
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["total"] == json.loads(proc.stdout)["total"] > 0
        bad = subprocess.run([*command, "search", "--config", str(settings)],
                             capture_output=True, text=True, check=False, timeout=120)
        assert bad.returncode == 2 and "error" in bad.stderr  # no criteria: a usage error


def test_the_audit_log_opened_ahead_is_the_one_recorded_in_and_is_closed(settings: Path):
    """A command-line search opens the audit log while the databases connect."""
    from dpo_workbench import open_workbench

    with open_workbench(settings, user="dpo", audit_ahead=True) as wb:
        before = wb.audit.head().last_id
        wb.search(email="aino.jarvinen@example.fi")
        assert wb.audit.events(limit=1)[0].id == before + 1
        assert wb.audit.verify().ok
    assert not [t for t in threading.enumerate() if t.name == "dpo-audit-open"]


def test_an_audit_log_that_cannot_be_opened_fails_the_search_but_not_a_command_that_records_nothing(
        tmp_path: Path) -> None:
    from dpo_workbench.audit.keys import audit_key_path
    from dpo_workbench.settings import load_settings

    with demo_installation(tmp_path / "demo", indexes=False) as path:
        script = Path(sys.executable).parent / "dpo-workbench"
        first = subprocess.run([str(script), "search", "--config", str(path), "--email",
                                "aino.jarvinen@example.fi", "--format", "json"],
                               capture_output=True, text=True, check=False, timeout=120)
        assert first.returncode == 0, first.stderr
        audit_key_path(load_settings(path)).unlink()  # a log with events and no key

        search = subprocess.run([str(script), "search", "--config", str(path), "--email",
                                 "aino.jarvinen@example.fi", "--format", "json"],
                                capture_output=True, text=True, check=False, timeout=120)
        explain = subprocess.run([str(script), "explain", "--config", str(path), "--email",
                                  "aino.jarvinen@example.fi"],
                                 capture_output=True, text=True, check=False, timeout=120)

    assert search.returncode != 0 and "key" in search.stderr and search.stdout == ""
    assert "Traceback" not in search.stderr
    assert explain.returncode == 0, explain.stderr


def test_a_command_line_search_does_not_open_a_database_that_holds_only_lookups(
        tmp_path: Path) -> None:
    """The demo's ``configuration`` database holds only the agents' and queues' names."""
    from dpo_workbench.datamap import load_datamap
    from dpo_workbench.settings import load_settings

    with demo_installation(tmp_path / "demo", indexes=False) as path:
        settings = load_settings(path)
        datamap = load_datamap(settings.datamap_path)
        assert "configuration" in datamap.databases
        assert "configuration" not in datamap.searched_databases
        argv = [str(Path(sys.executable).parent / "dpo-workbench"), "search", "--config",
                str(path), "--email", "aino.jarvinen@example.fi", "--format", "json", "--hints"]
        whole = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        Path(settings.databases["configuration"].database).unlink()  # the lookups are gone

        without = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        item = json.loads(whole.stdout)["groups"]["contacts"][0]
        details = subprocess.run(
            [argv[0], "details", "--config", str(path), "--format", "json",
             f"{item['_database']}.{item['_table']}#{item['_key']}"],
            capture_output=True, text=True, check=False, timeout=120)

    assert whole.returncode == 0 and without.returncode == 0, without.stderr
    assert json.loads(without.stdout) == json.loads(whole.stdout)
    assert details.returncode != 0 and "configuration" in details.stderr


def test_a_search_that_cannot_connect_starts_no_audit_log(tmp_path: Path) -> None:
    """The log opened ahead is only an existing one: a new log and its key are started by
    the first event, never by a command that failed before recording anything."""
    import yaml

    from dpo_workbench.audit.keys import audit_key_path
    from dpo_workbench.settings import load_settings

    with demo_installation(tmp_path / "demo", indexes=False) as path:
        text = yaml.safe_load(Path(path).read_text())
        text["datamap"] = str(Path(path).parent / text["datamap"])
        text["databases"] = {name: "postgresql+psycopg2://nobody@127.0.0.1:9/none"
                             for name in text["databases"]}
        text.pop("files", None)
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        (fresh / "workbench.yaml").write_text(yaml.safe_dump(text))
        key = audit_key_path(load_settings(fresh / "workbench.yaml"))

        run = subprocess.run([str(Path(sys.executable).parent / "dpo-workbench"), "search",
                              "--config", str(fresh / "workbench.yaml"), "--email",
                              "aino.jarvinen@example.fi", "--format", "json"],
                             capture_output=True, text=True, check=False, timeout=120)

    assert run.returncode != 0 and "not reachable" in run.stderr, run.stderr
    assert not key.exists() and not key.parent.exists()


def test_a_command_run_from_python_leaves_the_collector_alone(settings: Path):
    """Only the ``dpo-workbench`` process changes how the collector runs: ``main`` called
    from a notebook or a script (and ``started`` there) changes nothing of the caller's."""
    import gc
    import io

    from dpo_workbench import cli

    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    assert cli.main(["search", "--config", str(settings), "--email",
                     "aino.jarvinen@example.fi", "--format", "json"], out=io.StringIO()) == 0
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before
