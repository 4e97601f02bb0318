"""The dashboard's widgets, bound to a :class:`~dpo_workbench.ui.model.DashboardState`.

:class:`Dashboard` puts a header (installation, user, Log off), a status line, a
progress bar and the current view together; the views live in their own
modules. Building it never calls ``display()``: the notebook shows the widget.

Served by Voila, :func:`build_dashboard` also protects the page: a traceback is
never sent to the browser (the kernel's ``showtraceback`` and warnings go to a
log file instead), and an idle session is logged off by a timer in the kernel.
"""

from __future__ import annotations

import asyncio
import atexit
import html
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..errors import WorkbenchError
from . import CONFIG_ENV
from .common import STYLE, button, esc, log_exception, safe
from .criteria import CriteriaView, TooManyView
from .details import DetailsView
from .erase import EraseView
from .logon import LogonView
from .model import DashboardState
from .results import ResultsView

log = logging.getLogger("dpo_workbench.ui")

#: Environment variable naming the dashboard's log file (set by ``dpo_workbench.serve``).
LOG_ENV = "DPO_WORKBENCH_LOG"
#: Seconds between the idle checks of the timer.
IDLE_CHECK_SECONDS = 15.0
DEFAULT_SETTINGS = "demo-install/workbench.yaml"


class Dashboard:
    """The whole dashboard: header, status line, progress and the current view.

    Examples
    --------
    >>> state = DashboardState(wb.settings.path)  # e.g. demo-install/workbench.yaml
    >>> app = Dashboard(state)
    >>> app.logon.username.value = "dpo"
    >>> app.logon.password.value = "dpo-demo"
    >>> app.logon.logon.click(); state.view
    'criteria'
    >>> state.close(); state.view
    'logon'
    """

    def __init__(self, state: DashboardState):
        self.state = state
        self.logon = LogonView(state)
        self.criteria = CriteriaView(state)
        self.too_many = TooManyView(state)
        self.results = ResultsView(state)
        self.details = DetailsView(state)
        self.erase = EraseView(state)
        self.views: dict[str, Any] = {
            "logon": self.logon, "criteria": self.criteria, "too_many": self.too_many,
            "results": self.results, "details": self.details, "erase": self.erase,
        }
        self.title = w.HTML(f"<h2>DPO workbench &mdash; {esc(state.settings.name)}</h2>")
        self.who = w.HTML("", layout=w.Layout(width="auto"))
        self.who.add_class("dpo-user")
        self.logoff = button("Log off", "dpo-logoff")
        self.logoff.on_click(safe(state, lambda _b: state.log_off()))
        self.status = w.HTML("", layout=w.Layout(width="auto"))
        self.status.add_class("dpo-status")
        self.bar = w.FloatProgress(value=0.0, min=0.0, max=1.0, layout=w.Layout(width="300px"))
        self.bar_text = w.HTML("")
        self.progress = w.HBox([self.bar, self.bar_text])
        self.progress.add_class("dpo-progress")
        self.body = w.VBox([])
        self.widget = w.VBox([
            self.title, w.HBox([self.who, self.logoff]), self.status, self.progress,
            self.body, w.HTML(STYLE),
        ])
        self.widget.add_class("dpo-app")
        state.observe(self._on_view, "view")
        state.observe(self._on_user, ["user", "display_name"])
        state.observe(self._on_status, ["status", "status_kind"])
        state.observe(self._on_progress, ["progress", "progress_text", "busy"])
        self._on_view({"new": state.view})
        self._on_user({"new": state.user})
        self._on_status(None)
        self._on_progress(None)

    def _on_view(self, change: Any) -> None:
        self.body.children = [self.views[change["new"]].widget]

    def _on_user(self, _change: Any) -> None:
        s = self.state
        self.who.value = (f"Logged on as <b>{esc(s.display_name)}</b> ({esc(s.user)})&nbsp;"
                          if s.user else "")
        self.logoff.layout.display = "inline-flex" if s.user else "none"

    def _on_status(self, _change: Any) -> None:
        s = self.state
        self.status.value = (f'<div class="dpo-status-{s.status_kind}">{esc(s.status)}</div>'
                             if s.status else "")

    def _on_progress(self, _change: Any) -> None:
        s = self.state
        self.bar.value = max(0.0, min(1.0, s.progress))
        self.bar_text.value = f"&nbsp;{esc(s.progress_text)}" if s.progress_text else ""
        self.progress.layout.display = "flex" if (s.busy or s.progress_text) else "none"

    # -- idle time-out ------------------------------------------------------------------

    def start_idle_timer(self, interval: float = IDLE_CHECK_SECONDS) -> bool:
        """Check for an idle session every ``interval`` seconds on the kernel's event loop.

        Returns False when there is no running loop (plain Python): the guard still
        refuses every action of an expired session.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:
                return False
            if not loop.is_running():
                return False

        def tick() -> None:
            try:
                self.state.check_idle()
            except Exception as exc:  # noqa: BLE001 - never a traceback in the page
                log_exception(exc)
            loop.call_later(interval, tick)

        loop.call_later(interval, tick)
        return True


# -- serving protections ------------------------------------------------------------------


def _running_in_voila() -> bool:
    return bool(os.environ.get(LOG_ENV)) or os.environ.get("SERVER_SOFTWARE", "").startswith(
        "voila")


def protect_kernel(log_file: str | os.PathLike[str] | None = None) -> None:
    """Keep tracebacks and warnings out of the page: log them to a file instead.

    Voila hides a failing cell's traceback but not one raised in a widget callback,
    which IPython's ``showtraceback`` sends to the browser (with the exception's
    message, which may hold personal data). This replaces ``showtraceback`` and
    ``warnings.showwarning`` with logging (type and stack, no message) to
    ``log_file`` (default: the ``DPO_WORKBENCH_LOG`` environment variable).
    """
    path = log_file or os.environ.get(LOG_ENV)
    root = logging.getLogger("dpo_workbench")
    if path and not any(isinstance(h, logging.FileHandler) for h in root.handlers):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False  # stderr is forwarded to the browser

    def showtraceback(*_args: Any, **_kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is not None:
            log_exception(exc)

    def showwarning(message: Any, category: type[Warning], filename: str, lineno: int,
                    *_args: Any, **_kwargs: Any) -> None:
        log.warning("%s at %s:%s", category.__name__, filename, lineno)

    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel brings IPython
        return
    ip = get_ipython()
    if ip is not None:
        ip.showtraceback = showtraceback
    warnings.showwarning = showwarning


def _close_quietly(state: DashboardState) -> None:
    try:
        if state.user:
            state.log_off(reason="session_closed")
        state.close()
    except Exception as exc:  # noqa: BLE001 - the kernel is exiting anyway
        log_exception(exc)


def build_dashboard(settings_path: str | Path | None = None, *, protect: bool | None = None,
                    idle_timer: bool = True) -> w.Widget:
    """The dashboard widget for an installation (see :func:`dpo_workbench.ui.dashboard`).

    Parameters
    ----------
    settings_path : path, optional
        Default: ``$DPO_WORKBENCH_CONFIG``, else ``demo-install/workbench.yaml``.
    protect : bool, optional
        Install :func:`protect_kernel`; by default when served by Voila.
    idle_timer : bool
        Log an idle session off from a timer (besides the check on every action).
    """
    if protect is None:
        protect = _running_in_voila()
    if protect:
        protect_kernel()
    path = settings_path or os.environ.get(CONFIG_ENV) or DEFAULT_SETTINGS
    try:
        state = DashboardState(path)
    except WorkbenchError as exc:
        return w.HTML(f"<h2>DPO workbench</h2><p class='dpo-status-error'>"
                      f"{html.escape(str(exc))}</p>")
    dash = Dashboard(state)
    if idle_timer:
        dash.start_idle_timer()
    # A culled or shut-down kernel (the window was closed) logs its user off in the audit log.
    atexit.register(_close_quietly, state)
    dash.widget._dpo_dashboard = dash  # keeps the views alive with the widget
    return dash.widget
