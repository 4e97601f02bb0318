"""The results page as a DPO sees it, in headless Chromium (issue 11, "for a DPO").

Each test names what it found missing before: headers that did not line up, cut
columns at 1024 px, no sort or filter, a pager at the bottom only, a partly ticked
group that looked unticked, items left out of an erasure that came back ticked,
database names instead of labels, "Nothing found" four times, Enter that did not
search, a tab titled "dpo_dashboard", a player that said "Playing" before it played.
The server is the real one (:mod:`webserver`), on a fresh demo installation.

With ``DPO_SCREENSHOTS=1`` the tests also write the screenshots of
``docs/dashboard.md`` (results at 1400 and 1024 px, details, plan, receipt).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import demo_installation
from webserver import CHROMIUM, CHROMIUM_ARGS, Server, require_chromium, running_server

from dpo_workbench.demo.samples import AINO, SOREN, SWITCHBOARD
from dpo_workbench.serve import Options

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCREENSHOTS = bool(os.environ.get("DPO_SCREENSHOTS"))
GROUPS = ("contacts", "directory_entries", "campaign_customers", "consents")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    require_chromium()
    folder = tmp_path_factory.mktemp("results")
    with demo_installation(folder / "demo") as settings, \
            running_server(settings, folder / "serve",
                           options=Options(max_kernels_per_user=4)) as srv:
        yield srv, settings


@contextmanager
def dashboard(server: tuple[Server, Path], width: int = 1400) -> Iterator[Any]:
    """A logged-on dashboard page of the given width (logged off afterwards)."""
    from playwright.sync_api import expect, sync_playwright

    srv, _ = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": width, "height": 900},
                                       accept_downloads=True).new_page()
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)
            page.goto(srv.url)
            page.locator("#username").fill("dpo")
            page.locator("#password").fill("dpo-demo")
            page.get_by_role("button", name="Log on").click()
            expect(page.locator(".dpo-criteria-view")).to_be_visible(timeout=120_000)
            yield page
            logoff = page.locator("button.dpo-logoff")
            if logoff.count() and logoff.is_visible():
                logoff.click()
                page.wait_for_url(re.compile(r"/login"))
        finally:
            browser.close()


def search(page: Any, phone: str = "", email: str = "", *, anyway: bool = False) -> None:
    from playwright.sync_api import expect

    page.locator(".dpo-field-phone input").fill(phone)
    page.locator(".dpo-field-email input").fill(email)
    page.get_by_role("button", name="Search", exact=True).click()
    if anyway:
        page.get_by_role("button", name="Show the results anyway").click()
    expect(page.locator(".dpo-results-view")).to_be_visible()
    expect(page.locator(".dpo-summary")).to_contain_text("found")


def shot(page: Any, name: str, height: int | None = None) -> None:
    """Write docs/<name>.png when DPO_SCREENSHOTS is set (the whole page when tall)."""
    if not SCREENSHOTS:
        return
    if height is not None:
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(400)
    page.screenshot(path=str(DOCS / f"{name}.png"))


def lefts(page: Any, selector: str) -> list[float]:
    return page.locator(selector).evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().left)")


def test_page_title_names_installation(server: tuple[Server, Path]) -> None:
    with dashboard(server) as page:
        assert page.title() == "DPO Workbench \u2014 Demo contact centre"


def test_enter_submits_search(server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    with dashboard(server) as page:
        page.locator(".dpo-field-email input").fill(AINO.email)
        page.locator(".dpo-field-email input").press("Enter")
        expect(page.locator(".dpo-results-view")).to_be_visible()
        expect(page.locator(".dpo-summary")).to_contain_text("items found")


def test_headers_line_up_with_cells(server: tuple[Server, Path]) -> None:
    with dashboard(server) as page:
        search(page, AINO.phone, AINO.email)
        shot(page, "screenshot-results", height=2300)
        for group in GROUPS:
            heads = lefts(page, f".dpo-group-{group} .dpo-sort")
            head_widths = page.locator(f".dpo-group-{group} .dpo-sort").evaluate_all(
                "els => els.map(e => e.getBoundingClientRect().width)")
            assert len(heads) >= 4, group
            rows = page.locator(f".dpo-group-{group} .dpo-row")
            for i in range(rows.count()):
                cells = rows.nth(i).locator(".dpo-cell")
                starts = cells.evaluate_all(
                    "els => els.map(e => e.getBoundingClientRect().left)")
                widths = cells.evaluate_all(
                    "els => els.map(e => e.getBoundingClientRect().width)")
                assert len(starts) == len(heads), group
                for h, c in zip(heads, starts, strict=True):
                    assert abs(h - c) <= 1.0, (group, i, heads, starts)
                for h, c in zip(head_widths, widths, strict=True):
                    assert abs(h - c) <= 1.0, (group, i, head_widths, widths)


def _cut(page: Any) -> list[str]:
    """Visible buttons and headers whose text does not fit (cut or ellipsised)."""
    return page.evaluate("""() => [...document.querySelectorAll(
            '.dpo-app button, .dpo-sort, .dpo-group-check label')]
        .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.textContent.trim())""")


def test_table_readable_at_1024px(server: tuple[Server, Path]) -> None:
    with dashboard(server, width=1024) as page:
        search(page, AINO.phone, AINO.email)
        shot(page, "screenshot-results-1024", height=2400)
        assert _cut(page) == []
        width = page.evaluate("document.documentElement.clientWidth")
        for group in GROUPS:
            table = page.locator(f".dpo-group-{group} .dpo-table")
            box = table.bounding_box()
            scrolls = table.evaluate("e => e.scrollWidth > e.clientWidth + 1")
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, group
            last = page.locator(f".dpo-group-{group} .dpo-sort").last
            if scrolls:  # scrolls sideways inside its group: the last column can be reached
                assert table.evaluate("e => getComputedStyle(e).overflowX") in ("auto", "scroll")
                table.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
            right = last.bounding_box()
            assert right["x"] + right["width"] <= width + 1, group
        # The details button has room for its label.
        details = page.locator(".dpo-open").first
        assert details.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        assert details.inner_text().strip() == "Details"


def _column(page: Any, group: str, index: int) -> list[str]:
    rows = page.locator(f".dpo-group-{group} .dpo-row")
    return [rows.nth(i).locator(".dpo-cell").nth(index).inner_text()
            for i in range(rows.count())]


def _settled_column(page: Any, group: str, index: int, expected: list[str],
                    seconds: float = 15.0) -> list[str]:
    """The column once the page has drawn every row of a re-sorted page (the rows' cells
    arrive one widget update at a time), or as it is when ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        seen = _column(page, group, index)
        if seen == expected or time.monotonic() > deadline:
            return seen
        page.wait_for_timeout(100)


