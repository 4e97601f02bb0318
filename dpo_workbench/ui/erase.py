"""The erasure view: the plan in the datamap's words, a typed confirmation, Delete now.

The plan and the receipt are shown as tables naming what a DPO knows ("Contact",
"Chat transcript", "Phone number"); with "Technical details" ticked they also name
the databases, tables and columns. The confirmation is the plan's token (three groups
of four characters): the DPO types it after reading the plan. The state checks it
again before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from ..erasure.plan import ErasurePlan, Target
from ..erasure.strategies import STRATEGIES, RowAction
from .common import button, esc, safe
from .labels import Labels
from .model import DashboardState

_FILE_KINDS = {"audio": ("recording", "recordings"), "image": ("photo", "photos"),
               "attachment": ("attachment", "attachments")}


def _n(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _files(kinds: Mapping[str, int]) -> str:
    return ", ".join(_n(n, *_FILE_KINDS.get(k, (f"{k} file", f"{k} files")))
                     for k, n in sorted(kinds.items()))


def _tech(text: str, technical: bool) -> str:
    return f'<br><span class="dpo-tech">{esc(text)}</span>' if technical else ""


def _target_words(t: Target, labels: Labels | None, technical: bool) -> str:
    if t.action is RowAction.DELETE:
        return "delete"
    by_strategy: dict[str, list[str]] = {}
    for column, name in t.columns.items():
        label = labels.column(t.database, t.table, column) if labels else column
        if technical:
            label = f"{label} ({column})"
        by_strategy.setdefault(name, []).append(label)
    how = "; ".join(f"{', '.join(cols)} {STRATEGIES[name].description}"
                    for name, cols in by_strategy.items())
    return f"keep, anonymized: {how}"


def plan_html(plan: ErasurePlan, labels: Labels | None, technical: bool) -> str:
    """The plan as a table: what, where, what happens, how many rows; then the files."""
    if not plan.targets:
        return '<div class="dpo-plan dpo-plan-html">Nothing to erase: no item is selected.</div>'
    databases = len(dict.fromkeys(t.database for t in plan.targets))
    head = (f"Erase {len(plan.items)} selected item(s): {plan.total_rows} row(s) in "
            f"{databases} database(s), {len(plan.files)} file(s).")
    rows = []
    for t in plan.targets:
        if not t.rows:
            continue
        what = labels.target(t.label) if labels else t.label
        rows.append(f"<tr><td>{esc(what)}{_tech(t.location, technical)}</td>"
                    f"<td>{esc(_target_words(t, labels, technical))}</td>"
                    f'<td class="dpo-num">{t.rows:,}</td></tr>')
    kinds: dict[str, int] = {}
    for f in plan.files:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    files = (f"<p>Files: delete {esc(_files(kinds))}.</p>" if kinds else "<p>No files.</p>")
    undated = ""
    if plan.undated:
        names = [_location_label(u, labels) if labels else u for u in plan.undated]
        undated = ("<p>The date span did not restrict " + esc(", ".join(names))
                   + " (no time column): their items were found whatever their date.</p>")
    return (f'<div class="dpo-plan dpo-plan-html"><p><b>{esc(head)}</b></p>'
            '<table class="dpo-plan-table"><thead><tr><th>What</th><th>What happens</th>'
            f'<th>Rows</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f"{files}{undated}</div>")


def _location_label(location: str, labels: Labels) -> str:
    database, _, table = location.partition(".")
    return labels.table(database, table) if table else location


def receipt_html(receipt: Mapping[str, Any], labels: Labels | None, technical: bool) -> str:
    """The receipt as a table of what changed where, the files, and the checks."""
    verified = bool(receipt.get("verified"))
    title = (f"Erasure {'verified' if verified else 'NOT verified'}: "
             f"{_n(int(receipt.get('items', 0)), 'item')}")
    if technical:
        title += f" (run {receipt.get('run_id')}, token {receipt.get('token')})"
    rows = []
    for database, tables in (receipt.get("rows") or {}).items():
        for table, counts in tables.items():
            what = labels.table(database, table) if labels else f"{database}.{table}"
            done = ", ".join(f"{n:,} {str(k).replace('_', ' ')}" for k, n in counts.items())
            rows.append(f"<tr><td>{esc(what)}{_tech(f'{database}.{table}', technical)}</td>"
                        f"<td>{esc(done)}</td></tr>")
    files = receipt.get("files") or {}
    not_removed = files.get("not_removed") or []
    lines = [f"Files: {files.get('deleted', 0)} deleted, {files.get('already_missing', 0)} "
             f"already missing, {len(not_removed)} not removed."]
    for f in not_removed:
        owner = str(f.get("owner", ""))
        where = owner if technical else _owner_label(owner, labels)
        lines.append(f"Not removed: {where}: {f.get('status')} ({f.get('why')})")
    lines += [f"Checked: {c}." for c in receipt.get("checks") or []]
    lines += [f"Note: {n}" for n in receipt.get("notes") or []]
    lines += [f"PROBLEM: {p}" for p in receipt.get("problems") or []]
    head = receipt.get("audit_head")
    if technical and head:
        lines.append(f"Audit log head: event {head.get('id')}, hash "
                     f"{str(head.get('hash', ''))[:12]}")
    items = "".join(f"<li>{esc(x)}</li>" for x in lines)
    return (f'<div class="dpo-receipt dpo-receipt-html"><p><b>{esc(title)}</b></p>'
            '<table class="dpo-receipt-table"><thead><tr><th>What</th><th>Done</th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table><ul>{items}</ul></div>')


def _owner_label(owner: str, labels: Labels | None) -> str:
    """``database.table#key column`` as "<table label>, <column label>"."""
    if labels is None:
        return owner
    location, _, rest = owner.partition("#")
    database, _, table = location.partition(".")
    column = rest.partition(" ")[2]
    label = labels.table(database, table)
    return f"{label}, {labels.column(database, table, column)}" if column else label


