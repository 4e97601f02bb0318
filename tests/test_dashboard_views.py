"""The dashboard's widgets, driven from Python with ``Button.click()`` and widget values.

The same events a browser sends (a click, a changed value) are made here; events a
crafted comm message could send (clicking a hidden or disabled button) too.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import ipywidgets as w
import pytest
from conftest import demo_installation
from fixed_install import EMAIL, PHONE, build_fixed_install, wav_file
from test_auth import Clock, add_users

from dpo_workbench.datamap import Group
from dpo_workbench.demo.samples import AINO, SWITCHBOARD
from dpo_workbench.errors import ActionRefused
from dpo_workbench.ui.app import Dashboard, build_dashboard
from dpo_workbench.ui.model import DashboardState


@pytest.fixture
def install(tmp_path: Path) -> Path:
    settings = build_fixed_install(tmp_path / "install")
    add_users(settings)
    return settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A read-only demo installation (the sample subjects, 2,500 events)."""
    with demo_installation(tmp_path_factory.mktemp("demo")) as settings:
        yield settings


def app_for(settings: Path, clock: Clock | None = None) -> Dashboard:
    return Dashboard(DashboardState(settings, clock=clock or Clock()))


def log_on(app: Dashboard, user: str = "dpo") -> None:
    """What the served notebook does with the user the web server logged on."""
    app.state.begin(user)


def search(app: Dashboard, **fields: str) -> None:
    app.criteria.on_clear()
    for name, value in fields.items():
        app.criteria.fields[name].value = value
    app.criteria.search.click()


def shown(app: Dashboard) -> w.Widget:
    return app.body.children[0]


def all_buttons(widget: w.Widget) -> Iterator[w.Button]:
    if isinstance(widget, w.Button):
        yield widget
    for child in getattr(widget, "children", ()):
        yield from all_buttons(child)


def link_bytes(html_value: str) -> tuple[str, bytes]:
    m = re.search(r'download="([^"]+)" href="data:application/octet-stream;base64,([^"]+)"',
                  html_value)
    assert m, html_value
    return m.group(1), base64.b64decode(m.group(2))


def test_the_ended_view_and_the_header(install: Path) -> None:
    app = app_for(install)
    assert shown(app) is app.ended.widget and app.who.value == ""
    assert not any(b.description == "Log off" for b in all_buttons(app.widget))  # the page's
    log_on(app)
    assert shown(app) is app.criteria.widget and "Demo DPO" in app.who.value
    app.state.log_off("idle")
    assert shown(app) is app.ended.widget and app.who.value == ""


def test_an_invalid_date_gives_a_message_not_an_exception(install: Path) -> None:
    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE, start="2025-02-30", end="2025-01-01x")
    assert "not a date" in app.criteria.problems["start"].value
    assert "not a date" in app.criteria.problems["end"].value
    assert app.criteria.problems["phone"].value == ""
    assert shown(app) is app.criteria.widget and app.state.result is None
    search(app, phone=PHONE)
    assert app.criteria.problems["start"].value == ""
    assert shown(app) is app.results.widget


def test_nobody_logged_on_can_do_nothing_with_any_button(install: Path) -> None:
    """A crafted comm message can click any button, even hidden or disabled ones."""
    app = app_for(install)
    with pytest.raises(ActionRefused):
        log_on(app, "agent")  # refused: no DPO right
    app.erase.confirm.value = "ABCD-EFGH-JKLM"
    for view in app.views.values():
        for b in all_buttons(view.widget):
            app.state.say("")
            b.click()
            # Refused, or harmless without a session (Clear empties the form).
            assert app.state.status in ("Log on first.", ""), b.description
            assert not app.state.logged_on and app.state.result is None
    app.results.groups[Group.CONTACTS].group_check.value = False
    assert app.state.selection is None
    assert shown(app) is app.ended.widget


