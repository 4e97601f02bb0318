"""The erasure view: the plan in words, a typed confirmation, then Delete now.

The confirmation is the plan's token (three groups of four characters): the DPO
types it after reading the plan. The state checks it again before anything runs.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from .common import button, esc, safe
from .model import DashboardState


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
        self.widget = w.VBox([
            w.HTML("<h3>Delete the selected items</h3>"), self.plan, self.confirm,
            w.HBox([self.cancel, self.run]),
        ])
        self.widget.add_class("dpo-erase-view")
        state.observe(self._on_plan, "plan")
        state.observe(self._busy, "busy")

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
        plan = change["new"]
        self.confirm.value = ""
        if plan is None:
            self.plan.value = ""
            return
        self.plan.value = (
            f'<pre class="dpo-plan">{esc(self.state.plan_text)}</pre>'
            "<p>Deleted and anonymized data cannot be brought back. Removed text becomes "
            "<code>{Anonymized by DPO}</code>. To go on, type this token and press "
            f'<b>Delete now</b>: <span class="dpo-token">{esc(plan.token)}</span></p>')
