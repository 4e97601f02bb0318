"""Where the person's data lives, as a small self-contained SVG bar chart (the zip's summary).

One bar per table that holds the person's data: its label, the items found there
and the copies of items held there. The SVG has no script, no style sheet, no font
or image from anywhere: any browser or image viewer shows it, offline. Every label
is escaped, so a label holding ``<`` or ``&`` stays text.
"""

from __future__ import annotations

import html

from .model import Report

_BAR = 22  # height of one table's row, in pixels
_LABEL = 400  # width of the labels' column (60 characters)
_WIDTH = 300  # width of the longest bar


def summary_svg(report: Report) -> str:
    """The bar chart of the items (and copies) per table, as SVG text.

    Examples
    --------
    >>> svg = summary_svg(report)
    >>> svg.startswith("<svg") and "Contact (monitoring copy)" in svg and "<script" not in svg
    True
    """
    where = report.where()
    most = max((w.items + w.copies for w in where), default=0) or 1
    height = 50 + _BAR * max(len(where), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_LABEL + _WIDTH + 120}" '
             f'height="{height}" font-family="sans-serif" font-size="12">',
             f"<title>{html.escape(f'Where the data lives: {report.installation}')}</title>",
             '<text x="4" y="16" font-weight="bold">Items per table (grey: copies of items '
             'held there)</text>']
    for i, w in enumerate(where):
        y = 30 + i * _BAR
        items = round(_WIDTH * w.items / most)
        copies = round(_WIDTH * w.copies / most)
        label = f"{w.label} ({w.location})"
        parts += [f'<text x="4" y="{y + 14}">{html.escape(label[:60])}</text>',
                  f'<rect x="{_LABEL}" y="{y + 3}" width="{items}" height="{_BAR - 6}" '
                  'fill="#4472C4"/>',
                  f'<rect x="{_LABEL + items}" y="{y + 3}" width="{copies}" '
                  f'height="{_BAR - 6}" fill="#A5A5A5"/>',
                  f'<text x="{_LABEL + items + copies + 6}" y="{y + 14}">'
                  f"{_counted(w.items, w.copies)}</text>"]
    if not where:
        parts.append('<text x="4" y="44">No item is in the report.</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _counted(items: int, copies: int) -> str:
    """``2 items``, ``1 copy``, ``2 items, 1 copy``: what a bar stands for."""
    words = [f"{n} {one if n == 1 else many}" for n, one, many in
             ((items, "item", "items"), (copies, "copy", "copies")) if n]
    return ", ".join(words) or "0 items"