def test_results_details_report_and_delete(install: Path) -> None:
    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE, email=EMAIL)
    assert shown(app) is app.results.widget
    tables = app.results.groups
    assert [t.group_check.description for t in tables.values()] == [
        "Contacts (2)", "Directory Entries (1)", "Outbound Campaign Customers (1)",
        "Customer Consents (2)"]
    assert all(t.group_check.value for t in tables.values())
    contacts = tables[Group.CONTACTS]
    assert len(contacts.rows_box.children) == 2 and contacts.pager.layout.display == "none"

    # Details of the e-mail: markup in its body is text.
    email_row = next(r for r in contacts.pool if r.ref.key == 102)
    email_row.open.click()
    assert shown(app) is app.details.widget
    body = app.details.body.value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script" not in body
    assert "=SUM(A1)" in body
    app.details.back.click()
    assert shown(app) is app.results.widget

    # Untick the call and the consents group.
    call_row = next(r for r in contacts.pool if r.ref.key == 101)
    call_row.check.value = False
    tables[Group.CONSENTS].group_check.value = False
    assert contacts.count.value.strip().startswith("&nbsp;1 of 2")
    assert not any(r.check.value for r in tables[Group.CONSENTS].pool)
    # Some of the group are unticked: its checkbox shows it partly ticked.
    assert "dpo-partly" in contacts.group_check._dom_classes

    app.results.report_csv.click()
    name, data = link_bytes(app.results.download.value)
    items = {row["item"] for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
             if row["item"]}
    assert items == {"operative.contact_events#102", "directory.directory_entries#11",
                     "outbound.campaign_customers#21"}
    # A change of selection withdraws the link of the old report.
    call_row.check.value = True
    assert app.results.download.value == ""
    call_row.check.value = False

    app.results.delete.click()
    assert shown(app) is app.erase.widget
    plan = app.state.plan
    assert plan.token in app.erase.plan.value and "customer_consents" not in app.erase.plan.value
    assert "Erase 3 selected item(s)" in app.erase.plan.value
    app.erase.run.click()  # no confirmation typed: nothing happens
    assert app.state.plan is plan and "does not match" in app.status.value
    app.erase.confirm.value = "DELETE"
    app.erase.run.click()  # a wrong confirmation: nothing happens
    assert app.state.plan is plan and app.state.result.total == 6
    app.erase.confirm.value = plan.token
    app.erase.run.click()
    assert shown(app) is app.results.widget
    assert "verified" in app.results.receipt.value
    # Searched again: only what was left unticked is still found.
    assert {str(r) for r in app.state.result.refs()} == {
        "operative.contact_events#101", "operative.customer_consents#501",
        "operative.customer_consents#502"}


def test_cancel_disarms(install: Path) -> None:
    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE)
    app.results.delete.click()
    token = app.state.plan.token
    app.erase.cancel.click()
    assert app.state.plan is None and shown(app) is app.results.widget
    app.erase.confirm.value = token
    app.erase.run.click()  # the hidden button, clicked anyway
    assert "No erasure is prepared" in app.status.value
    assert app.state.result.total == 5


def test_files_listen_show_download(install: Path) -> None:
    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE, email=EMAIL)
    rows = app.results.groups[Group.CONTACTS].pool
    next(r for r in rows if r.ref.key == 101).open.click()
    listen = next(b for b in all_buttons(app.details.files) if b.description == "Listen")
    listen.click()
    player = app.details.player.children[0]
    text, audio = player.children[0].children[2], player.children[1]
    # Nothing plays yet, and the player says so; Play plays, and only then says it.
    assert isinstance(audio, w.Audio) and bytes(audio.value) == b""
    assert "Ready: Recording of the contact" in text.value and "Playing" not in text.value
    next(b for b in all_buttons(player) if b.description == "Play").click()
    assert bytes(audio.value) == wav_file() and audio.autoplay
    assert "Playing Recording of the contact" in text.value
    assert re.search(r"\(\d+:\d\d\)", text.value)  # the recording's length
    next(b for b in all_buttons(player) if b.description == "Stop").click()
    assert bytes(audio.value) == b"" and "Ready:" in text.value
    download = next(b for b in all_buttons(app.details.files) if b.description == "Download")
    download.click()
    name, data = link_bytes(app.details.player.children[0].value)
    assert (name, data) == ("101.wav", wav_file())
    app.details.back.click()
    app.results.groups[Group.DIRECTORY_ENTRIES].pool[0].open.click()
    show = next(b for b in all_buttons(app.details.files) if b.description == "Show")
    show.click()
    image = app.details.player.children[0].children[1]
    assert isinstance(image, w.Image) and bytes(image.value).startswith(b"\x89PNG")


