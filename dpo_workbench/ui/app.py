"""The dashboard's widgets, bound to a :class:`~dpo_workbench.ui.model.DashboardState`.

:class:`Dashboard` puts a header (installation, user, Log off), a status line, a
progress bar and the current view together; the views live in their own
modules. Building it never calls ``display()``: the notebook shows the widget.

Served by the web server (:mod:`dpo_workbench.web`), :func:`build_dashboard`
starts the session of the user the server logged on (:func:`dpo_workbench.ui.
served_user`), and protects the page: a traceback is never sent to the browser
(the kernel's ``showtraceback``, warnings and library logs go to a log file
instead), and an idle session is logged off by a timer in the kernel. When the
session logs off by itself, every widget is closed (the page drops its models) and
the server is told, which ends the web session and sends the page to the log-on
form.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import html
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..errors import WorkbenchError
from . import CONFIG_ENV, ahead, served_user
from .common import STYLE, esc, log_exception
from .criteria import CriteriaView, TooManyView
from .details import DetailsView
from .erase import EraseView
from .model import DashboardState
from .results import ResultsView

log = logging.getLogger("dpo_workbench.ui")

#: Environment variable naming the dashboard's log file (set by ``dpo_workbench.serve``).
LOG_ENV = "DPO_WORKBENCH_LOG"
#: Seconds between the idle checks of the timer.
IDLE_CHECK_SECONDS = 15.0
DEFAULT_SETTINGS = "demo-install/workbench.yaml"
#: The comm target with which the kernel tells the web server that its session ended
#: (the same name as dpo_workbench.web.guard.SESSION_TARGET; no web imports here).
SESSION_TARGET = "dpo.session"


class EndedView:
    """What a window shows when nobody is logged on in it (log on in the web server)."""

    def __init__(self, state: DashboardState):
        self.widget = w.VBox([w.HTML(
            "<h3>Not logged on</h3><p>Log on at the dashboard's address with your "
            "contact-centre user name and password.</p>")])
        self.widget.add_class("dpo-ended-view")


class Dashboard:
    """The whole dashboard: header, status line, progress and the current view.

    Examples
    --------
    >>> state = DashboardState(wb.settings.path)  # e.g. demo-install/workbench.yaml
    >>> app = Dashboard(state)
    >>> state.view
    'ended'
    >>> state.begin("dpo"); state.view  # the user the web server logged on
    'criteria'
    >>> state.close(); state.view
    'ended'
    """

    def __init__(self, state: DashboardState):
        self.state = state
        # Views are built when first shown: the page gets fewer widget models to load
        # at log-on (the results alone are a few hundred).
        self._built: dict[str, Any] = {}
        self.title = w.HTML(f"<h2>DPO workbench &mdash; {esc(state.settings.name)}</h2>")
        self.who = w.HTML("", layout=w.Layout(width="auto"))
        self.who.add_class("dpo-user")
        self.status = w.HTML("", layout=w.Layout(width="auto"))
        self.status.add_class("dpo-status")
        self.bar = w.FloatProgress(value=0.0, min=0.0, max=1.0, layout=w.Layout(width="300px"))
        self.bar_text = w.HTML("")
        self.progress = w.HBox([self.bar, self.bar_text])
        self.progress.add_class("dpo-progress")
        self.body = w.VBox([])
        #: Where the status line stands when the view has no place of its own for it.
        self.status_slot = w.HBox([self.status])
        self.widget = w.VBox([
            self.title, w.HBox([self.who]), self.status_slot, self.progress,
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

    def view(self, name: str) -> Any:
        """The view called ``name`` (built on first use)."""
        view = self._built.get(name)
        if view is None:
            view = self._built[name] = _VIEWS[name](self.state)
        return view

    @property
    def views(self) -> dict[str, Any]:
        """Every view, by name (builds those not built yet)."""
        return {name: self.view(name) for name in _VIEWS}

    ended = property(lambda self: self.view("ended"))
    criteria = property(lambda self: self.view("criteria"))
    too_many = property(lambda self: self.view("too_many"))
    results = property(lambda self: self.view("results"))
    details = property(lambda self: self.view("details"))
    erase = property(lambda self: self.view("erase"))

    def _on_view(self, change: Any) -> None:
        view = self.view(change["new"])
        self.body.children = [view.widget]
        self._place_status(view)

    def _place_status(self, view: Any) -> None:
        """Put the one status line beside the current view's controls (once)."""
        slot = getattr(view, "message_slot", None) or self.status_slot
        for other in [self.status_slot, *(getattr(v, "message_slot", None)
                                          for v in self._built.values())]:
            if other is not None and other is not slot and other.children:
                other.children = []
        if tuple(slot.children) != (self.status,):
            slot.children = [self.status]

    def _on_user(self, _change: Any) -> None:
        s = self.state
        self.who.value = (f"Logged on as <b>{esc(s.display_name)}</b> ({esc(s.user)})&nbsp;"
                          if s.user else "")

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
        loop = _kernel_loop()
        if loop is None:
            return False

        def tick() -> None:
            try:
                self.state.check_idle()
            except Exception as exc:  # noqa: BLE001 - never a traceback in the page
                log_exception(exc)
            loop.call_later(interval, tick)

        loop.call_later(interval, tick)
        return True

    # -- warm-up ------------------------------------------------------------------------

    def warm_up_steps(self, chunk: int = 10) -> Iterator[None]:
        """Build the views and a page of rows per group, a little at a time.

        Making widgets is the slow part of showing a large result (a few milliseconds
        each, four per row): made ahead, a search only fills them in.
        """
        for name in ("results", "too_many", "details", "erase"):
            self.view(name)
            yield
        size = self.state.page_size
        for table in self.results.groups.values():
            while len(table.pool) < size:
                table.grow(min(size, len(table.pool) + chunk))
                yield

    def start_warm_up(self, pause: float = 0.02) -> bool:
        """Run :meth:`warm_up_steps` on the kernel's loop once the DPO starts typing.

        The first change of a criteria field starts it: the page has loaded by then
        (new widgets made while it loads would race its first request for every
        widget's state), and typing the criteria takes the seconds the steps need. One
        step at a time, ``pause`` seconds apart, so a click is answered between two
        steps; it stops at the first search, or when nobody is logged on. False without a
        running loop.
        """
        loop = _kernel_loop()
        if loop is None:
            return False
        steps = self.warm_up_steps()
        fields = list(self.criteria.fields.values())

        def step() -> None:
            # Done with the first search: what it needed it made; more widgets now
            # would only queue ahead of the DPO's next click in the page.
            if not self.state.logged_on or self.state.result is not None:
                return
            try:
                next(steps)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - never a traceback in the page
                log_exception(exc)
                return
            loop.call_later(pause, step)

        def typed(_change: Any) -> None:
            for field in fields:
                field.unobserve(typed, "value")
            loop.call_later(pause, step)

        for field in fields:
            field.observe(typed, "value")
        return True


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's running event loop, or None (plain Python)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return None
        return loop if loop.is_running() else None


