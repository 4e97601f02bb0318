"""The installation a pooled kernel opens before anyone logs on, for the session that takes it.

The web server keeps kernels started and warm for the next log-ons
(:mod:`dpo_workbench.web.kernels`). Besides importing the dashboard's code, a
pooled kernel opens the installation whose settings the server serves
(``DPO_WORKBENCH_CONFIG``): the settings and the datamap read, an engine per
database, the live schema reflected and the datamap checked against it, the users'
and rights' tables reflected. None of it belongs to a user, and no row of the
installation's own tables is read.

The dashboard's widgets are built on it too (:func:`dpo_workbench.ui.app.
prepare_dashboard`), showing nobody logged on. The log-on's notebook takes them
(:func:`take`); the session's :meth:`~dpo_workbench.ui.session.Session.begin` first
confirms, with one catalogue query per database, that the schema is still the one
reflected (otherwise it is reflected and checked again), so a column added or
removed meanwhile is seen as it would be by a fresh start.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..auth import Authenticator
from ..errors import WorkbenchError
from ..installation import Installation
from ..settings import CONFIG_ENV, load_settings

log = logging.getLogger("dpo_workbench.ui")


@dataclass
class Opened:
    """An installation and its users' check, opened for whoever logs on next."""

    path: Path
    installation: Installation
    authenticator: Authenticator
    #: The dashboard built on them (dpo_workbench.ui.app.Dashboard), if it was.
    dashboard: Any = None

    def close(self) -> None:
        self.installation.close()
        self.authenticator.close()


_opened: Opened | None = None


def open_ahead(settings_path: str | os.PathLike[str] | None = None) -> Opened | None:
    """Open the installation (default: ``$DPO_WORKBENCH_CONFIG``) for the next session.

    Returns None when there is nothing to open or it cannot be opened now (the
    error is logged; the session opens it itself and shows the error).
    """
    global _opened
    path = settings_path or os.environ.get(CONFIG_ENV)
    if not path:
        return None
    forget()
    try:
        settings = load_settings(path)
        authenticator = Authenticator(settings)
        try:
            authenticator.prepare()
            installation = Installation.open(settings.path)
        except BaseException:
            authenticator.close()
            raise
    except WorkbenchError as exc:
        log.warning("The installation could not be opened ahead of a log-on (%s)",
                    type(exc).__name__)
        return None
    _opened = Opened(Path(settings.path).resolve(), installation, authenticator)
    return _opened


def take(settings_path: str | os.PathLike[str]) -> Opened | None:
    """What was opened ahead for ``settings_path``; None when nothing was (or for
    another settings file). Taken once."""
    global _opened
    opened, _opened = _opened, None
    if opened is not None and opened.path != Path(settings_path).resolve():
        opened.close()
        return None
    return opened


def forget() -> None:
    """Close what was opened ahead, if anything."""
    global _opened
    opened, _opened = _opened, None
    if opened is not None:
        opened.close()