def test_the_idle_timeout_logs_off_the_page(install: Path) -> None:
    clock = Clock()
    app = app_for(install, clock)
    log_on(app)
    search(app, phone=PHONE)
    clock.advance(16 * 60)
    app.results.report_csv.click()
    assert shown(app) is app.ended.widget
    assert "without activity" in app.status.value and app.results.download.value == ""
    assert not app.start_idle_timer()  # no event loop here: the guard does the work


def test_an_unexpected_error_shows_no_details(install: Path, caplog: pytest.LogCaptureFixture,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    app = app_for(install)
    log_on(app)

    def broken(*_a: object, **_k: object) -> None:
        raise ValueError(f"row with {EMAIL} is broken")

    monkeypatch.setattr(app.state._wb, "search", broken)
    with caplog.at_level(logging.ERROR, logger="dpo_workbench.ui"):
        search(app, phone=PHONE)
    assert "Something went wrong (ValueError)" in app.status.value
    assert EMAIL not in app.status.value and EMAIL not in caplog.text
    assert "ValueError" in caplog.text


def test_a_wrong_settings_file_shows_a_message(tmp_path: Path) -> None:
    widget = build_dashboard(tmp_path / "missing.yaml", protect=False, idle_timer=False)
    assert isinstance(widget, w.HTML) and "does not exist" in widget.value


def test_many_items_page_on_the_server(demo: Path) -> None:
    """The switchboard number has more than 1000 contact events."""
    app = app_for(demo)
    log_on(app)
    search(app, phone=SWITCHBOARD.phone)
    assert shown(app) is app.too_many.widget
    assert "narrow" in app.too_many.message.value.lower() or "Narrow" in app.too_many.message.value
    app.too_many.back.click()
    assert shown(app) is app.criteria.widget and app.state.result is None
    app.criteria.search.click()
    app.too_many.go_on.click()
    assert shown(app) is app.results.widget
    contacts = app.results.groups[Group.CONTACTS]
    total = app.state.result.total
    assert total > 1000
    assert len(contacts.rows_box.children) == 50 and len(contacts.pool) == 50
    assert f"of {total}" in contacts.page_label.value
    first_page = [r.ref for r in contacts.pool]
    contacts.next.click()
    assert "rows 51" in contacts.page_label.value
    second_page = [r.ref for r in contacts.pool]
    assert not set(first_page) & set(second_page)
    contacts.pool[0].check.value = False
    assert not app.state.selection.is_selected(second_page[0])
    assert app.state.selection.counts()["contacts"] == (total - 1, total)
    contacts.prev.click()
    assert all(r.check.value for r in contacts.pool)
    for _ in range(total // 50 + 3):  # past the last page: it stays on the last
        contacts.next.click()
    assert len(contacts.rows_box.children) == total - (total // 50) * 50 or total % 50 == 0
    assert len(contacts.pool) == 50  # the same row widgets, reused


def test_aino_email_markup_is_text(demo: Path) -> None:
    app = app_for(demo)
    log_on(app)
    search(app, phone=AINO.phone, email=AINO.email)
    rows = app.results.groups[Group.CONTACTS].pool
    row = next(r for r in rows if "Re: order" in r.cells.value)
    assert "&lt;b&gt;Re: order&lt;/b&gt;" in row.cells.value and "<b>Re" not in row.cells.value
    row.open.click()
    body = app.details.body.value
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in body
    assert "&lt;script&gt;window.__xss=2&lt;/script&gt;" in body
    assert "<img" not in body and "<script" not in body


def test_the_idle_timer_logs_off_from_the_event_loop(install: Path) -> None:
    import asyncio

    clock = Clock()
    app = app_for(install, clock)
    log_on(app)

    async def wait_idle() -> None:
        assert app.start_idle_timer(interval=0.01)
        await asyncio.sleep(0.05)
        assert app.state.logged_on
        clock.advance(16 * 60)
        await asyncio.sleep(0.05)

    asyncio.run(wait_idle())
    assert not app.state.logged_on and shown(app) is app.ended.widget


def test_a_closed_kernel_forgets_quietly(install: Path) -> None:
    """The web server records the end of a session; the exiting kernel only forgets."""
    from dpo_workbench.audit import open_audit_log
    from dpo_workbench.settings import load_settings
    from dpo_workbench.ui.app import _close_quietly

    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE)
    _close_quietly(app.state)  # what the kernel does when it exits
    assert app.state.result is None and not app.state.logged_on
    with open_audit_log(load_settings(install)) as log:
        assert [str(e.action) for e in log.events()] == ["search"]


def test_a_few_thousand_items_stay_paged_and_selectable(tmp_path: Path) -> None:
    """3,000 more events of one caller: the page never holds more than a page of rows."""
    import sqlite3
    import time

    with demo_installation(tmp_path / "big") as settings:
        con = sqlite3.connect(settings.parent / "operative.sqlite")
        first = con.execute("SELECT max(id) FROM contact_events").fetchone()[0] + 1
        con.executemany(
            "INSERT INTO contact_events (id, channel, direction, started_at, remote_number) "
            "VALUES (?, 'call', 'in', ?, ?)",
            [(first + i, f"2025-01-01 00:{i % 60:02d}:00.000000", "09 876 5432")
             for i in range(3000)])
        con.commit()
        con.close()
        app = app_for(settings)
        log_on(app)
        started = time.perf_counter()
        search(app, phone=SWITCHBOARD.phone)
        app.too_many.go_on.click()
        took = time.perf_counter() - started
        contacts = app.results.groups[Group.CONTACTS]
        total = app.state.result.total
        assert total > 4000
        assert len(contacts.rows_box.children) == 50
        contacts.group_check.value = False  # the whole group, in one click
        assert app.state.selection.counts()["contacts"] == (0, total)
        contacts.group_check.value = True
        assert app.state.selection.counts()["contacts"] == (total, total)
        print(f"search + results view of {total} items: {took:.2f} s")


# -- the results table (issue 11, "for a DPO") ---------------------------------------------


def all_html(widget: w.Widget) -> Iterator[str]:
    if isinstance(widget, w.HTML):
        yield widget.value
    for child in getattr(widget, "children", ()):
        yield from all_html(child)


def test_a_partly_ticked_group_shows_it_and_a_click_unticks_it_all(install: Path) -> None:
    """Finding: a partly ticked group looked unticked and clicking it re-ticked everything."""
    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE, email=EMAIL)
    contacts = app.results.groups[Group.CONTACTS]
    contacts.pool[0].check.value = False
    assert "dpo-partly" in contacts.group_check._dom_classes
    assert "Partly ticked" in contacts.group_check.tooltip
    contacts.group_check.value = False  # what a click on the partly ticked box sends
    assert app.state.selection.counts()["contacts"] == (0, 2)
    assert "dpo-partly" not in contacts.group_check._dom_classes
    assert not any(r.check.value for r in contacts.pool)
    contacts.group_check.value = True  # a second click ticks it all
    assert app.state.selection.counts()["contacts"] == (2, 2)


def test_after_an_erasure_the_items_left_are_unticked_with_a_note(install: Path) -> None:
    """Finding: after an erasure the items deliberately left out came back ticked."""
    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE, email=EMAIL)
    tables = app.results.groups
    next(r for r in tables[Group.CONTACTS].pool if r.ref.key == 101).check.value = False
    tables[Group.CONSENTS].group_check.value = False
    app.results.delete.click()
    app.erase.confirm.value = app.state.plan.token
    app.erase.run.click()
    assert shown(app) is app.results.widget and app.state.result.total == 3
    assert len(app.state.selection) == 0
    for table in tables.values():
        assert not table.group_check.value
        assert not any(r.check.value for r in table.pool if r.ref is not None)
    note = app.results.note.value
    assert "3 items you left out of the erasure" in note and "unticked" in note
    assert app.results.delete.disabled and app.results.report_csv.disabled
    tables[Group.CONSENTS].pool[0].check.value = True  # the DPO ticks one on purpose
    assert app.results.note.value == "" and not app.results.delete.disabled


