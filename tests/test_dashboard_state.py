"""The dashboard's state (no widgets): log-on, guard, search, selection, report, erasure.

Runs on the fixed installation (tests/fixed_install.py) with three users added:
``dpo`` (DPO right), ``agent`` (no DPO right) and an inactive ``former``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fixed_install import EMAIL, PHONE, build_fixed_install, wav_file
from sqlalchemy import Engine, create_engine, event, text
from test_auth import Clock, add_users

from dpo_workbench.audit import open_audit_log
from dpo_workbench.errors import ActionRefused, InvalidCriteria
from dpo_workbench.selection import RowRef
from dpo_workbench.settings import load_settings
from dpo_workbench.ui.model import DashboardState

CONTACT_CALL = RowRef("operative", "contact_events", 101)
CONTACT_EMAIL = RowRef("operative", "contact_events", 102)
DIRECTORY = RowRef("directory", "directory_entries", 11)
CUSTOMER = RowRef("outbound", "campaign_customers", 21)
CONSENTS = [RowRef("operative", "customer_consents", 502),
            RowRef("operative", "customer_consents", 501)]


@pytest.fixture
def install(tmp_path: Path) -> Path:
    settings = build_fixed_install(tmp_path / "install")
    add_users(settings)
    return settings


def new_state(settings: Path, clock: Clock | None = None) -> DashboardState:
    return DashboardState(settings, clock=clock or Clock())


def logged_on(settings: Path, clock: Clock | None = None) -> DashboardState:
    state = new_state(settings, clock)
    state.begin("dpo")  # the user the web server logged on (dpo_workbench.web)
    return state


def searched(settings: Path, clock: Clock | None = None) -> DashboardState:
    state = logged_on(settings, clock)
    state.search(phone=PHONE, email=EMAIL)
    return state


def audit_actions(settings: Path) -> list[tuple[str, str, dict]]:
    with open_audit_log(load_settings(settings)) as log:
        return [(e.user, str(e.action), dict(e.detail)) for e in log.events()]


def csv_text(state: DashboardState) -> str:
    name, data = state.report("csv")
    assert name.startswith("dpo-report-") and name.endswith(".csv")
    return data.decode("utf-8-sig")


# -- log on ------------------------------------------------------------------------------


def test_a_dpo_session_begins_and_ends(install: Path) -> None:
    """The web server checked the password and records log-on and log-off itself."""
    state = logged_on(install)
    assert (state.view, state.user, state.display_name) == ("criteria", "dpo", "Demo DPO")
    ended: list[str] = []
    state.ended_hook = ended.append
    state.log_off("user", record=False)
    assert (state.view, state.user, state.logged_on) == ("ended", "", False)
    assert ended == ["user"] and audit_actions(install) == []


def statements_while(action: Callable[[], object]) -> list[str]:
    """The SQL statements every engine runs during ``action()``."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return seen


def test_a_pooled_kernel_has_the_installation_open_and_the_widgets_built_before_log_on(
        install: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pooled kernel opens the installation and builds the widgets ahead
    (dpo_workbench.ui.app.prepare_dashboard): at log-on nothing is opened or
    reflected, no table of the datamap is read and no widget is made."""
    from ipywidgets.widgets.widget import _instances

    import dpo_workbench.ui as ui
    from dpo_workbench.installation import Installation
    from dpo_workbench.ui.app import build_dashboard, prepare_dashboard

    assert prepare_dashboard(install)

    def no_opening(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the installation was opened at log-on")

    monkeypatch.setattr(Installation, "open", no_opening)
    monkeypatch.setattr(ui, "_served_user", "dpo")
    widgets = set(_instances)
    built: list[object] = []
    seen = statements_while(lambda: built.append(
        build_dashboard(install, protect=False, idle_timer=False)))
    state = built[0]._dpo_dashboard.state  # type: ignore[attr-defined]
    try:
        assert (state.view, state.user) == ("criteria", "dpo")
        assert set(_instances) == widgets
        tables = {spec.table for spec in state._wb.installation.datamap.tables}
        assert seen and not [s for s in seen for t in tables
                             if re.search(rf'\b(FROM|JOIN|PRAGMA \w+\.table_info\()\s*"?{t}\b',
                                          s, re.I)]
    finally:
        state.close()


_KERNEL_PROBE = """
import gc, json, os, sys
from dpo_workbench.ui.app import prepare_kernel
from dpo_workbench.ui import ahead
prepare_kernel()
print(json.dumps({"prepared": ahead.take(os.environ["DPO_WORKBENCH_CONFIG"]) is not None,
                  "set aside": gc.get_freeze_count()}))
"""


def test_what_a_pooled_kernel_prepares_is_set_aside_from_the_collector(install: Path) -> None:
    """The modules, the open installation and the widgets live as long as the kernel:
    a large search's collections no longer walk them (gc.freeze after preparing)."""
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _KERNEL_PROBE], capture_output=True,
                          text=True, timeout=180, check=False,
                          env={**os.environ, "DPO_WORKBENCH_CONFIG": str(install)})
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["prepared"] and seen["set aside"] > 50_000