_VIEWS: dict[str, Any] = {
    "ended": EndedView, "criteria": CriteriaView, "too_many": TooManyView,
    "results": ResultsView, "details": DetailsView, "erase": EraseView,
}


# -- serving protections ------------------------------------------------------------------


def _running_in_voila() -> bool:
    return bool(os.environ.get(LOG_ENV)) or os.environ.get("SERVER_SOFTWARE", "").startswith(
        "voila")


class _WithoutValues(logging.Formatter):
    """The log file's lines: a library's record keeps its message template but not the
    values filled into it, and an exception keeps its type and stack but not its
    message (either may hold personal data)."""

    def format(self, record: logging.LogRecord) -> str:
        head = f"{self.formatTime(record)} {record.levelname} {record.name} "
        if record.name.startswith("dpo_workbench"):
            text = head + record.getMessage()
        else:
            text = head + str(record.msg)[:300] + (" (values withheld)" if record.args else "")
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            text += f"\n{type(exc).__name__}\n" + "".join(traceback.format_tb(exc.__traceback__))
        return text


#: Loggers of the kernel's libraries that would otherwise write to stderr, which the
#: kernel forwards to the browser (a malformed widget message logs a traceback there).
_LIBRARY_LOGGERS = ("", "IPKernelApp", "traitlets", "Comm", "ipykernel", "ipykernel.comm",
                    "ipywidgets", "tornado", "asyncio")