def test_nothing_found_is_said_once_and_actions_are_disabled(install: Path) -> None:
    app = app_for(install)
    log_on(app)
    search(app, email="nobody@example.org")
    assert shown(app) is app.results.widget
    texts = " ".join(all_html(app.widget))
    assert texts.count("Nothing found") == 1
    assert "Nothing found for the e-mail address" in app.results.empty.value
    assert app.results.groups_box.layout.display == "none"
    assert app.status.value == ""
    assert all(b.disabled for b in (app.results.report_csv, app.results.report_zip,
                                     app.results.delete))


def test_messages_stand_beside_their_control_once(install: Path) -> None:
    """A broken rule is said under its field only; an erasure's outcome beside the
    results' buttons, a wrong token beside Delete now; the status line is one widget."""
    app = app_for(install)
    log_on(app)
    assert app.status.value == ""  # the header says who is logged on
    search(app, phone="12")
    assert "at least 3 digits" in app.criteria.problems["phone"].value
    assert app.status.value == ""
    assert app.criteria.message_slot.children == (app.status,)
    search(app, phone=PHONE)
    assert app.status.value == ""  # the results say what was found
    assert app.results.message_slot.children == (app.status,)
    assert app.criteria.message_slot.children == ()
    app.results.delete.click()
    app.erase.confirm.value = "WRONG"
    app.erase.run.click()
    assert "does not match" in app.status.value
    assert app.erase.message_slot.children == (app.status,)


