"""The log-on view: user name, password, Log on."""

from __future__ import annotations

import ipywidgets as w

from .common import button, safe
from .model import DashboardState


class LogonView:
    """User name and password; the password field is emptied after every attempt."""

    def __init__(self, state: DashboardState):
        self.state = state
        self.username = w.Text(description="User name", placeholder="your user name")
        self.username.add_class("dpo-username")
        self.password = w.Password(description="Password", placeholder="your password")
        self.password.add_class("dpo-password")
        self.logon = button("Log on", "dpo-logon", style="primary")
        self.logon.on_click(safe(state, self.on_logon))
        self.widget = w.VBox([
            w.HTML("<h3>Log on</h3><p>Use your contact-centre user name and password. Only "
                   "users holding the DPO right can log on.</p>"),
            self.username, self.password, self.logon,
        ])
        self.widget.add_class("dpo-logon-view")

    def on_logon(self, _: object = None) -> None:
        """Log on with the typed credentials (the password never stays in the page)."""
        username, password = self.username.value, self.password.value
        self.password.value = ""
        self.state.log_on(username, password)
        self.username.value = ""
