"""The dashboard session: who is logged on, the status line, and the guard of every action.

:class:`Session` is the widget-free base of
:class:`~dpo_workbench.ui.model.DashboardState`. Log-on happens in the web server
(:mod:`dpo_workbench.web`), before any kernel exists: the server tells the kernel
which user it serves, and :meth:`Session.begin` checks that this user still holds
the DPO right and opens the installation. The session logs off by itself after idle
time or when the right is withdrawn, and then tells the server (``ended_hook``),
which ends the web session too. Before every action it checks that someone is
logged on who still holds the DPO right. A page can be made to send any widget
event (a crafted comm message fires even a hidden or disabled button), so these
checks, here and not in the page, are the guard. A refused action raises
:class:`~dpo_workbench.errors.ActionRefused` and changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from traitlets import Bool, Enum, Float, HasTraits, Int, Unicode

from ..audit import Action, AuditLog, open_audit_log
from ..auth import Authenticator
from ..errors import ActionRefused, WorkbenchError
from ..installation import Installation
from ..settings import DashboardSettings, Settings, load_settings
from ..workbench import Workbench, open_workbench

log = logging.getLogger("dpo_workbench.ui")

Clock = Callable[[], float]

VIEWS = ("ended", "criteria", "too_many", "results", "details", "erase")


class Session(HasTraits):
    """A dashboard session: log-on, status line, progress and the guard.

    Parameters
    ----------
    settings_path : path
        The installation's settings file.
    clock : callable, optional
        Wall-clock seconds; tests pass a fake one to test the idle time-out and
        the log-on delays.
    authenticator : Authenticator, optional
        Made from the settings by default.
    installation : Installation, optional
        The installation of ``settings_path``, opened ahead (by a pooled kernel of the
        web server: :mod:`dpo_workbench.ui.ahead`); the first :meth:`begin` uses it
        rather than opening the installation then.
    """

    view = Enum(VIEWS, default_value="ended")  # "ended": nobody is logged on
    user = Unicode("")  # the logged-on user name; "" when nobody is logged on
    display_name = Unicode("")
    status = Unicode("")
    status_kind = Enum(("info", "success", "error"), default_value="info")
    busy = Bool(False)
    progress = Float(0.0)  # 0..1 of the running search or erasure
    progress_text = Unicode("")
    page_size = Int(50)

    def __init__(self, settings_path: str | Path, *, clock: Clock = time.time,
                 authenticator: Authenticator | None = None,
                 installation: Installation | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.settings_path = Path(settings_path)
        self.clock = clock
        self._ahead = installation
        self.settings: Settings = (installation.settings if installation is not None
                                   else load_settings(self.settings_path))
        self.options: DashboardSettings = self.settings.dashboard
        self.idle_seconds = self.settings.auth.idle_minutes * 60
        self.page_size = self.options.page_size
        self.auth = authenticator or Authenticator(self.settings, clock=clock)
        self._wb: Workbench | None = None
        self._audit_log: AuditLog | None = None
        self._last_activity = 0.0
        #: Called with the reason when the session logs off by itself (idle, right
        #: withdrawn): the served dashboard tells the web server to end the session.
        self.ended_hook: Callable[[str], None] | None = None

    # -- status -------------------------------------------------------------------------

    def say(self, message: str, kind: str = "info") -> None:
        """Show ``message`` in the status line."""
        self.status_kind = kind
        self.status = message

    def on_progress(self, message: str, done: int, total: int) -> None:
        """The library's progress callback (messages name databases, never data)."""
        self.progress = (done / total) if total else 0.0
        self.progress_text = message

    # -- the guard ----------------------------------------------------------------------

    @property
    def logged_on(self) -> bool:
        return bool(self.user) and self._wb is not None

    def check_idle(self) -> bool:
        """Log off when the session has been idle too long; return True if it did."""
        if self.logged_on and self.clock() - self._last_activity > self.idle_seconds:
            minutes = round(self.idle_seconds / 60)
            self.log_off(reason="idle")
            self.say(f"You were logged off after {minutes} minute{'s' if minutes != 1 else ''} "
                     "without activity. Log on again to continue.", "error")
            return True
        return False

    def _guard(self) -> Workbench:
        """Check that an action is allowed now; return the open Workbench."""
        if not self.logged_on:
            raise ActionRefused("Log on first.")
        if self.check_idle():
            raise ActionRefused(self.status)
        # Rights can be withdrawn while a session is open: ask the database each time.
        if not self.auth.has_right(self.user):
            user = self.user
            self.log_off(reason="right_withdrawn")
            raise ActionRefused(f"The user {user} no longer holds the DPO right; logged off.")
        self._last_activity = self.clock()
        assert self._wb is not None  # logged_on says so
        return self._wb

    def _require(self, condition: bool, message: str) -> None:
        if not condition:
            raise ActionRefused(message)

    # -- audit (log on / log off here; the Workbench records its own actions) -----------

    def _audit(self, user: str, action: str, **kwargs: Any) -> None:
        if self._audit_log is None:
            self._audit_log = open_audit_log(self.settings)
        self._audit_log.record(user, Action(action), **kwargs)

    # -- log on / off -------------------------------------------------------------------

    def begin(self, username: str) -> None:
        """Start the session of a user the web server has logged on.

        The server checked the password (and recorded the log-on); the right is
        checked again here, in the database, now.

        Raises
        ------
        ActionRefused
            Someone is logged on already, or the user does not hold the DPO right.
        """
        if self.logged_on:
            raise ActionRefused("Someone is logged on in this window: log off first.")
        user = self.auth.user(username)
        if user is None:
            raise ActionRefused("You are not allowed to use the DPO workbench: it needs the "
                                f"right '{self.auth.config.permission}' in module "
                                f"'{self.auth.config.module}'.")
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            try:
                ahead.refresh()  # a schema changed since it was opened is seen now
            except WorkbenchError as exc:  # opened afresh below, which says why it fails
                log.warning("The installation opened ahead could not be checked (%s)",
                            type(exc).__name__)
                ahead.close()
                ahead = None
        self._wb = (Workbench(ahead, user=user.username) if ahead is not None
                    else open_workbench(self.settings_path, user=user.username))
        self.user = user.username
        self.display_name = user.display_name
        self._last_activity = self.clock()
        self.view = "criteria"
        self.refresh_unfinished()
        self.say("")  # the header says who is logged on

    def log_off(self, reason: str = "user", *, record: bool = True) -> None:
        """Forget everything shown, close the installation, show the ended view.

        ``record``: write ``logout`` to the audit log (the web server records the
        log-offs it makes itself). The ``ended_hook`` hears of it.
        """
        user = self.user
        wb, self._wb = self._wb, None
        self.user = ""
        self.display_name = ""
        self._forget()
        self.progress, self.progress_text, self.busy = 0.0, "", False
        self.view = "ended"
        if wb is not None:
            wb.close()
        if user:
            try:
                if record:
                    self._audit(user, "logout", detail={"reason": reason})
            finally:
                self.say("Logged off.")
                if self.ended_hook is not None:
                    self.ended_hook(reason)

    def close(self) -> None:
        """Forget everything and release every connection (the kernel is going away;
        the web server records the end of the session)."""
        if self.user:
            self.ended_hook = None
            self.log_off("closed", record=False)
        self.auth.close()
        if self._ahead is not None:
            self._ahead.close()
            self._ahead = None
        if self._audit_log is not None:
            self._audit_log.close()

    def _forget(self) -> None:
        """Forget everything the session shows (the dashboard's model holds it)."""

    def refresh_unfinished(self) -> None:
        """List what the DPO must be told after log-on (the dashboard's model does)."""
