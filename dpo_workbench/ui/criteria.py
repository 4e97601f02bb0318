"""The criteria view (the search form), the too-many warning, and interrupted erasures.

The form sends the fields as typed to :meth:`DashboardState.search`; the rules
live in the library (:class:`~dpo_workbench.criteria.Criteria`) and their
messages (:attr:`InvalidCriteria.problems`) are shown under the fields.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..errors import InvalidCriteria
from .common import button, esc, safe
from .model import CRITERIA_FIELDS, DashboardState

_LABELS = {
    "email": ("E-mail", "name@example.com"),
    "phone": ("Phone", "+358 40 123 4567"),
    "first_name": ("First name", ""),
    "last_name": ("Last name", ""),
    "start": ("Start date", "YYYY-MM-DD"),
    "end": ("End date", "YYYY-MM-DD"),
    "digits": ("Digits used", "compared from the end of phone numbers"),
}
_STYLE = {"description_width": "120px"}


class CriteriaView:
    """The search form, with a message under each field whose rule is broken."""

    def __init__(self, state: DashboardState):
        self.state = state
        self.fields: dict[str, w.Text] = {}
        self.problems: dict[str, w.HTML] = {}
        rows: list[w.Widget] = [w.HTML(
            "<h3>Search criteria</h3><p>E-mail, phone and name combine with OR; the dates "
            "restrict time-stamped rows. Give first and last name together.</p>")]
        for name in CRITERIA_FIELDS:
            label, placeholder = _LABELS[name]
            field = w.Text(description=label, placeholder=placeholder, style=_STYLE,
                           layout=w.Layout(width="420px"))
            field.add_class(f"dpo-field-{name}")
            field.on_msg(self._on_field_msg)  # Enter in a field sends "submit"
            problem = w.HTML("")
            problem.add_class(f"dpo-problem-{name}")
            self.fields[name], self.problems[name] = field, problem
            rows += [field, problem]
        self.fields["digits"].value = str(state.settings.search.digits)
        self.problems["criteria"] = w.HTML("")
        self.problems["criteria"].add_class("dpo-problem-criteria")
        self.search = button("Search", "dpo-search", style="primary")
        self.search.on_click(safe(state, self.on_search))
        self.clear = button("Clear", "dpo-clear")
        self.clear.on_click(safe(state, self.on_clear))
        #: The status line sits here while this view is shown (beside Search).
        self.message_slot = w.HBox([])
        self.message_slot.add_class("dpo-message-slot")
        rows += [w.HBox([self.search, self.clear, self.message_slot]), self.problems["criteria"]]
        self.unfinished_box = w.VBox([])
        self.unfinished_box.add_class("dpo-unfinished")
        self.widget = w.VBox(rows + [self.unfinished_box])
        self.widget.add_class("dpo-criteria-view")
        state.observe(self._show_problems, "criteria_problems")
        state.observe(self._show_unfinished, "unfinished")
        state.observe(self._busy, "busy")
        self._show_unfinished({"new": state.unfinished})
        self._show_problems({"new": state.criteria_problems})

    def values(self) -> dict[str, str]:
        return {name: f.value for name, f in self.fields.items()}

    def on_search(self, _: object = None) -> None:
        """Search with the typed criteria."""
        self.state.busy = True
        try:
            self.state.search(**self.values())
        except InvalidCriteria:
            self.state.say("")  # each message stands under its field, once
        finally:
            self.state.busy = False

    def _on_field_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Enter in a criteria field searches, as the Search button does."""
        if isinstance(content, dict) and content.get("event") == "submit" \
                and not self.search.disabled:
            safe(self.state, self.on_search)()

    def on_clear(self, _: object = None) -> None:
        """Empty the form (digits back to the default)."""
        for name, f in self.fields.items():
            f.value = str(self.state.settings.search.digits) if name == "digits" else ""
        self.state.criteria_problems = {}

    def _show_problems(self, change: Any) -> None:
        problems = change["new"] or {}
        for name, box in self.problems.items():
            msg = problems.get(name, "")
            box.value = f'<span class="dpo-problem">{esc(msg)}</span>' if msg else ""

    def _busy(self, change: Any) -> None:
        self.search.disabled = bool(change["new"])

    def _show_unfinished(self, change: Any) -> None:
        runs = change["new"] or []
        children: list[w.Widget] = []
        if runs:
            children.append(w.HTML("<h4>Interrupted erasures</h4><p>These erasure runs did not "
                                   "finish. Resume each to complete it (what is done is "
                                   "skipped).</p>"))
        for run_id, story in runs:
            resume = button("Resume", "dpo-resume", style="warning")
            resume.on_click(safe(self.state, lambda _b, r=run_id: self.state.resume(r)))
            children.append(w.VBox([w.HTML(f'<pre class="dpo-plan">{esc(story)}</pre>'),
                                    resume]))
        self.unfinished_box.children = children


class TooManyView:
    """More items than the DPO should review at once: narrow, or go on anyway."""

    def __init__(self, state: DashboardState):
        self.state = state
        self.message = w.HTML("")
        self.go_on = button("Show the results anyway", "dpo-show-anyway", style="warning")
        self.go_on.on_click(safe(state, lambda _b: state.show_results_anyway()))
        self.back = button("Back to the criteria", "dpo-narrow")
        self.back.on_click(safe(state, lambda _b: state.back_to_criteria()))
        self.message_slot = w.HBox([])
        self.message_slot.add_class("dpo-message-slot")
        self.widget = w.VBox([self.message, w.HBox([self.back, self.go_on, self.message_slot])])
        self.widget.add_class("dpo-too-many-view")
        state.observe(self._update, "result")
        self._update({"new": state.result})

    def _update(self, change: Any) -> None:
        r = change["new"]
        if r is None:
            self.message.value = ""
            return
        self.message.value = (
            f"<h3>Many items found</h3><p>The search found {r.total} items, more than "
            f"{r.too_many_threshold}. Narrowing the criteria (for example a shorter time span, "
            "or more digits used in search) makes the review easier. You may also review "
            "them all.</p>")
