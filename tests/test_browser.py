"""The DPO dashboard in headless Chromium, served by ``python -m dpo_workbench.serve``.

One session of a DPO, from log-on to a verified erasure, on a freshly built demo
installation. Needs Debian's ``chromium`` (``/usr/bin/chromium``); skipped without it.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import demo_installation

from dpo_workbench.demo.samples import AINO

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshot-results.png"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(url: str, proc: subprocess.Popen[bytes], log: Path,
                       timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server stopped:\n{log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(url + "voila/static/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the server did not answer in {timeout} s:\n{log.read_text(encoding='utf-8')}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A fresh demo installation served on a free port; Jupyter's folders in tmp."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("DPO_REQUIRE_BROWSER"):
            pytest.fail(f"{reason}; DPO_REQUIRE_BROWSER is set")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("browser")
    with demo_installation(folder / "demo") as settings:
        port = free_port()
        tmp = folder / "tmp"
        tmp.mkdir()
        env = dict(os.environ, TMPDIR=str(tmp))  # serve's private Jupyter folders go here
        log = folder / "serve.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "dpo_workbench.serve", "--config", str(settings),
                 "--port", str(port), "--log-file", str(folder / "dashboard.log")],
                stdout=out, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_until_serving(url, proc, log)
            yield url, folder
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        assert "Demo logins: dpo / dpo-demo" in log.read_text(encoding="utf-8")


def refs_shown(page: object, selector: str = ".dpo-open") -> set[str]:
    """The items of the rows shown (the ``>`` buttons' tooltips name them)."""
    titles = page.locator(selector).evaluate_all(  # type: ignore[attr-defined]
        "els => els.map(e => e.getAttribute('title'))")
    return {t.removeprefix("Open the details of ") for t in titles if t}


def test_static_file_route_serves_nothing(served: tuple[str, Path]) -> None:
    url, _ = served
    for path in ("voila/files/dpo_dashboard.ipynb", "voila/files/nbval_sanitize.cfg"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(url + path, timeout=10)
        assert exc.value.code in (403, 404)


def test_a_dpo_session(served: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, folder = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 1000},
                                          accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(30_000)
            expect.set_options(timeout=30_000)
            page.goto(url)
            page.locator(".dpo-username input").wait_for(timeout=120_000)
            status = page.locator(".dpo-status")

            def log_on(user: str, password: str) -> None:
                page.locator(".dpo-username input").fill(user)
                page.locator(".dpo-password input").fill(password)
                page.get_by_role("button", name="Log on").click()

            # A wrong password and a user without the DPO right are refused.
            log_on("dpo", "wrong")
            expect(status).to_contain_text("The user name or the password is not right.")
            page.wait_for_timeout(1200)  # the delay after one failure in this session
            log_on("agent", "agent-demo")
            expect(status).to_contain_text("not allowed to use the DPO workbench")
            log_on("dpo", "dpo-demo")
            expect(page.locator(".dpo-criteria-view")).to_be_visible()
            expect(page.locator(".dpo-user")).to_contain_text("Demo DPO")

            # Search a sample subject: four groups.
            page.locator(".dpo-field-phone input").fill(AINO.phone)
            page.locator(".dpo-field-email input").fill(AINO.email)
            page.get_by_role("button", name="Search").click()
            expect(page.locator(".dpo-results-view")).to_be_visible()
            groups = page.locator(".dpo-group-check")
            expect(groups).to_have_count(4)
            expect(groups.nth(0)).to_contain_text("Contacts (13)")
            expect(groups.nth(1)).to_contain_text("Directory Entries (1)")
            expect(groups.nth(2)).to_contain_text("Outbound Campaign Customers (2)")
            expect(groups.nth(3)).to_contain_text("Customer Consents (3)")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            # Voila scrolls inside the page: a tall window shows all four groups.
            page.set_viewport_size({"width": 1500, "height": 1350})
            page.screenshot(path=str(SCREENSHOT))
            page.set_viewport_size({"width": 1500, "height": 1000})
            found_before = refs_shown(page)
            consents = refs_shown(page, ".dpo-group-consents .dpo-open")
            assert len(found_before) == 19 and len(consents) == 3

            # The e-mail with markup in its subject and body: shown as text, runs nothing.
            email_row = page.locator(".dpo-row", has_text="<b>Re: order</b>")
            expect(email_row).to_have_count(1)
            email_ref = email_row.locator(".dpo-open").get_attribute("title").removeprefix(
                "Open the details of ")
            email_row.locator(".dpo-open").click()
            body = page.locator(".dpo-details-body")
            expect(body).to_contain_text('<img src=x onerror="window.__xss=1">')
            expect(body).to_contain_text("<script>window.__xss=2</script>")
            expect(body).to_contain_text("<b>Re: order</b>")
            assert page.evaluate("typeof window.__xss") == "undefined"
            assert body.locator("img, script, b").count() == 0
            page.locator(".dpo-back-details").click()
            expect(page.locator(".dpo-results-view")).to_be_visible()

            # Untick one row and one whole group.
            first = page.locator(".dpo-group-contacts .dpo-row").first
            unticked = first.locator(".dpo-open").get_attribute("title").removeprefix(
                "Open the details of ")
            assert unticked != email_ref
            first.locator(".dpo-row-check input").uncheck()
            expect(page.locator(".dpo-group-contacts .dpo-group-count")).to_contain_text(
                "12 of 13 selected")
            page.locator(".dpo-group-consents .dpo-group-check input").uncheck()
            expect(page.locator(".dpo-group-consents .dpo-group-count")).to_contain_text(
                "0 of 3 selected")

            # The report: the unticked items are absent.
            page.get_by_role("button", name="Create Report").click()
            link = page.locator("a.dpo-download-csv")
            expect(link).to_be_visible()
            with page.expect_download() as download:
                link.click()
            path = download.value.path()
            report = Path(path).read_text(encoding="utf-8-sig")
            items = {r["item"] for r in csv.DictReader(io.StringIO(report)) if r["item"]}
            assert items == found_before - {unticked} - consents
            assert email_ref in items

            # Delete: a wrong confirmation does nothing; the token erases.
            page.get_by_role("button", name="Delete...").click()
            expect(page.locator(".dpo-erase-view")).to_be_visible()
            expect(page.locator(".dpo-plan")).to_contain_text("Erase 15 selected item(s)")
            token = page.locator(".dpo-token").inner_text().strip()
            page.locator(".dpo-confirm input").fill("DELETE")
            page.get_by_role("button", name="Delete now").click()
            expect(status).to_contain_text("does not match")
            page.locator(".dpo-confirm input").fill(token)
            page.get_by_role("button", name="Delete now").click()
            expect(page.locator(".dpo-receipt")).to_contain_text("verified", timeout=90_000)
            expect(status).to_contain_text("Erased and verified. Searched again: 4 items")
            assert refs_shown(page) == {unticked} | consents

            # Search again from the form: nothing of the deleted items.
            page.locator(".dpo-back").click()
            expect(page.locator(".dpo-criteria-view")).to_be_visible()
            page.get_by_role("button", name="Search").click()
            expect(page.locator(".dpo-results-view")).to_be_visible()
            expect(groups.nth(0)).to_contain_text("Contacts (1)")
            assert refs_shown(page) == {unticked} | consents

            page.get_by_role("button", name="Log off").click()
            expect(page.locator(".dpo-logon-view")).to_be_visible()
        finally:
            browser.close()
    # No traceback or personal data went to the log file.
    log = folder / "dashboard.log"
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    assert AINO.email not in text and "Traceback" not in text
