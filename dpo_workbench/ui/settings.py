"""The ``dashboard:`` section of the settings file (how the DPO dashboard is served and shown).

::

    dashboard:
      ip: 127.0.0.1                # address Voila listens on (keep it local; see docs/dashboard.md)
      port: 8866
      page_size: 50                # rows per page of a result group
      require_listen_reason: false # ask for a reason before a recording is played
      cull_idle_minutes: 20        # an idle dashboard kernel is shut down after this long

Every key is optional. Widget-free, so that the server can read it without ipywidgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..settings import Settings


@dataclass(frozen=True)
class DashboardSettings:
    """How the dashboard is served and shown."""

    ip: str = "127.0.0.1"
    port: int = 8866
    page_size: int = 50
    require_listen_reason: bool = False
    cull_idle_minutes: float = 20.0


def dashboard_settings(settings: Settings) -> DashboardSettings:
    """Read ``dashboard:`` from ``settings`` (every key optional).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dpo_workbench.settings import load_settings
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "w.yaml").write_text("datamap: dm.yaml\\ndatabases: {x: sqlite:///x.sqlite}\\n"
    ...                               "dashboard: {page_size: 20}\\n")
    >>> dashboard_settings(load_settings(d / "w.yaml")).page_size
    20
    """
    raw: Any = settings.extra.get("dashboard") or {}
    where = f"{settings.path}: dashboard"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a mapping (ip, port, page_size ...).")
    valid = set(DashboardSettings.__dataclass_fields__)
    unknown = sorted(set(raw) - valid)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys are "
                          f"{', '.join(sorted(valid))}.")
    d = DashboardSettings()
    try:
        out = DashboardSettings(
            ip=str(raw.get("ip", d.ip)),
            port=int(raw.get("port", d.port)),
            page_size=int(raw.get("page_size", d.page_size)),
            require_listen_reason=bool(raw.get("require_listen_reason",
                                               d.require_listen_reason)),
            cull_idle_minutes=float(raw.get("cull_idle_minutes", d.cull_idle_minutes)),
        )
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: port and page_size must be whole numbers, "
                          "cull_idle_minutes a number.") from None
    if not 1 <= out.page_size <= 500:
        raise ConfigError(f"{where}.page_size must be between 1 and 500.")
    if not 0 < out.port < 65536:
        raise ConfigError(f"{where}.port must be between 1 and 65535.")
    if out.cull_idle_minutes <= 0:
        raise ConfigError(f"{where}.cull_idle_minutes must be more than 0.")
    return out
