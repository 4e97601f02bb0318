"""The details view: every field of one item, its looked-up rows, child rows, copies, files.

Values are shown as escaped text (an e-mail body holding ``<script>`` shows the
tag, it does not run). Files can be listened to (recordings), shown (plain
images) or downloaded; each read goes through :meth:`DashboardState.read_file`,
which checks it and has it audit-logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from ..details import Details
from ..files import FileInfo
from .common import button, download_link, esc, fields_table, frame_table, safe
from .model import DashboardState

_IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif",
                  "image/webp": "webp"}
_AUDIO_FORMATS = {"audio/x-wav": "wav", "audio/wav": "wav", "audio/mpeg": "mp3",
                  "audio/ogg": "ogg", "audio/mp4": "mp4", "audio/webm": "webm"}


def _size(n: int | None) -> str:
    if n is None:
        return "size unknown"
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return ""  # pragma: no cover


def details_html(d: Details) -> str:
    """The item's fields, lookups, child rows and copies as escaped HTML."""
    parts = [f"<h3>{esc(d.group_title)}: {esc(str(d.ref))}</h3>", fields_table(d.fields)]
    for name, values in d.lookups.items():
        parts.append(f"<h4>{esc(name)}</h4>")
        parts.append(fields_table(values) if values else "<i>not found</i>")
    for name, df in d.children.items():
        parts.append(f"<h4>{esc(name)} ({len(df)})</h4>")
        if len(df):
            parts.append(frame_table(list(df.columns), df.itertuples(index=False, name=None)))
    if d.copies:
        parts.append("<h4>Copies</h4><ul>" + "".join(f"<li>{esc(str(c))}</li>"
                                                     for c in d.copies) + "</ul>")
    return "".join(parts)


class DetailsView:
    """One item in full, with a ``<`` back to the list."""

    def __init__(self, state: DashboardState):
        self.state = state
        self.back = button("<", "dpo-back-details", tooltip="Back to the results", width="40px")
        self.back.on_click(safe(state, lambda _b: state.close_details()))
        self.body = w.HTML("")
        self.body.add_class("dpo-details-body")
        self.reason = w.Text(description="Reason", placeholder="why you listen to the recording",
                             layout=w.Layout(width="500px"))
        self.reason.add_class("dpo-listen-reason")
        self.files = w.VBox([])
        self.files.add_class("dpo-files")
        self.player = w.VBox([])
        self.player.add_class("dpo-player")
        self.widget = w.VBox([self.back, self.body, self.files, self.player])
        self.widget.add_class("dpo-details-view")
        state.observe(self._on_details, "details")

    def _on_details(self, change: Any) -> None:
        d: Details | None = change["new"]
        self.player.children = []
        self.reason.value = ""
        if d is None:
            self.body.value = ""
            self.files.children = []
            return
        self.body.value = details_html(d)
        rows: list[w.Widget] = []
        if d.files:
            rows.append(w.HTML("<h4>Files</h4>"))
            if self.state.listen_reason_required and any(f.kind == "audio"
                                                                for f in d.files):
                rows.append(self.reason)
        for info in d.files:
            rows.append(self._file_row(info))
        self.files.children = rows

    def _file_row(self, info: FileInfo) -> w.Widget:
        state = "" if info.exists else f" &mdash; <i>{esc(info.problem or 'missing')}</i>"
        label = w.HTML(f"{esc(info.name)} ({esc(info.kind)}, {esc(_size(info.size))}){state}")
        buttons: list[w.Widget] = []
        if info.kind == "audio":
            listen = button("Listen", "dpo-listen")
            listen.on_click(safe(self.state, self._action(info, "play")))
            buttons.append(listen)
        show = button("Show", "dpo-show")
        show.on_click(safe(self.state, self._action(info, "show")))
        download = button("Download", "dpo-file-download")
        download.on_click(safe(self.state, self._action(info, "download")))
        buttons += [show, download]
        for b in buttons:
            b.disabled = not info.exists
        return w.HBox([*buttons, label])

    def _action(self, info: FileInfo, action: str) -> Callable[[Any], None]:
        def run(_b: Any) -> None:
            self.player.children = []
            reason = self.reason.value if action == "play" else None
            data = self.state.read_file(info, action, reason)
            self.player.children = [self._player(info, action, data)]

        return run

    def _player(self, info: FileInfo, action: str, data: bytes) -> w.Widget:
        media = info.media_type
        if action == "play" and info.kind == "audio":
            player = w.Audio(value=data, format=_AUDIO_FORMATS.get(media, "wav"),
                             autoplay=False, controls=True, loop=False)
            player.add_class("dpo-audio")
            return w.VBox([w.HTML(f"Playing {esc(info.name)}"), player])
        if action == "show" and media in _IMAGE_FORMATS:
            image = w.Image(value=data, format=_IMAGE_FORMATS[media],
                            layout=w.Layout(max_width="400px"))
            image.add_class("dpo-image")
            return w.VBox([w.HTML(esc(info.name)), image])
        link = w.HTML(download_link(info.name, data, f"Save {info.name} ({_size(len(data))})",
                                    css="dpo-file-link"))
        return link