def protect_kernel(log_file: str | os.PathLike[str] | None = None) -> None:
    """Keep tracebacks, warnings and library logs out of the page: log them to a file.

    Voila hides a failing cell's traceback but not one raised in a widget callback,
    which IPython's ``showtraceback`` sends to the browser (with the exception's
    message, which may hold personal data), nor what libraries log to stderr (the
    comm layer logs a malformed widget message's traceback). This replaces
    ``showtraceback`` and ``warnings.showwarning`` with logging (type and stack, no
    message), and sends every logger's records to ``log_file`` (default: the
    ``DPO_WORKBENCH_LOG`` environment variable), or nowhere without one. The web
    server drops any ``stream`` or ``error`` message besides (dpo_workbench.web.guard).
    """
    path = log_file or os.environ.get(LOG_ENV)
    own = logging.getLogger("dpo_workbench")
    handler: logging.Handler = logging.NullHandler()
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(_WithoutValues())
    if not getattr(own, "_dpo_protected", False):
        own._dpo_protected = True  # type: ignore[attr-defined]
        own.addHandler(handler)
        own.setLevel(logging.INFO)
        own.propagate = False  # stderr is forwarded to the browser
        for name in _LIBRARY_LOGGERS:
            logger = logging.getLogger(name)
            for old in [h for h in logger.handlers if isinstance(h, logging.StreamHandler)
                        and not isinstance(h, logging.FileHandler)]:
                logger.removeHandler(old)
        logging.getLogger().addHandler(handler)

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


def prepare_kernel() -> None:
    """What a pooled kernel does before anyone logs on: protect it, import the dashboard,
    and :func:`prepare_dashboard`.

    Importing ipywidgets, pandas, SQLAlchemy and the workbench takes most of the
    time a new kernel needs; opening the installation and building the widgets take
    most of what remains at log-on. Done ahead, the page of a log-on is ready sooner.

    What was made then lives as long as the kernel, so it is set aside from the
    cyclic garbage collector (:func:`gc.freeze`): a search of thousands of items
    makes the collector walk every object it tracks now and then, and the kernel's
    modules and widgets would otherwise be most of them, every time.
    """
    protect_kernel()
    from .. import workbench  # noqa: F401 - imported for its import time
    from ..erasure import verify  # noqa: F401

    prepare_dashboard()
    gc.freeze()


def prepare_dashboard(settings_path: str | Path | None = None) -> bool:
    """Open the installation (default: ``$DPO_WORKBENCH_CONFIG``) and build the
    dashboard's widgets on it, nobody logged on, for the next :func:`build_dashboard`
    (:mod:`dpo_workbench.ui.ahead`). False when the installation cannot be opened now.
    """
    opened = ahead.open_ahead(settings_path)
    if opened is None:
        return False
    dash = Dashboard(DashboardState(opened.path, authenticator=opened.authenticator,
                                    installation=opened.installation))
    dash.view("criteria")  # the view of a log-on
    opened.dashboard = dash
    return True


def _close_quietly(state: DashboardState) -> None:
    try:
        state.close()
    except Exception as exc:  # noqa: BLE001 - the kernel is exiting anyway
        log_exception(exc)


def _tell_server(reason: str) -> None:
    """The session logged off by itself: drop every widget (the page forgets every
    model), then ask the web server to end the web session (it sends the page to
    the log-on form and shuts this kernel down)."""
    try:
        w.Widget.close_all()
        from comm import create_comm

        create_comm(target_name=SESSION_TARGET, data={"reason": reason})
    except Exception as exc:  # noqa: BLE001 - the server's reaper ends the session anyway
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
    opened = ahead.take(path)
    if opened is not None and opened.dashboard is not None:
        dash: Dashboard = opened.dashboard
        state = dash.state
    else:
        try:
            state = (DashboardState(path) if opened is None else
                     DashboardState(path, authenticator=opened.authenticator,
                                    installation=opened.installation))
        except WorkbenchError as exc:
            return w.HTML(f"<h2>DPO workbench</h2><p class='dpo-status-error'>"
                          f"{html.escape(str(exc))}</p>")
        dash = Dashboard(state)
    user = served_user()
    if user:
        try:
            state.begin(user)
        except WorkbenchError as exc:
            state.say(str(exc), "error")
        state.ended_hook = _tell_server
    if idle_timer:
        dash.start_idle_timer()
        if user:
            dash.start_warm_up()
    # A shut-down kernel releases its connections (the server records the log-off).
    atexit.register(_close_quietly, state)
    dash.widget._dpo_dashboard = dash  # keeps the views alive with the widget
    return dash.widget
