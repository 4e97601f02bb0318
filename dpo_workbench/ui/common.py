"""Helpers shared by the dashboard's views: safe handlers, escaped HTML, downloads.

Text read from the installation (names, e-mail bodies, chat transcripts) is
always put through :func:`esc` before it reaches an ``HTML`` widget, so markup or
script in it is shown as text and never interpreted by the page.
"""

from __future__ import annotations

import base64
import functools
import html
import logging
import math
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import ipywidgets as w

from ..errors import WorkbenchError

log = logging.getLogger("dpo_workbench.ui")

#: Shown for an error the dashboard did not expect; the log file has the details.
UNEXPECTED = ("Something went wrong ({kind}); nothing more was done. The details are in the "
              "dashboard's log file.")


def log_exception(exc: BaseException) -> None:
    """Log an exception's type and stack, without its message (it may hold personal data)."""
    stack = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unexpected %s in a dashboard action\n%s", type(exc).__name__, stack)


def safe(state: Any, handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a widget callback: errors become the status line, never a traceback.

    A :class:`~dpo_workbench.errors.WorkbenchError` (a refused action, invalid
    criteria, a database that does not answer) is shown as it is: its message is
    written for the DPO and holds no personal data. Anything else is logged
    (without its message) and shown as a generic failure.
    """

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except WorkbenchError as exc:
            state.say(str(exc), "error")
        except Exception as exc:  # noqa: BLE001 - the page must never get a traceback
            log_exception(exc)
            state.say(UNEXPECTED.format(kind=type(exc).__name__), "error")
        return None

    return run


def esc(value: Any, limit: int | None = None) -> str:
    """A value as escaped text for HTML (missing values are empty)."""
    text = plain(value)
    if limit is not None and len(text) > limit:
        text = text[:limit - 1] + "\u2026"
    return html.escape(text, quote=True)


def plain(value: Any) -> str:
    """A value as the DPO reads it: ISO dates, empty for missing values."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, str | bytes) and pd.isna(value) is True):
            return ""
        if isinstance(value, pd.Timestamp):
            return value.isoformat(sep=" ")
    except (TypeError, ValueError):
        pass
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def fields_table(fields: Mapping[str, Any], css: str = "dpo-fields") -> str:
    """An escaped two-column HTML table of names and values (values keep line breaks)."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in fields.items())
    return f'<table class="{css}">{rows}</table>'


def frame_table(columns: Sequence[str], rows: Iterable[Sequence[Any]],
                css: str = "dpo-frame") -> str:
    """An escaped HTML table with a header."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def download_link(name: str, data: bytes, label: str, css: str = "dpo-download") -> str:
    """An HTML link that saves ``data`` as ``name`` in the browser, from the kernel.

    The bytes travel inside a ``data:`` URL over the widget's websocket: nothing is
    written where Voila's static file route could serve it. The media type is
    always ``application/octet-stream`` so the browser saves rather than renders.
    """
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<a class="{css}" download="{html.escape(name, quote=True)}" '
            f'href="data:application/octet-stream;base64,{b64}">{html.escape(label)}</a>')


def button(description: str, css: str, *, style: str = "", tooltip: str = "",
           width: str | None = None) -> w.Button:
    """A text button (no icons: the page works offline) marked with a CSS class."""
    b = w.Button(description=description, button_style=style, tooltip=tooltip or description)
    # As wide as its label (a fixed width cut labels to "Report with attach...").
    b.layout.width = width or "auto"
    b.add_class(css)
    return b


