"""The DPO dashboard: a Voila app over the library (see docs/dashboard.md).

``dashboard()`` builds it for the notebook that Voila serves
(``notebooks/dpo_dashboard.ipynb``); :mod:`dpo_workbench.ui.model` is its
widget-free model, :mod:`dpo_workbench.ui.app` the widgets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..settings import CONFIG_ENV

__all__ = ["CONFIG_ENV", "dashboard", "served_as", "served_user"]

_served_user: str | None = None


def served_as(username: str) -> None:
    """Called by the web server, in a cell it executes first: the user it logged on.

    The page cannot execute code, so it cannot call this; a kernel serves one
    session and is shut down when the session ends.
    """
    global _served_user
    _served_user = str(username)


def served_user() -> str | None:
    """The user the web server logged on for this kernel, or ``None`` outside it."""
    return _served_user


def dashboard(settings_path: str | Path | None = None, **kwargs: Any) -> Any:
    """Build the dashboard for the installation whose settings file is ``settings_path``.

    By default the path comes from the ``DPO_WORKBENCH_CONFIG`` environment variable,
    else ``demo-install/workbench.yaml``. Returns the widget; shown as a cell's value.

    Examples
    --------
    A notebook cell whose value is the widget shows the dashboard:

    >>> from dpo_workbench.ui import dashboard
    >>> app = dashboard(wb.settings.path, idle_timer=False)  # the timer needs a kernel's loop
    >>> type(app).__name__
    'VBox'
    """
    from ..extras import require

    require("dashboard", "The dashboard")
    from .app import build_dashboard

    return build_dashboard(settings_path, **kwargs)