class EraseView:
    """What will be deleted or anonymized where, and the guard before it runs."""

    def __init__(self, state: DashboardState):
        self.state = state
        self.plan = w.HTML("")
        self.plan.add_class("dpo-plan-box")
        self.confirm = w.Text(description="Token", placeholder="type the token shown above",
                              layout=w.Layout(width="360px"))
        self.confirm.add_class("dpo-confirm")
        self.run = button("Delete now", "dpo-delete-now", style="danger")
        self.run.on_click(safe(state, self.on_run))
        self.cancel = button("Cancel", "dpo-cancel")
        self.cancel.on_click(safe(state, lambda _b: state.cancel_erasure()))
        #: The status line sits here while this view is shown (beside Delete now).
        self.message_slot = w.HBox([])
        self.message_slot.add_class("dpo-message-slot")
        self.widget = w.VBox([
            w.HTML("<h3>Delete the selected items</h3>"), self.plan, self.confirm,
            w.HBox([self.cancel, self.run, self.message_slot]),
        ])
        self.widget.add_class("dpo-erase-view")
        state.observe(self._on_plan, "plan")
        state.observe(self._on_plan, "technical")
        state.observe(self._busy, "busy")
        if state.plan is not None:  # built after the plan was made
            self._on_plan({"name": "plan", "new": state.plan})

    def on_run(self, _: object = None) -> None:
        """Erase when the typed token matches the armed plan (checked by the state)."""
        typed, self.confirm.value = self.confirm.value, ""
        self.state.busy = True
        try:
            self.state.erase(typed)
        finally:
            self.state.busy = False

    def _busy(self, change: Any) -> None:
        self.run.disabled = self.cancel.disabled = bool(change["new"])

    def _on_plan(self, change: Any) -> None:
        plan = self.state.plan
        if change["name"] == "plan":
            self.confirm.value = ""
        if plan is None:
            self.plan.value = ""
            return
        self.plan.value = (
            plan_html(plan, self.state.labels, self.state.technical)
            + "<p>Deleted and anonymized data cannot be brought back. Removed text becomes "
            "<code>{Anonymized by DPO}</code>. To go on, type this token and press "
            f'<b>Delete now</b>: <span class="dpo-token">{esc(plan.token)}</span></p>')