STYLE = """
<style>
.dpo-app { font-family: sans-serif; }
.dpo-app .jupyter-button { text-overflow: clip; }
.dpo-status-error { color: #a00; font-weight: bold; white-space: pre-wrap; }
.dpo-status-success { color: #060; white-space: pre-wrap; }
.dpo-status-info { color: #333; white-space: pre-wrap; }
.dpo-status { align-self: center; }
.dpo-problem { color: #a00; font-size: 90%; }
.dpo-fields th, .dpo-frame th { text-align: left; padding: 2px 8px 2px 0; vertical-align: top;
  font-weight: 600; }
.dpo-fields td, .dpo-frame td { padding: 2px 8px 2px 0; vertical-align: top;
  white-space: pre-wrap; word-break: break-word; }
.dpo-frame { border-collapse: collapse; }
.dpo-fields, .dpo-frame, .dpo-plan, .dpo-receipt { line-height: 1.35; }
.dpo-frame td, .dpo-frame th { border-bottom: 1px solid #ddd; }
.dpo-tech { font-family: monospace; font-size: 85%; color: #666; }
.dpo-toolbar { flex-wrap: wrap; align-items: center; }
.dpo-summary { flex: 1 1 auto; }
.dpo-group { margin-top: 10px; border-top: 1px solid #ccc; padding-top: 4px; }
.dpo-group-title { flex-wrap: wrap; align-items: center; }
.dpo-group-check label { font-weight: 600; font-size: 110%; }
.dpo-table { overflow-x: auto; }
.dpo-header-row, .dpo-row { flex: 0 0 auto; }
.dpo-row { border-bottom: 1px solid #eee; }
.dpo-row:hover { background: #f5f9ff; }
.dpo-head { grid-gap: 0; gap: 0; align-items: stretch; border-bottom: 2px solid #bbb; }
.dpo-head .jupyter-button.dpo-sort { margin: 0; padding: 2px 6px; height: auto;
  min-height: 28px; line-height: 1.25; white-space: normal; text-align: left;
  overflow-wrap: anywhere;
  overflow: visible; background: #f3f3f3; font-weight: 600; border-radius: 0; }
.dpo-head .dpo-sorted-asc, .dpo-head .dpo-sorted-desc { background: #dde8f7; }
.dpo-row-cells .widget-html-content, .dpo-row-cells { line-height: 1.3; white-space: normal; }
.dpo-cells { display: grid; gap: 0; width: 100%; }
.dpo-cell { padding: 4px 6px; overflow-wrap: anywhere; word-break: break-word;
  white-space: pre-wrap; min-width: 0; }
.dpo-group-check.dpo-partly input[type=checkbox] { appearance: none; -webkit-appearance: none;
  width: 15px; height: 15px; margin: 0 4px 0 0; border: 1px solid #1a73e8; border-radius: 2px;
  background: #1a73e8 linear-gradient(#fff, #fff) center / 9px 2px no-repeat;
  vertical-align: middle; }
.dpo-note { background: #fff8e0; border: 1px solid #e0c060; padding: 6px 8px; margin: 4px 0; }
.dpo-where-chart h4 { margin: 8px 0 4px 0; }
.dpo-where-parts { display: flex; flex-wrap: wrap; gap: 8px 32px; }
.dpo-where-part { flex: 1 1 380px; max-width: 620px; }
.dpo-where-title { font-size: 90%; color: #555; margin-bottom: 2px; }
.dpo-bars { display: grid; grid-template-columns: minmax(120px, max-content) minmax(80px, 1fr)
  max-content; gap: 2px 8px; align-items: center; }
.dpo-bar-track { background: #eef1f5; height: 14px; }
.dpo-bar { background: #3b78c2; height: 14px; }
.dpo-bar-count { text-align: right; font-variant-numeric: tabular-nums; }
.dpo-plan { white-space: pre-wrap; font-family: monospace; background: #fff8f0;
  border: 1px solid #e0a060; padding: 8px; }
.dpo-receipt { white-space: pre-wrap; font-family: monospace; background: #f3fff3;
  border: 1px solid #80c080; padding: 8px; }
.dpo-plan-table, .dpo-receipt-table { border-collapse: collapse; margin: 4px 0; }
.dpo-plan-table td, .dpo-plan-table th, .dpo-receipt-table td, .dpo-receipt-table th {
  text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #e3d3c0;
  vertical-align: top; }
.dpo-plan-html, .dpo-receipt-html { white-space: normal; font-family: inherit; }
.dpo-token { font-family: monospace; font-size: 130%; font-weight: bold; }
.dpo-player-text { align-self: center; }
.dpo-playing { color: #060; font-weight: 600; }
</style>
"""