def test_enter_in_a_criteria_field_searches(install: Path) -> None:
    app = app_for(install)
    log_on(app)
    app.criteria.fields["phone"].value = PHONE
    # What the page sends when Enter is pressed in a text field.
    app.criteria.fields["phone"]._handle_custom_msg({"event": "submit"}, [])
    assert shown(app) is app.results.widget and app.state.result.total == 5


def test_sort_and_filter_happen_in_the_kernel_a_page_at_a_time(demo: Path) -> None:
    app = app_for(demo)
    log_on(app)
    search(app, phone=SWITCHBOARD.phone)
    app.too_many.go_on.click()
    contacts = app.results.groups[Group.CONTACTS]
    columns = contacts._columns
    started = contacts.head.children[columns.index("started_at")]
    assert started.description == "Started"
    started.click()
    assert started.description == "Started \u25b2" and "dpo-sorted-asc" in started._dom_classes
    first = [app.state.group_frame(Group.CONTACTS).set_index("_key").loc[r.ref.key,
                                                                        "started_at"]
             for r in contacts.pool]
    assert first == sorted(first) and len(contacts.rows_box.children) == 50
    started.click()
    assert started.description == "Started \u25bc"
    frame = app.state.group_frame(Group.CONTACTS)
    assert contacts.pool[0].ref.key == frame.loc[frame["started_at"].idxmax(), "_key"]
    contacts.filter.value = "SMS"  # any shown cell, letter case ignored
    shown_count = app.state.shown_count(Group.CONTACTS)
    assert shown_count >= (frame["channel"] == "sms").sum() > 0
    assert all("sms" in r.cells.value.lower() for r in contacts.pool if r.ref is not None)
    assert f"of {shown_count} shown of {len(frame)}" in contacts.page_label.value
    assert contacts.bottom.label.value == contacts.page_label.value  # pager at both ends
    contacts.untick_shown.click()
    assert app.state.selection.counts()["contacts"] == (len(frame) - shown_count, len(frame))
    contacts.filter.value = "no such text anywhere"
    assert "No row of this group contains" in contacts.rows_box.children[0].value