def test_a_schema_changed_after_the_kernel_opened_it_is_seen_at_log_on(install: Path) -> None:
    from dpo_workbench.ui import ahead

    assert ahead.open_ahead(install)
    engine = create_engine(f"sqlite:///{install.parent / 'operative.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE contact_events ADD COLUMN added_later TEXT"))
    engine.dispose()
    opened = ahead.take(install)
    assert opened is not None and ahead.take(install) is None  # taken once
    state = DashboardState(install, authenticator=opened.authenticator,
                           installation=opened.installation)
    state.begin("dpo")
    try:
        assert "added_later" in state._wb.installation.table("operative", "contact_events").c
    finally:
        state.close()


def test_a_user_without_the_right_reaches_no_action(install: Path) -> None:
    state = new_state(install)
    for name in ("agent", "former", "nobody"):
        with pytest.raises(ActionRefused, match="not allowed"):
            state.begin(name)
    assert not state.logged_on and state.view == "ended"
    # Every action, called as a crafted comm message would call it, is refused.
    for action in (lambda: state.search(phone=PHONE), state.show_results_anyway,
                   state.back_to_criteria, lambda: state.set_selected(CONTACT_CALL, False),
                   lambda: state.set_group_selected("consents", False),
                   lambda: state.set_page("contacts", 1), lambda: state.open_details(DIRECTORY),
                   state.close_details, lambda: state.report("csv"), state.prepare_erasure,
                   state.cancel_erasure, lambda: state.erase("ABCD-EFGH-JKLM"),
                   lambda: state.resume("0" * 32)):
        with pytest.raises(ActionRefused, match="Log on first"):
            action()
    assert state.result is None and state.view == "ended"


def test_a_withdrawn_right_logs_off_at_the_next_action(install: Path) -> None:
    state = logged_on(install)
    engine = create_engine(f"sqlite:///{install.parent / 'configuration.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM user_rights WHERE user_id = 10"))
    engine.dispose()
    with pytest.raises(ActionRefused, match="no longer holds the DPO right"):
        state.search(phone=PHONE)
    assert not state.logged_on and state.result is None
    assert audit_actions(install)[-1] == ("dpo", "logout", {"reason": "right_withdrawn"})


def test_the_idle_timeout_logs_off(install: Path) -> None:
    clock = Clock()
    state = searched(install, clock)
    clock.advance(14 * 60)
    assert not state.check_idle()
    state.set_selected(CONTACT_CALL, False)  # activity restarts the idle time
    clock.advance(14 * 60)
    assert not state.check_idle()
    clock.advance(2 * 60)
    with pytest.raises(ActionRefused, match="without activity"):
        state.prepare_erasure()
    assert (state.view, state.user, state.result, state.selection) == ("ended", "", None, None)
    assert "15 minutes without activity" in state.status
    assert audit_actions(install)[-1] == ("dpo", "logout", {"reason": "idle"})


