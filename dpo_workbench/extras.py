"""The optional parts of the install, and a clear error when one is missing.

The library and the command line need only the core dependencies. The dashboard
needs Voila and ipywidgets (``pip install 'dpo-workbench[dashboard]'``); the analyst
notebooks need JupyterLab (``[notebooks]``). ``make run`` and ``make test`` install
everything.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from .errors import MissingExtra

#: Extra name -> the modules it provides (import names).
EXTRAS: Mapping[str, tuple[str, ...]] = {
    "dashboard": ("voila", "ipywidgets", "jupyter_server"),
    "notebooks": ("jupyterlab", "ipywidgets"),
}


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here.

    >>> missing("dashboard")
    []
    """
    out = []
    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(module)
    return out


def require(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtra` naming the install command when ``extra`` is missing."""
    absent = missing(extra)
    if absent:
        raise MissingExtra(
            f"{feature} needs {', '.join(absent)}, which is not installed; install it with "
            f"pip install 'dpo-workbench[{extra}]' (make run and make test install everything).")