def test_results_details_and_plan_speak_in_labels(install: Path) -> None:
    """Finding: database, table and column names everywhere instead of labels."""
    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE, email=EMAIL)
    contacts = app.results.groups[Group.CONTACTS]
    heads = [b.description for b in contacts.head.children]
    assert "Phone number" in heads and "remote_number" not in " ".join(heads)
    assert "Matched by" in heads and "Copies in" in heads
    texts = " ".join(r.cells.value for r in contacts.pool)
    assert "in Phone number" in texts and "remote_number" not in texts
    assert "Contact (monitoring copy)" in texts and "monitoring1." not in texts
    assert "monitoring1.contact_events" not in app.results.where.value
    next(r for r in contacts.pool if r.ref.key == 101).open.click()
    body = app.details.body.value
    assert "<h3>Contact" in body and "operative.contact_events#101" not in body
    assert "Phone number" in body and "remote_number" not in body
    assert "Also held in" in body and "Contact (monitoring copy)" in body
    files = " ".join(all_html(app.details.files))
    assert "Recording of the contact" in files and "recording_file" not in files
    app.details.back.click()
    app.results.delete.click()
    plan = app.erase.plan.value
    assert "Contact (monitoring copy)" in plan and "Phone number" in plan
    assert "monitoring1" not in plan and "remote_number" not in plan


def test_technical_details_toggle_shows_the_names_behind_the_labels(install: Path) -> None:
    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE, email=EMAIL)
    contacts = app.results.groups[Group.CONTACTS]
    assert not app.results.technical.value  # off by default
    app.results.technical.value = True
    heads = [b.description for b in contacts.head.children]
    assert "Phone number (remote_number)" in heads and heads[-1] == "Technical name"
    texts = " ".join(r.cells.value for r in contacts.pool)
    assert "operative.contact_events#101" in texts and "monitoring1.contact_events" in texts
    assert "monitoring1.contact_events" in app.results.where.value
    next(r for r in contacts.pool if r.ref.key == 101).open.click()
    assert "operative.contact_events#101" in app.details.body.value
    assert "(remote_number)" in app.details.body.value
    app.details.back.click()
    app.results.technical.value = False
    assert "operative.contact_events#101" not in " ".join(r.cells.value for r in contacts.pool)


def test_where_the_data_lives_counts_items_per_group_and_rows_per_table(install: Path) -> None:
    from dpo_workbench.ui.summary import where_counts

    app = app_for(install)
    log_on(app)
    search(app, phone=PHONE, email=EMAIL)
    groups, tables = where_counts(app.state.result)
    assert groups == {Group.CONTACTS: 2, Group.DIRECTORY_ENTRIES: 1,
                      Group.CAMPAIGN_CUSTOMERS: 1, Group.CONSENTS: 2}
    copies = sum(len(c) for c in app.state.result.contacts["_copies"])
    assert tables[("operative", "contact_events")] == 2
    assert tables.get(("monitoring1", "contact_events"), 0) == copies
    chart = app.results.where.value
    for label, n in [("Contacts", 2), ("Directory Entries", 1), ("Consent", 2),
                     ("Campaign customer", 1), ("Directory entry", 1)]:
        assert re.search(rf'{re.escape(label)}</div>.*?dpo-bar-count">{n}<', chart), label


def test_the_results_widgets_are_made_ahead_while_the_dpo_types(install: Path) -> None:
    """Making widgets is the slow part of a large result: the served dashboard makes the
    views and a page of rows per group in small steps after log-on; a search then only
    fills them in."""
    app = app_for(install)
    log_on(app)
    assert not app.start_warm_up()  # no event loop in plain Python
    steps = 0
    for _ in app.warm_up_steps(chunk=10):
        steps += 1
    tables = app.results.groups.values()
    assert all(len(t.pool) == app.state.page_size for t in tables) and steps > 4 * 5
    made = {id(r) for t in tables for r in t.pool}
    search(app, phone=PHONE, email=EMAIL)
    assert {id(r) for t in tables for r in t.pool} == made
    assert len(app.results.groups[Group.CONTACTS].rows_box.children) == 2