# -- searching ---------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "problem_field"), [
    ({"phone": PHONE, "start": "2025-13-01"}, "start"),       # no such month
    ({"phone": PHONE, "end": "yesterday"}, "end"),            # not a date
    ({"phone": PHONE, "start": "2025-03-02", "end": "2025-03-01"}, "end"),  # end first
    ({"phone": "12"}, "phone"),                               # too short
    ({"email": "not-an-address"}, "email"),
    ({"first_name": "Eeva"}, "last_name"),                    # both names or neither
    ({"phone": PHONE, "digits": "two"}, "digits"),
    ({}, "criteria"),                                          # nothing to search
])
def test_invalid_criteria_give_messages(install: Path, fields: dict, problem_field: str) -> None:
    state = logged_on(install)
    with pytest.raises(InvalidCriteria):
        state.search(**fields)
    assert problem_field in state.criteria_problems
    assert state.result is None and state.view == "criteria"


def test_search_finds_the_four_groups_all_selected(install: Path) -> None:
    state = searched(install)
    assert state.view == "results"
    assert state.result.counts() == {"contacts": 2, "directory_entries": 1,
                                     "campaign_customers": 1, "consents": 2}
    assert len(state.selection) == 6
    assert state.criteria_problems == {}
    assert state.progress == 1.0


def test_a_search_clears_old_problems(install: Path) -> None:
    state = logged_on(install)
    with pytest.raises(InvalidCriteria):
        state.search(phone="12")
    state.search(phone=PHONE, digits="")  # an empty digits field means the default
    assert state.criteria_problems == {} and state.criteria.digits == 7


def test_details_of_an_item_outside_the_result_are_refused(install: Path) -> None:
    state = searched(install)
    with pytest.raises(ActionRefused, match="not part of the current search"):
        state.open_details(RowRef("operative", "contact_events", 103))  # another person
    state.open_details(CONTACT_EMAIL)
    assert state.view == "details" and state.details.fields["id"] == 102
    state.close_details()
    assert state.view == "results" and state.details is None


# -- selection, report, erasure ----------------------------------------------------------


def test_untick_a_row_and_a_group_report_and_plan_follow(install: Path) -> None:
    state = searched(install)
    state.set_selected(CONTACT_CALL, False)
    state.set_group_selected("consents", False)
    assert state.selection.counts() == {"contacts": (1, 2), "directory_entries": (1, 1),
                                        "campaign_customers": (1, 1), "consents": (0, 2)}
    report = csv_text(state)
    items = {row["item"] for row in csv.DictReader(io.StringIO(report)) if row["item"]}
    assert items == {str(CONTACT_EMAIL), str(DIRECTORY), str(CUSTOMER)}
    assert "Customer Consents,,report,,items,0" in report
    state.prepare_erasure()
    assert set(state.plan.items) == {CONTACT_EMAIL, DIRECTORY, CUSTOMER}
    assert "customer_consents" not in state.plan_text
    # Ticking the group again disarms the plan: it no longer matches the selection.
    state.set_group_selected("consents", True)
    assert state.plan is None and state.view == "results"


def test_a_report_of_nothing_is_refused(install: Path) -> None:
    state = searched(install)
    for g in ("contacts", "directory_entries", "campaign_customers", "consents"):
        state.set_group_selected(g, False)
    with pytest.raises(ActionRefused, match="Nothing is selected"):
        state.report("csv")
    with pytest.raises(ActionRefused, match="Nothing is selected"):
        state.prepare_erasure()


def test_the_zip_report_holds_the_files(install: Path) -> None:
    import zipfile

    state = searched(install)
    name, data = state.report("zip")
    assert name.endswith(".zip")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "report.csv" in names and any(n.endswith(".wav") for n in names)


def test_delete_needs_an_armed_plan_and_its_token(install: Path) -> None:
    state = searched(install)
    with pytest.raises(ActionRefused, match="No erasure is prepared"):
        state.erase("anything")
    state.prepare_erasure()
    token = state.plan.token
    for typed in ("", "DELETE", token[:-1], token.replace("-", "")):
        with pytest.raises(ActionRefused, match="does not match"):
            state.erase(typed)
    assert state.plan is not None  # still armed: a wrong token changes nothing
    fresh = logged_on(install)
    fresh.search(phone=PHONE, email=EMAIL)
    assert fresh.result.total == 6  # nothing was erased


