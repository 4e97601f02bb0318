"""The dashboard in a real browser at 1M contact events: what a DPO waits for.

``python -m bench.dashboard`` builds (or reuses) a SQLite demo installation of
``--size`` contact events under ``bench/work/`` (with the workbench's indexes),
serves it with ``python -m dpo_workbench.serve``'s own command, and drives Debian's
``chromium`` with Playwright, ``--runs`` times:

- **log-on**: from pressing *Log on* to the criteria form answering a click;
- **search**: from pressing *Search* to the results drawn (the first page of every
  group), for a subject with about a thousand items: the sample subject AINO by her
  last 3 digits (no warning), and the switchboard's number (more than 1,000 items:
  the warning, then *Show the results anyway*);
- **untick a group**: from clicking the Contacts group's checkbox to its count
  saying none is selected (then ticked again);
- **report**: from pressing *Create Report* to the link to save it (the CSV of
  every item with its details, built in the kernel).

Medians are printed, and with ``--write`` appended to ``bench/RESULTS.md`` (a
section "Dashboard in a browser at 1M"); every run's figures go to
``bench/RESULTS-dashboard.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dpo_workbench.demo.samples import AINO, SWITCHBOARD

from .builds import Servers, obtain, parse_size, size_label

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SECTION = "## Dashboard in a browser at 1M"
#: How long the DPO takes to type the criteria (the kernel makes the results' widgets
#: meanwhile, from the first key typed: dpo_workbench.ui.app.Dashboard.start_warm_up).
TYPING_MS = int(os.environ.get("DPO_BENCH_TYPING_MS", "5000"))

#: The searches timed: label, form fields, whether the too-many warning comes first.
SEARCHES: tuple[tuple[str, dict[str, str], bool], ...] = (
    ("AINO, phone, last 3 digits", {"phone": AINO.phone, "digits": "3"}, False),
    ("SWITCHBOARD, phone", {"phone": SWITCHBOARD.phone}, True),
)


def installation(size: str, work: Path) -> Path:
    """The settings file of a complete SQLite installation of ``size`` with its indexes."""
    import dpo_workbench as dw

    inst = obtain("sqlite", parse_size(size), 42, work, Servers(), 2000)
    marker = inst.folder / "bench-indexes.done"
    if not marker.exists():
        with dw.open_workbench(inst.settings) as wb:
            wb.create_indexes()
        marker.write_text("indexes created\n")
    return inst.settings


@contextmanager
def serving(settings: Path) -> Iterator[str]:
    """The dashboard's web server on a free port, as ``dpo_workbench.serve`` runs it."""
    import socket

    from dpo_workbench.serve import Options, prepare

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    with tempfile.TemporaryDirectory(prefix="dpo-bench-dashboard-") as tmp:
        folder = Path(tmp)
        private = folder / "private"
        private.mkdir()
        served = prepare(settings, "127.0.0.1", port, private, folder / "dashboard.log",
                         Options(max_kernels_per_user=4))
        with open(folder / "server.log", "wb") as out:
            proc = subprocess.Popen(served.command, env=served.env, cwd=private, stdout=out,
                                    stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    raise RuntimeError((folder / "server.log").read_text())
                try:
                    with urllib.request.urlopen(served.url + "login", timeout=2):
                        break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the server did not answer") from None
                    time.sleep(0.3)
            yield served.url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _timed(action: Callable[[], Any], done: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    done()
    return time.perf_counter() - started


def drawn(page: Any) -> None:
    """Every group's first page is in the page (not only the first group's)."""
    import re

    from playwright.sync_api import expect

    expect(page.locator(".dpo-group-contacts .dpo-row")).to_have_count(50)
    for group in ("contacts", "directory_entries", "campaign_customers", "consents"):
        label = page.locator(f".dpo-group-{group} .dpo-group-check").inner_text()
        found = int(re.search(r"\((\d+)\)", label).group(1))
        expect(page.locator(f".dpo-group-{group} .dpo-row")).to_have_count(min(50, found))


def at_once(page: Any, condition: str) -> None:
    """Wait until the JavaScript ``condition`` holds, checked at every frame the page
    draws: Playwright's ``expect`` checks 0.1, 0.25, 0.5 and then every 1 s, which added
    up to half a second to a log-on of about one second."""
    page.wait_for_function(f"() => Boolean({condition})", polling="raf")


def one_session(page: Any, url: str, fields: dict[str, str], warning: bool) -> dict[str, float]:
    """One DPO session; seconds per step."""
    from playwright.sync_api import expect

    out: dict[str, float] = {}
    page.goto(url + "login")
    page.wait_for_timeout(3000)  # the kernel pool refills after the previous session
    page.locator("#username").fill("dpo")
    page.locator("#password").fill("dpo-demo")

    def usable() -> None:
        at_once(page, "document.querySelector('.dpo-criteria-view')?.offsetParent")
        page.get_by_role("button", name="Search", exact=True).click()
        at_once(page, "document.querySelector('.dpo-problem-criteria')"
                      "?.textContent.includes('Enter')")

    out["log-on to usable page"] = _timed(
        lambda: page.get_by_role("button", name="Log on").click(), usable)
    for name, value in fields.items():
        page.locator(f".dpo-field-{name} input").fill(value)
    page.wait_for_timeout(TYPING_MS)  # the DPO types the criteria
    if warning:
        out["search to warning"] = _timed(
            lambda: page.get_by_role("button", name="Search", exact=True).click(),
            lambda: expect(page.locator(".dpo-too-many-view")).to_be_visible())
        out["show anyway to results"] = _timed(
            lambda: page.get_by_role("button", name="Show the results anyway").click(),
            lambda: drawn(page))
        out["search to results"] = out["search to warning"] + out["show anyway to results"]
    else:
        out["search to results"] = _timed(
            lambda: page.get_by_role("button", name="Search", exact=True).click(),
            lambda: drawn(page))
    count = page.locator(".dpo-group-contacts .dpo-group-count")
    group = page.locator(".dpo-group-contacts .dpo-group-check input")
    out["untick a group"] = _timed(lambda: group.click(),
                                   lambda: expect(count).to_contain_text(" 0 of "))
    # Ticked again, so that the report has every item (the switchboard has one group).
    out["tick it again"] = _timed(lambda: group.click(),
                                  lambda: expect(count).not_to_contain_text(" 0 of "))
    out["create a report"] = _timed(
        lambda: page.get_by_role("button", name="Create Report").click(),
        lambda: expect(page.locator("a.dpo-download-csv")).to_be_visible())
    found = page.locator(".dpo-summary").inner_text()
    out["items"] = float(found.split(" item")[0].strip().replace(",", ""))
    page.locator("button.dpo-logoff").click()
    page.wait_for_url("**/login**")
    return out


def measure(url: str, runs: int) -> dict[str, dict[str, Any]]:
    """Every search, ``runs`` sessions each: the times of each step."""
    from playwright.sync_api import expect, sync_playwright

    results: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(300_000)
            expect.set_options(timeout=300_000)
            one_session(page, url, SEARCHES[0][1], SEARCHES[0][2])  # the browser's cache
            for label, fields, warning in SEARCHES:
                times: dict[str, list[float]] = {}
                for run in range(runs):
                    got = one_session(page, url, fields, warning)
                    for step, seconds in got.items():
                        times.setdefault(step, []).append(seconds)
                    print(f"  {label} run {run + 1}: " + ", ".join(
                        f"{k} {v:.2f}" for k, v in got.items() if k != "items"), flush=True)
                items = int(times.pop("items")[0])
                results[label] = {"items": items,
                                  "median_s": {k: round(statistics.median(v), 2)
                                               for k, v in times.items()},
                                  "runs_s": {k: [round(x, 2) for x in v]
                                             for k, v in times.items()}}
        finally:
            browser.close()
    return results


def _machine() -> str:
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, 1-minute load average {load:.1f} at the end"


def markdown(results: dict[str, dict[str, Any]], size: str, runs: int, started: str,
             machine: str) -> str:
    steps = ["log-on to usable page", "search to results", "untick a group",
             "tick it again", "create a report"]
    lines = [SECTION, "",
             f"`.venv/bin/python -m bench.dashboard --size {size} --runs {runs} --write` "
             f"(started {started} UTC): a SQLite demo installation of "
             f"{parse_size(size):,} contact events with the workbench's indexes, served by "
             "`python -m dpo_workbench.serve`, driven in Debian's headless chromium by "
             f"Playwright; medians of {runs} sessions (after one session that fills the "
             "browser's cache), seconds from the click to what the DPO waits for:", "",
             "| subject | items | " + " | ".join(steps) + " |",
             "| --- | ---: | " + " | ".join("---:" for _ in steps) + " |"]
    for label, r in results.items():
        med = r["median_s"]
        search = f"{med['search to results']:.2f}"
        if "search to warning" in med:
            search += (f" ({med['search to warning']:.2f} to the warning + "
                       f"{med['show anyway to results']:.2f} after *Show the results anyway*)")
        lines.append(f"| {label} | {r['items']:,} | {med['log-on to usable page']:.2f} | "
                     f"{search} | {med['untick a group']:.2f} | "
                     f"{med['tick it again']:.2f} | {med['create a report']:.2f} |")
    lines += ["",
              "- log-on: from pressing *Log on* to the criteria form answering a click "
              "(a warm kernel from the pool; the form and the answer are seen at the "
              "page's next frame);",
              f"- search: from pressing *Search* ({TYPING_MS / 1000:g} s after the criteria "
              "were filled in: the time a DPO types them, while the kernel makes the "
              "results' widgets ahead) to every group's first page of rows in the page "
              "(with the summary chart above them);",
              "- untick a group: from the click on the Contacts group's checkbox to its "
              "count saying 0 selected; tick it again: the same click back to all ticked;",
              "- create a report: from pressing *Create Report* to the link to save the CSV "
              "(every item read again with its details, in the kernel).",
              "", f"Machine: {machine}, shared with other work: the figures vary "
              "from run to run by a factor of two. Every run's figures are in "
              "`RESULTS-dashboard.json`.", ""]
    return "\n".join(lines)


def write(results: dict[str, dict[str, Any]], text: str, size: str) -> None:
    md = HERE / "RESULTS.md"
    old = md.read_text(encoding="utf-8") if md.exists() else ""
    if SECTION in old:  # a new measurement replaces the old section (it is the last one)
        old = old[:old.index(SECTION)].rstrip("\n") + "\n"
    md.write_text(old.rstrip("\n") + "\n\n" + text, encoding="utf-8")
    # Every run's figures beside it (RESULTS.json is the main benchmark's own file).
    runs = HERE / "RESULTS-dashboard.json"
    runs.write_text(json.dumps({"size": size, "results": results}, indent=2) + "\n",
                    encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", default="1m", help="contact events (default 1m)")
    p.add_argument("--runs", type=int, default=5, help="sessions per search (default 5)")
    p.add_argument("--work", type=Path, default=HERE / "work",
                   help="where the installation is built or reused (default bench/work)")
    p.add_argument("--write", action="store_true",
                   help="append the figures to bench/RESULTS.md and RESULTS.json")
    args = p.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    args.work.mkdir(parents=True, exist_ok=True)
    settings = installation(args.size, args.work)
    print(f"installation: {settings.parent} ({size_label(parse_size(args.size))})", flush=True)
    with serving(settings) as url:
        results = measure(url, args.runs)
    text = markdown(results, args.size, args.runs, started, _machine())
    print(text)
    if args.write:
        write(results, text, args.size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