def test_sort_and_filter_a_group(server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    with dashboard(server) as page:
        search(page, AINO.phone, AINO.email)
        started = page.locator(".dpo-group-contacts .dpo-sort").first
        first = page.locator(".dpo-group-contacts .dpo-row").first.locator(".dpo-cell")
        expect(started).to_have_text("Started")
        times = _column(page, "contacts", 0)
        assert len(times) == 13 and times != sorted(times)  # newest first, as searched
        started.click()
        expect(started).to_have_text("Started \u25b2")
        expect(first.first).to_have_text(min(times))
        assert _settled_column(page, "contacts", 0, sorted(times)) == sorted(times)
        started.click()
        expect(started).to_have_text("Started \u25bc")
        expect(first.first).to_have_text(max(times))
        newest_first = sorted(times, reverse=True)
        assert _settled_column(page, "contacts", 0, newest_first) == newest_first
        channel = page.locator(".dpo-group-contacts .dpo-sort").nth(1)
        channels = _column(page, "contacts", 1)
        channel.click()
        expect(channel).to_have_text("Channel \u25b2")
        expect(started).to_have_text("Started")
        expect(first.nth(1)).to_have_text(min(channels))
        assert _settled_column(page, "contacts", 1, sorted(channels)) == sorted(channels)

        box = page.locator(".dpo-group-contacts .dpo-filter input")
        box.fill("SMS")
        box.press("Enter")
        expect(page.locator(".dpo-group-contacts .dpo-pager-top .dpo-page-label")
               ).to_be_hidden()
        rows = page.locator(".dpo-group-contacts .dpo-row")
        expect(rows).to_have_count(2)
        for i in range(rows.count()):
            assert "sms" in rows.nth(i).inner_text().lower()
        # Filtering one group leaves the others as they were.
        expect(page.locator(".dpo-group-consents .dpo-row")).to_have_count(3)
        box.fill("")
        box.press("Enter")
        expect(rows).to_have_count(13)


def test_pager_at_top_and_bottom(server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    with dashboard(server) as page:
        search(page, SWITCHBOARD.phone, anyway=True)
        top = page.locator(".dpo-group-contacts .dpo-pager-top")
        bottom = page.locator(".dpo-group-contacts .dpo-pager-bottom")
        expect(top).to_be_visible()
        expect(bottom).to_be_visible()
        expect(top.locator(".dpo-page-label")).to_contain_text("rows 1\u201350 of")
        expect(bottom.locator(".dpo-page-label")).to_contain_text("rows 1\u201350 of")
        # The top pager is above the first row, the bottom one below the last.
        rows = page.locator(".dpo-group-contacts .dpo-row")
        expect(rows).to_have_count(50)
        assert top.bounding_box()["y"] < rows.first.bounding_box()["y"]
        assert bottom.bounding_box()["y"] > rows.last.bounding_box()["y"]
        bottom.get_by_role("button", name="Next page").click()
        expect(top.locator(".dpo-page-label")).to_contain_text("rows 51\u2013100 of")
        top.get_by_role("button", name="Previous page").click()
        expect(bottom.locator(".dpo-page-label")).to_contain_text("rows 1\u201350 of")


def test_group_checkbox_shows_partly_ticked(server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    with dashboard(server) as page:
        search(page, AINO.phone, AINO.email)
        group = page.locator(".dpo-group-contacts .dpo-group-check")
        box = group.locator("input")
        count = page.locator(".dpo-group-contacts .dpo-group-count")
        untouched = box.evaluate("e => getComputedStyle(e).backgroundImage")
        page.locator(".dpo-group-contacts .dpo-row-check input").first.uncheck()
        expect(count).to_contain_text("12 of 13 selected")
        expect(group).to_have_class(re.compile(r"\bdpo-partly\b"))
        # Drawn as partly ticked (a dash), neither as ticked nor as unticked.
        dash = box.evaluate("e => getComputedStyle(e).backgroundImage")
        assert "gradient" in dash and dash != untouched
        box.click()  # a click on a partly ticked group unticks all of it
        expect(count).to_contain_text("0 of 13 selected")
        expect(group).not_to_have_class(re.compile(r"\bdpo-partly\b"))
        expect(box).not_to_be_checked()
        box.click()
        expect(count).to_contain_text("13 of 13 selected")
        expect(box).to_be_checked()


def test_items_left_after_erasure_are_unticked_with_a_note(
        server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    with dashboard(server) as page:
        search(page, SOREN.phone, SOREN.email)
        consents = page.locator(".dpo-group-consents")
        left_out = consents.locator(".dpo-row").count()
        assert left_out > 0
        consents.locator(".dpo-group-check input").uncheck()
        page.get_by_role("button", name="Delete...").click()
        expect(page.locator(".dpo-erase-view")).to_be_visible()
        shot(page, "screenshot-plan", height=1100)
        token = page.locator(".dpo-token").inner_text().strip()
        page.locator(".dpo-confirm input").fill(token)
        page.get_by_role("button", name="Delete now").click()
        expect(page.locator(".dpo-receipt")).to_contain_text("verified", timeout=120_000)
        shot(page, "screenshot-receipt", height=1300)
        expect(consents.locator(".dpo-row")).to_have_count(left_out)
        checks = page.locator(".dpo-row-check input")
        for i in range(checks.count()):
            expect(checks.nth(i)).not_to_be_checked()
        expect(page.locator(".dpo-selection-note")).to_contain_text(
            f"{left_out} items you left out of the erasure")
        expect(page.locator(".dpo-selection-note")).to_contain_text("unticked")
        expect(page.get_by_role("button", name="Delete...")).to_be_disabled()


def test_nothing_found_shown_once_with_actions_disabled(server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    with dashboard(server) as page:
        search(page, email="nobody.at.all@example.org")
        expect(page.locator(".dpo-nothing-found")).to_contain_text("Nothing found for")
        assert page.locator("body").inner_text().count("Nothing found") == 1
        for name in ("Create Report", "Report with attachments (zip)", "Delete..."):
            expect(page.get_by_role("button", name=name)).to_be_disabled()


def test_results_show_labels_not_column_names(server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    technical = ("remote_number", "remote_address", "operative.", "monitoring1.",
                 "contact_events", "photo_file", "started_at")
    with dashboard(server) as page:
        search(page, AINO.phone, AINO.email)
        heads = page.locator(".dpo-group-contacts .dpo-sort").all_inner_texts()
        assert heads[:4] == ["Started", "Channel", "Direction", "Phone number"]
        assert "Copies in" in heads and "Matched by" in heads
        text = page.locator(".dpo-results-view").inner_text()
        assert "Contact (monitoring copy)" in text
        assert not [t for t in technical if t in text]
        page.locator(".dpo-group-directory_entries .dpo-open").first.click()
        body = page.locator(".dpo-details-view")
        expect(body).to_contain_text("Directory entry")
        shot(page, "screenshot-details", height=1100)
        text = body.inner_text()
        assert "Photo" in text and "Work e-mail" in text
        assert not [t for t in ("photo_file", "email_work", "directory.") if t in text]


def test_technical_details_toggle(server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    with dashboard(server) as page:
        search(page, AINO.phone, AINO.email)
        toggle = page.locator(".dpo-technical input")
        expect(toggle).not_to_be_checked()
        view = page.locator(".dpo-results-view")
        expect(view).not_to_contain_text("operative.contact_events#")
        toggle.check()
        expect(view).to_contain_text("operative.contact_events#")
        expect(view).to_contain_text("monitoring1.contact_events")
        expect(page.locator(".dpo-group-contacts .dpo-sort").nth(3)).to_have_text(
            "Phone number (remote_number)")
        page.locator(".dpo-group-contacts .dpo-open").first.click()
        expect(page.locator(".dpo-details-body")).to_contain_text("(remote_number)")
        page.locator(".dpo-back-details").click()
        toggle.uncheck()
        expect(view).not_to_contain_text("operative.contact_events#")


def test_summary_chart_counts_per_table(server: tuple[Server, Path]) -> None:
    import dpo_workbench as dw
    from dpo_workbench.ui.labels import Labels
    from dpo_workbench.ui.summary import where_counts

    _, settings = server
    with dw.open_workbench(settings) as wb:
        result = wb.search(phone=AINO.phone, email=AINO.email)
        groups, tables = where_counts(result)
        labels = Labels(wb.installation.datamap)
        expected = {labels.table(db, t): n for (db, t), n in tables.items()}
    with dashboard(server) as page:
        search(page, AINO.phone, AINO.email)
        chart = page.locator(".dpo-where-chart")
        shown = {}
        for part in ("groups", "tables"):
            bars = chart.locator(f".dpo-bars-{part}")
            names = bars.locator(".dpo-bar-label").all_inner_texts()
            counts = [int(c.replace(",", "")) for c in
                      bars.locator(".dpo-bar-count").all_inner_texts()]
            shown[part] = dict(zip(names, counts, strict=True))
            widths = bars.locator(".dpo-bar").evaluate_all(
                "els => els.map(e => e.getBoundingClientRect().width)")
            # The longest bar is the largest count; bars grow with their counts.
            order = sorted(range(len(counts)), key=lambda i: counts[i])
            assert [widths[i] for i in order] == sorted(widths)
        assert shown["groups"] == {g.title: n for g, n in groups.items()}
        assert shown["tables"] == expected
        assert expected["Contact (monitoring copy)"] > 0


def test_player_says_playing_only_when_it_plays(server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    with dashboard(server) as page:
        search(page, AINO.phone, AINO.email)
        opens = page.locator(".dpo-group-contacts .dpo-open")
        for i in range(opens.count()):
            opens.nth(i).click()
            expect(page.locator(".dpo-details-view")).to_be_visible()
            if page.get_by_role("button", name="Listen").count():
                break
            page.locator(".dpo-back-details").click()
        page.get_by_role("button", name="Listen").first.click()
        text = page.locator(".dpo-player-text")
        expect(text).to_contain_text("Ready: Recording of the contact")
        expect(text).not_to_contain_text("Playing")
        audio = page.locator("audio.dpo-audio")
        assert audio.evaluate("e => e.paused")
        page.get_by_role("button", name="Play", exact=True).click()
        expect(text).to_contain_text(re.compile(r"Playing Recording of the contact \(\d+:\d\d\)"))
        page.wait_for_function("() => { const a = document.querySelector('audio.dpo-audio');"
                               " return a && !a.paused && a.currentTime > 0; }")
        page.get_by_role("button", name="Stop").click()
        expect(text).to_contain_text("Ready:")


def test_messages_beside_their_control_once(server: tuple[Server, Path]) -> None:
    from playwright.sync_api import expect

    with dashboard(server) as page:
        page.locator(".dpo-field-phone input").fill("12")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.locator(".dpo-problem-phone")).to_contain_text("at least 3 digits")
        assert page.locator("body").inner_text().count("at least 3 digits") == 1
        search(page, AINO.phone, AINO.email)
        page.get_by_role("button", name="Create Report").click()
        toolbar_slot = page.locator(".dpo-results-view .dpo-message-slot .dpo-status")
        expect(toolbar_slot).to_contain_text("The report is ready")
        page.get_by_role("button", name="Delete...").click()
        page.locator(".dpo-confirm input").fill("WRONG")
        page.get_by_role("button", name="Delete now").click()
        beside = page.locator(".dpo-erase-view .dpo-message-slot .dpo-status")
        expect(beside).to_contain_text("does not match")
        assert page.locator("body").inner_text().count("does not match") == 1
