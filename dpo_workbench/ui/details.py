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
from .labels import Labels
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


def _named(label: str, name: str, technical: bool) -> str:
    return f"{label} ({name})" if technical and name != label else label


def details_html(d: Details, labels: Labels | None = None, technical: bool = False) -> str:
    """The item's fields, lookups, child rows and copies as escaped HTML, labelled.

    With ``labels`` every table and column is named by the datamap's label; with
    ``technical`` the technical names follow in brackets, and the item's reference.
    """
    spec = labels.datamap.table(d.table_id) if labels is not None else None
    title = spec.title if spec is not None else d.group_title
    ref = f' <span class="dpo-tech">{esc(str(d.ref))}</span>' if technical or spec is None \
        else ""
    parts = [f"<h3>{esc(title)}{ref}</h3>"]
    if spec is not None:
        parts.append(fields_table({_named(spec.column_label(k), k, technical): v
                                   for k, v in d.fields.items()}))
    else:
        parts.append(fields_table(d.fields))
    for name, values in d.lookups.items():
        lk = labels.lookup(spec, name) if labels is not None and spec is not None else None
        heading = _named(lk.title, name, technical) if lk is not None else name
        parts.append(f"<h4>{esc(heading)}</h4>")
        if values and lk is not None:
            values = {_named(lk.column_label(k), k, technical): v for k, v in values.items()}
        parts.append(fields_table(values) if values else "<i>not found</i>")
    for name, df in d.children.items():
        ch = labels.child(spec, name) if labels is not None and spec is not None else None
        heading = _named(ch.title, name, technical) if ch is not None else name
        parts.append(f"<h4>{esc(heading)} ({len(df)})</h4>")
        if len(df):
            columns = list(df.columns)
            heads = ([_named(ch.column_label(c), c, technical) for c in columns]
                     if ch is not None else columns)
            parts.append(frame_table(heads, df.itertuples(index=False, name=None)))
    if d.copies:
        copies = [(labels.ref(c) if labels is not None else str(c))
                  + (f" ({c})" if technical and labels is not None else "") for c in d.copies]
        parts.append("<h4>Also held in</h4><ul>" + "".join(f"<li>{esc(c)}</li>"
                                                           for c in copies) + "</ul>")
    return "".join(parts)


def file_label(info: FileInfo, labels: Labels | None, technical: bool) -> str:
    """A file as the DPO reads it: what it is (the column's label) and its name."""
    what = (labels.column(info.owner.database, info.owner.table, info.column)
            if labels is not None else info.column)
    owner = labels.ref(info.owner) if labels is not None else str(info.owner)
    text = f"{what} of the {owner[:1].lower()}{owner[1:]}" if labels is not None \
        else f"{what} of {owner}"
    if technical:
        text += f" ({info.owner} {info.column})"
    return text


def audio_seconds(data: bytes) -> float | None:
    """The length of a WAV recording in seconds (None for other formats)."""
    import io
    import wave

    try:
        with wave.open(io.BytesIO(data)) as wav:
            rate = wav.getframerate()
            return wav.getnframes() / rate if rate else None
    except (wave.Error, EOFError, OSError):
        return None


def clock(seconds: float | None) -> str:
    """``(0:42)``; empty when the length is unknown."""
    if seconds is None:
        return ""
    s = round(seconds)
    return f" ({s // 60}:{s % 60:02d})"


class Player:
    """A recording, with Play and Stop: it says "Playing ..." only while it plays.

    The page cannot tell the kernel when a browser's own audio controls start or
    stop, so the player has no such controls: **Play** sends the recording to the
    page to be played at once, **Stop** takes it away, and the text follows. After
    the recording's length it says "Ready" again (when the kernel has an event loop).
    """

    def __init__(self, data: bytes, fmt: str, what: str, seconds: float | None):
        self.data, self.what, self.seconds = data, what, seconds
        self.text = w.HTML("")
        self.text.add_class("dpo-player-text")
        self.audio = w.Audio(value=b"", format=fmt, autoplay=True, controls=False, loop=False)
        self.audio.add_class("dpo-audio")
        self.play = button("Play", "dpo-play", style="success")
        self.stop = button("Stop", "dpo-stop")
        self.play.on_click(lambda _b: self.start())
        self.stop.on_click(lambda _b: self.halt())
        self.widget = w.VBox([w.HBox([self.play, self.stop, self.text]), self.audio])
        self.widget.add_class("dpo-player-box")
        self._timer: Any = None
        self.halt()

    def start(self) -> None:
        """Play from the start (the page gets the recording with autoplay)."""
        self.audio.value = b""
        self.audio.value = self.data
        self.text.value = f'<span class="dpo-playing">Playing {esc(self.what)}</span>'
        self.play.disabled, self.stop.disabled = True, False
        self._after(self.seconds)

    def halt(self) -> None:
        """Stop (the page drops the recording); ready to play again."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.audio.value = b""
        self.text.value = (f'<span class="dpo-ready">Ready: {esc(self.what)}. '
                           "Press Play.</span>")
        self.play.disabled, self.stop.disabled = False, True

    def _after(self, seconds: float | None) -> None:
        import asyncio

        if seconds is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (plain Python): Stop says it
        self._timer = loop.call_later(seconds + 0.3, self.halt)


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
        #: The status line sits here while this view is shown (beside the files).
        self.message_slot = w.HBox([])
        self.message_slot.add_class("dpo-message-slot")
        self.widget = w.VBox([self.back, self.body, self.files, self.message_slot, self.player])
        self.widget.add_class("dpo-details-view")
        state.observe(self._on_details, "details")
        state.observe(self._on_technical, "technical")
        if state.details is not None:  # built after the item was opened
            self._on_details({"new": state.details})

    def _on_technical(self, _change: Any) -> None:
        d = self.state.details
        if d is not None:
            self.body.value = details_html(d, self.state.labels, self.state.technical)

    def _on_details(self, change: Any) -> None:
        d: Details | None = change["new"]
        self.player.children = []
        self.reason.value = ""
        if d is None:
            self.body.value = ""
            self.files.children = []
            return
        self.body.value = details_html(d, self.state.labels, self.state.technical)
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
        what = file_label(info, self.state.labels, self.state.technical)
        label = w.HTML(f"<b>{esc(what)}</b>: {esc(info.name)} ({esc(_size(info.size))}){state}")
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
            seconds = audio_seconds(data) if media in ("audio/x-wav", "audio/wav") else None
            what = file_label(info, self.state.labels, False) + clock(seconds)
            return Player(data, _AUDIO_FORMATS.get(media, "wav"), what, seconds).widget
        if action == "show" and media in _IMAGE_FORMATS:
            image = w.Image(value=data, format=_IMAGE_FORMATS[media],
                            layout=w.Layout(max_width="400px"))
            image.add_class("dpo-image")
            return w.VBox([w.HTML(esc(info.name)), image])
        link = w.HTML(download_link(info.name, data, f"Save {info.name} ({_size(len(data))})",
                                    css="dpo-file-link"))
        return link
