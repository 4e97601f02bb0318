"""Batches (issue 12, item 7): one request per line, a report each, a summary for all,
the reference in every audit event, bad lines reported by line number while the rest
go on; the same through ``Workbench.batch``.

Most cases run on the fixed installation (exact expected summaries); one runs the
demo's sample subjects on every engine.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from fixed_install import EMAIL, OTHER_PHONE, PHONE, build_fixed_install

import dpo_workbench as dw
from dpo_workbench.batch import BatchResult, Status, file_stem
from dpo_workbench.cli import main
from dpo_workbench.demo.samples import AINO, SOREN, ZOE
from dpo_workbench.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, UsageError

BOM = "\ufeff"


@pytest.fixture
def install(tmp_path: Path) -> Path:
    return build_fixed_install(tmp_path / "install")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def _events(install: Path) -> list[tuple[str, str | None]]:
    with dw.open_workbench(install) as wb:
        assert wb.audit.verify().ok
        return [(str(e.action), e.reference) for e in wb.audit.events()]


def _write(path: Path, text: str, *, bom: bool = True) -> Path:
    path.write_bytes(((BOM if bom else "") + text).encode("utf-8"))
    return path


# As Excel saves "CSV UTF-8" with a comma-decimal locale: a byte-order mark, ";" between
# the cells, its own spelling of the column names, an empty line of empty cells at the end.
REQUESTS = f"""\
Reference;E-mail;Phone;First name;Last name;Start;End
DPO-1;{EMAIL};{PHONE};;;;
DPO-2;not-an-address;;;;;
DPO-3;;;;;;
dpo-1;;{OTHER_PHONE};;;;
DPO/5;nobody@example.org;;;;;
DPO-6;;{PHONE};;;2025-02-30;
DPO-7;;;Eeva;Mäkelä;;
{EMAIL};;{OTHER_PHONE};;;;
DPO-9;;{OTHER_PHONE};;;2025-01-01;2025-12-31
;;;;;;
"""

SUMMARY = f"""\
{BOM}line;reference;status;contacts;directory_entries;campaign_customers;consents;total;report;error
2;DPO-1;ok;2;1;1;2;6;DPO-1.csv;
3;DPO-2;error;;;;;;;E-mail address is not valid: enter one address like name@example.com.
4;DPO-3;error;;;;;;;Enter an e-mail address, a phone number or a name to search.
5;dpo-1;error;;;;;;;the reference is used on line 2 already: each request needs its own
6;DPO/5;nothing found;0;0;0;0;0;DPO_5.csv;
7;DPO-6;error;;;;;;;Start date is not a date: write it as YYYY-MM-DD, e.g. 2025-03-31.
8;DPO-7;ok;0;1;1;0;2;DPO-7.csv;
9;;error;;;;;;;"The request reference looks like an e-mail address; the audit log keeps no \
personal data. Use the case number, such as DPO-2025-017."
10;DPO-9;ok;1;0;0;0;1;DPO-9.csv;
"""


def test_a_batch_reports_each_line_and_goes_on_past_bad_ones(install: Path,
                                                             tmp_path: Path) -> None:
    requests = _write(tmp_path / "requests.csv", REQUESTS)
    out = tmp_path / "out"

    status, stdout, stderr = _run("batch", str(requests), "--out", str(out),
                                  "-c", str(install), "--user", "dpo")

    assert status == EXIT_INCOMPLETE  # some lines failed, the others ran
    assert (out / "summary.csv").read_text(encoding="utf-8") == SUMMARY
    assert sorted(p.name for p in out.iterdir()) == [
        "DPO-1.csv", "DPO-7.csv", "DPO-9.csv", "DPO_5.csv", "summary.csv", "summary.json"]
    assert (out / "DPO-1.csv").read_text(encoding="utf-8-sig").count("\n") > 6  # a report
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["statuses"] == {"ok": 3, "nothing found": 1, "too many": 0, "error": 5,
                                   "not run": 0}
    assert summary["succeeded"] is False and summary["format"] == "csv"
    assert summary["lines"][0] == {"line": 2, "reference": "DPO-1", "status": "ok",
                                   "contacts": 2, "directory_entries": 1,
                                   "campaign_customers": 1, "consents": 2, "total": 6,
                                   "report": "DPO-1.csv", "error": None}
    # each bad line by its number on stderr; the searched person nowhere but in the reports
    assert [line.split(":")[0] for line in stderr.splitlines() if line.startswith("error")] \
        == ["error"] * 5
    for line in (3, 4, 5, 7, 9):
        assert f"error: line {line} " in stderr
    for text in (stdout, stderr, (out / "summary.json").read_text(encoding="utf-8"),
                 (out / "summary.csv").read_text(encoding="utf-8")):
        assert EMAIL not in text and PHONE not in text and "Mäkelä" not in text
    assert "9 request(s): 3 ok, 1 nothing found, 5 error" in stdout

    # the reference is in every event each request produced; bad lines produced none
    assert _events(install) == [
        ("search", "DPO-1"), ("report_created", "DPO-1"),
        ("search", "DPO/5"), ("report_created", "DPO/5"),
        ("search", "DPO-7"), ("report_created", "DPO-7"),
        ("search", "DPO-9"), ("report_created", "DPO-9"),
    ]


def test_every_line_succeeding_is_exit_0_and_the_summary_keeps_commas(install: Path,
                                                                       tmp_path: Path) -> None:
    requests = _write(tmp_path / "r.csv", f"reference,phone\nA-1,{PHONE}\nB-2,{OTHER_PHONE}\n",
                      bom=False)
    status, _, stderr = _run("batch", str(requests), "--out", str(tmp_path / "out"),
                             "-c", str(install), "--format", "json", "--no-bom")
    assert status == EXIT_OK
    assert "error" not in stderr
    summary = (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8")
    assert summary.splitlines()[1] == "2,A-1,ok,1,1,1,2,5,A-1.json,"  # no BOM, commas
    report = json.loads((tmp_path / "out" / "B-2.json").read_text(encoding="utf-8"))
    assert report  # a JSON report per request


@pytest.mark.parametrize("header, shown", [
    # a typo: the message names it and every valid column
    ("reference,emial,phone", "unknown column(s) 'emial'; the columns are reference, email, "
                              "phone, first_name, last_name, start, end, digits"),
    # a file without its header row: its first request must not be repeated
    (f"DPO-1,{EMAIL},{PHONE}", "no column name in the first line (is the header row "
                               "missing?)"),
    # a header with a typo and a pasted phone number: the number is not repeated
    (f"reference,{PHONE}", "unknown column(s) 1 that may be personal data"),
    ("email,phone", "no 'reference' column"),
    ("reference,digits", "no criteria column"),
    ("reference,email,Email", "column(s) email appear more than once"),
])
def test_a_bad_header_stops_the_batch_before_anything_runs(install: Path, tmp_path: Path,
                                                          header: str, shown: str) -> None:
    requests = _write(tmp_path / "r.csv", f"{header}\nDPO-2,{EMAIL},{PHONE}\n")
    status, _, stderr = _run("batch", str(requests), "--out", str(tmp_path / "out"),
                             "-c", str(install))
    assert status == EXIT_USAGE
    assert shown in stderr and EMAIL not in stderr and PHONE not in stderr
    assert not (tmp_path / "out").exists()
    assert _events(install) == []


def test_a_file_that_is_not_utf8_is_refused_with_the_way_to_save_it(install: Path,
                                                                    tmp_path: Path) -> None:
    requests = tmp_path / "r.csv"
    requests.write_bytes("reference;first_name;last_name\nDPO-1;Zoë;Müller\n".encode("cp1252"))
    status, _, stderr = _run("batch", str(requests), "--out", str(tmp_path / "o"),
                             "-c", str(install))
    assert status == EXIT_USAGE and "save it as 'CSV UTF-8" in stderr


def test_a_folder_that_is_not_empty_needs_force_and_nothing_is_replaced_silently(
        install: Path, tmp_path: Path) -> None:
    requests = _write(tmp_path / "r.csv", f"reference,phone\nA-1,{PHONE}\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "A-1.csv").write_text("an earlier report", encoding="utf-8")
    (out / "notes.txt").write_text("the DPO's notes", encoding="utf-8")

    status, _, stderr = _run("batch", str(requests), "--out", str(out), "-c", str(install))
    assert status == EXIT_USAGE and "is not empty" in stderr and "--force" in stderr
    assert (out / "A-1.csv").read_text(encoding="utf-8") == "an earlier report"

    status, _, stderr = _run("batch", str(requests), "--out", str(out), "-c", str(install),
                             "--force")
    assert status == EXIT_OK
    assert "note: line 2: A-1.csv replaced the file of that name" in stderr
    assert (out / "A-1.csv").read_text(encoding="utf-8") != "an earlier report"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "the DPO's notes"  # kept


def test_too_many_items_get_no_report_unless_accepted(install: Path, tmp_path: Path) -> None:
    settings = install.read_text(encoding="utf-8") + "search: {too_many: 3}\n"
    install.write_text(settings, encoding="utf-8")
    requests = [{"reference": "A-1", "phone": PHONE}, {"reference": "B-2", "phone": OTHER_PHONE}]
    with dw.open_workbench(install) as wb:
        refused = wb.batch(requests, out=tmp_path / "refused")
        accepted = wb.batch(requests, out=tmp_path / "accepted", accept_too_many=True)
    assert [(o.status, o.report, o.total) for o in refused] == [
        (Status.TOO_MANY, None, 5), (Status.OK, "B-2.csv", 1)]
    assert refused.failed[0].error == ("5 items found, more than 3: narrow the criteria "
                                       "(a shorter time span), or accept them")
    assert not (tmp_path / "refused" / "A-1.csv").exists()
    assert accepted.succeeded and (tmp_path / "accepted" / "A-1.csv").exists()


def test_the_api_takes_a_dataframe_as_pandas_reads_a_requests_file(install: Path,
                                                                    tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "reference": ["DPO-1", "DPO-2", None],
        "phone": [358407654321, None, 358501112222],  # numbers, NaN where empty
        "email": [None, EMAIL, None],
        "digits": [7.0, None, None],
    })
    before = frame.copy()
    with dw.open_workbench(install) as wb:
        result = wb.batch(frame, out=tmp_path / "out", fmt="zip")
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is not changed
    assert isinstance(result, BatchResult) and not result.succeeded
    summary = result.to_frame()
    assert list(summary["status"]) == ["ok", "ok", "error"]
    assert list(summary["line"]) == [1, 2, 3]
    assert list(summary["report"].fillna("-")) == ["DPO-1.zip", "DPO-2.zip", "-"]
    assert str(summary["contacts"].dtype) == "Int64" and summary["contacts"].isna().iloc[2]
    assert summary.loc[2, "error"].startswith("no reference")
    assert (tmp_path / "out" / "DPO-1.zip").stat().st_size > 0


def test_the_api_takes_dicts_and_a_path_the_same_way(install: Path, tmp_path: Path) -> None:
    rows = [{"reference": "A-1", "email": EMAIL}, {"reference": "A/1", "phone": PHONE},
            {"reference": "A_1", "phone": PHONE}]
    path = _write(tmp_path / "r.csv", "reference,email,phone\n" + "\n".join(
        f"{r['reference']},{r.get('email', '')},{r.get('phone', '')}" for r in rows) + "\n")
    with dw.open_workbench(install) as wb:
        from_dicts = wb.batch(iter(rows), out=tmp_path / "dicts")
        from_file = wb.batch(path, out=tmp_path / "file")
    # "A/1" and "A_1" make the same file name: the second gets its line number
    assert [o.report for o in from_dicts] == ["A-1.csv", "A_1.csv", "A_1-line3.csv"]
    assert [o.report for o in from_file] == ["A-1.csv", "A_1.csv", "A_1-line4.csv"]
    assert [o.counts for o in from_dicts] == [o.counts for o in from_file]
    assert repr(from_file) == f"BatchResult(3 request(s): 3 ok; folder {tmp_path / 'file'})"


def test_an_interrupted_batch_leaves_its_summary(install: Path, tmp_path: Path) -> None:
    def progress(message: str, done: int, total: int) -> None:
        if done == 1:
            raise KeyboardInterrupt  # Ctrl+C while the second line starts

    rows = [{"reference": f"R-{i}", "phone": PHONE} for i in range(3)]
    with dw.open_workbench(install) as wb, pytest.raises(KeyboardInterrupt):
        wb.batch(rows, out=tmp_path / "out", progress=progress)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert [(line["reference"], line["status"]) for line in summary["lines"]] == [
        ("R-0", "ok"), ("R-1", "not run"), ("R-2", "not run")]
    assert (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8-sig").count("\n") == 2


def test_batch_progress_moves_request_by_request(install: Path, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    with dw.open_workbench(install) as wb:
        wb.batch([{"reference": "A-1", "phone": PHONE}, {"reference": "B-2", "email": "x"}],
                 out=tmp_path / "out", progress=lambda *call: calls.append(call))
    assert calls == [("line 1 (A-1)", 0, 2), ("line 2 (B-2)", 1, 2), ("requests done", 2, 2)]
    err = io.StringIO()
    assert main(["batch", str(_write(tmp_path / "r.csv", f"reference,phone\nA,{PHONE}\n")),
                 "--out", str(tmp_path / "o2"), "-c", str(install)], io.StringIO(), err) == 0
    assert "\r" not in err.getvalue() and "requests done: 1/1 (100%)" in err.getvalue()


@pytest.mark.parametrize("requests, message", [
    ([], "holds no request"),
    (pd.DataFrame({"reference": [], "phone": []}), "holds no request"),
    (pd.DataFrame({"case": ["A"], "phone": [PHONE]}), "unknown column(s) 'case'"),
    (42, "requests must be a CSV file's path, a DataFrame or an iterable of dicts"),
])
def test_the_api_refuses_what_cannot_be_a_batch(install: Path, tmp_path: Path,
                                                 requests: object, message: str) -> None:
    with dw.open_workbench(install) as wb, pytest.raises(UsageError, match=re.escape(message)):
        wb.batch(requests, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("reference, stem", [
    ("DPO-2025/17", "DPO-2025_17"),  # no sub-folder
    ("../../etc/passwd", "etc_passwd"),  # no way out of the folder
    ("Ärende 5", "Ärende_5"),  # letters of any language stay
    ("summary", "summary_"),  # not the summary's name
    ("nul", "nul_"),  # not a Windows device
    ("...", "request"),  # nothing left
])
def test_report_names_are_safe(reference: str, stem: str) -> None:
    assert file_stem(reference) == stem


@pytest.mark.engines
def test_the_demos_sample_subjects_in_a_batch_on_every_engine(shared_demo: tuple[str, Path],
                                                              tmp_path: Path) -> None:
    _, settings = shared_demo
    rows = [{"reference": "S-1", "phone": AINO.phone, "email": AINO.email},
            {"reference": "S-2", "phone": SOREN.phone},
            {"reference": "S-3", "first_name": ZOE.first_name, "last_name": ZOE.last_name}]
    with dw.open_workbench(settings) as wb:
        result = wb.batch(rows, out=tmp_path / "out")
        expected = [wb.search(**{k: v for k, v in r.items() if k != "reference"}).counts()
                    for r in rows]
        case = [str(e.action) for e in wb.audit.events(reference="S-2")]
    assert result.succeeded
    assert [dict(o.counts or {}) for o in result] == expected
    assert case == ["search", "report_created"]