def test_delete_with_the_token_erases_verifies_and_searches_again(install: Path) -> None:
    state = searched(install)
    state.set_selected(CONTACT_CALL, False)
    state.set_group_selected("consents", False)
    state.prepare_erasure()
    receipt = state.erase(state.plan.token.lower())  # letter case does not matter
    assert receipt["verified"] is True
    assert state.view == "results" and state.plan is None
    assert "verified" in state.receipt_text and "Erased and verified" in state.status
    found = set(state.result.refs())
    assert found == {CONTACT_CALL, *CONSENTS}  # only what was left unticked
    # A second click on "Delete now" (the plan is gone) does nothing.
    with pytest.raises(ActionRefused, match="No erasure is prepared"):
        state.erase(receipt["token"])


def test_a_resumed_run_completes(install: Path) -> None:
    state = searched(install)
    state.set_group_selected("contacts", False)
    plan = state._wb.plan_erasure(state.selection)
    # A run recorded but never carried out, as if the kernel had died at once.
    run_id = state._wb.journal.start(plan, "dpo", None)
    state.back_to_criteria()
    assert [r for r, _ in state.unfinished] == [run_id]
    with pytest.raises(ActionRefused, match="not waiting"):
        state.resume("f" * 32)
    receipt = state.resume(run_id)
    assert receipt["verified"] and state.unfinished == []
    assert "verified" in state.receipt_text


# -- files -------------------------------------------------------------------------------


def test_files_are_read_only_from_the_opened_item(install: Path) -> None:
    state = searched(install)
    state.open_details(CONTACT_CALL)
    audio = next(f for f in state.details.files if f.kind == "audio")
    assert state.read_file(audio, "play") == wav_file()
    state.close_details()
    state.open_details(DIRECTORY)
    with pytest.raises(ActionRefused, match="does not belong"):
        state.read_file(audio, "download")
    photo = state.details.files[0]
    assert state.read_file(photo, "show").startswith(b"\x89PNG")


def test_a_missing_file_is_refused(install: Path) -> None:
    state = searched(install)
    state.open_details(CUSTOMER)
    missing = next(f for f in state.details.files if not f.exists)
    with pytest.raises(ActionRefused, match="cannot be opened"):
        state.read_file(missing, "play")


def test_a_reason_can_be_required_for_listening(install: Path) -> None:
    install.write_text(install.read_text(encoding="utf-8")
                       + "dashboard:\n  require_listen_reason: true\n", encoding="utf-8")
    state = searched(install)
    state.open_details(CONTACT_CALL)
    audio = next(f for f in state.details.files if f.kind == "audio")
    with pytest.raises(ActionRefused, match="reason"):
        state.read_file(audio, "play", reason="  ")
    assert state.read_file(audio, "play", reason="complaint review") == wav_file()


def test_log_off_forgets_what_was_shown(install: Path) -> None:
    state = searched(install)
    state.open_details(CONTACT_EMAIL)
    state.log_off()
    assert (state.result, state.selection, state.details, state.plan, state.criteria) == (
        None, None, None, None, None)


def test_actions_are_audit_logged_under_the_user(install: Path) -> None:
    state = searched(install)
    state.open_details(CONTACT_CALL)
    audio = next(f for f in state.details.files if f.kind == "audio")
    state.read_file(audio, "play")
    state.read_file(audio, "download")
    state.close_details()
    state.report("csv")
    state.prepare_erasure()
    state.log_off("idle")
    actions = [a for u, a, _ in audit_actions(install) if u == "dpo"]
    assert actions == ["search", "details_viewed", "file_played", "file_downloaded",
                       "report_created", "erasure_planned", "logout"]
    report_event = next(d for _, a, d in audit_actions(install) if a == "report_created")
    assert report_event["items"] == 6


def test_a_listening_reason_with_personal_data_is_refused(install: Path) -> None:
    state = searched(install)
    state.open_details(CONTACT_CALL)
    audio = next(f for f in state.details.files if f.kind == "audio")
    with pytest.raises(ActionRefused, match="must not contain personal data"):
        state.read_file(audio, "play", reason=f"asked by {EMAIL}")
