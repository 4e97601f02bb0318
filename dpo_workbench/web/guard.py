"""What may pass the kernel's websocket, in both directions.

The page and the kernel speak Jupyter's websocket protocol ``v1.kernel.websocket.
jupyter.org``: one binary frame per message, a table of 8-byte offsets, the channel
name, then header, parent header, metadata, content and any buffers. Jupyter
Server trusts the offset table: a frame claiming 2**40 parts made the whole server
build a list of that many numbers (it stopped answering and grew past 1 GB). So
every frame from the page is read here first, with limits, and only what the
dashboard's own page sends passes:

- ``kernel_info_request`` (empty), ``comm_close``;
- ``comm_open`` only for ``jupyter.widget.control`` with no data (the page asks for
  the widgets' states this way); the page never creates a widget in the kernel, so
  a crafted model (an image with a buffer, say) is refused;
- ``comm_msg`` with the methods ``update`` (a typed value, a ticked box),
  ``custom`` (a click), ``request_state`` and ``request_states``;
- no buffers, nothing on another channel, at most :data:`MAX_FRAME` bytes, and at
  most :data:`BURST` messages at once (refilled at :data:`RATE` a second).

From the kernel, only what draws widgets passes (:data:`TO_PAGE`): no ``stream``
(stderr carries library tracebacks), no ``error``, no ``display_data``. A
``comm_open`` for :data:`SESSION_TARGET` is the kernel telling the server that it
logged its user off (the right was withdrawn): it is taken out of the stream.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import MessageRefused

PROTOCOL = "v1.kernel.websocket.jupyter.org"
#: The largest frame the page may send (typed text is small; the page uploads nothing).
MAX_FRAME = 64 * 1024
#: Messages the page may send at once, and how many more per second.
BURST = 120
RATE = 40.0
#: Comm target the page opens to ask for every widget's state.
CONTROL_TARGET = "jupyter.widget.control"
#: Comm target the kernel opens to tell the server that its session is over.
SESSION_TARGET = "dpo.session"
FROM_PAGE = frozenset({"kernel_info_request", "comm_open", "comm_msg", "comm_close"})
COMM_METHODS = frozenset({"update", "custom", "request_state", "request_states"})
#: Message types the kernel may send to the page.
TO_PAGE = frozenset({"status", "kernel_info_reply", "comm_open", "comm_msg", "comm_close",
                     "comm_info_reply"})
_PARTS = ("header", "parent_header", "metadata", "content")


def split_frame(frame: bytes, *, max_parts: int | None = None) -> tuple[str, list[bytes]]:
    """The channel and parts of a v1 frame, checking its offset table first.

    Raises
    ------
    MessageRefused
        The offset table is malformed (too many entries, out of order or order of the
        frame), or there are more than ``max_parts`` parts.

    Examples
    --------
    >>> split_frame(frame_of("shell", [{"msg_type": "x"}, {}, {}, {}]))[0]
    'shell'
    >>> split_frame((2**40).to_bytes(8, "little") + bytes(64))
    Traceback (most recent call last):
    ...
    dpo_workbench.errors.MessageRefused: malformed frame: 1099511627776 offsets
    """
    if len(frame) < 8:
        raise MessageRefused("malformed frame: too short")
    count = int.from_bytes(frame[:8], "little")
    limit = 2 + (max_parts if max_parts is not None else 64)
    if count < 3 or count > limit or len(frame) < 8 * (count + 1):
        raise MessageRefused(f"malformed frame: {count} offsets")
    offsets = [int.from_bytes(frame[8 * (i + 1):8 * (i + 2)], "little") for i in range(count)]
    if offsets[0] != 8 * (count + 1) or offsets[-1] != len(frame) \
            or any(a > b for a, b in zip(offsets, offsets[1:], strict=False)):
        raise MessageRefused("malformed frame: offsets out of order")
    channel = frame[offsets[0]:offsets[1]].decode("ascii", "replace")
    parts = [frame[offsets[i]:offsets[i + 1]] for i in range(1, count - 1)]
    return channel, parts


def frame_of(channel: str, parts: list[Any], buffers: tuple[bytes, ...] = ()) -> bytes:
    """A v1 frame (for tests and the server's own messages): JSON parts, then buffers."""
    blobs = [json.dumps(p).encode("utf-8") for p in parts] + list(buffers)
    ch = channel.encode("ascii")
    offsets = [8 * (len(blobs) + 3)]
    offsets.append(offsets[-1] + len(ch))
    for b in blobs:
        offsets.append(offsets[-1] + len(b))
    table = len(offsets).to_bytes(8, "little") + b"".join(o.to_bytes(8, "little")
                                                          for o in offsets)
    return table + ch + b"".join(blobs)


def _json(part: bytes, name: str) -> dict[str, Any]:
    try:
        value = json.loads(part)
    except (ValueError, UnicodeDecodeError):
        raise MessageRefused(f"malformed {name}") from None
    if not isinstance(value, dict):
        raise MessageRefused(f"malformed {name}")
    return value


@dataclass
class PageMessage:
    """A checked message from the page."""

    msg_type: str
    method: str = ""  # of a comm_msg

    @property
    def user_action(self) -> bool:
        """A typed value or a click: it keeps the session from going idle."""
        return self.msg_type == "comm_msg" and self.method in ("update", "custom")


@dataclass
class PageGuard:
    """Checks every frame one page sends (one per websocket: it counts the rate)."""

    clock: Any = time.monotonic
    _tokens: float = float(BURST)
    _last: float = field(default=-1.0)

    def check(self, frame: bytes | str) -> PageMessage:
        """The checked message, or :class:`MessageRefused` saying why not."""
        if not isinstance(frame, bytes):
            raise MessageRefused("text frames are not accepted (protocol v1 only)")
        if len(frame) > MAX_FRAME:
            raise MessageRefused(f"frame of {len(frame)} bytes, more than {MAX_FRAME}")
        self._take_token()
        channel, parts = split_frame(frame, max_parts=len(_PARTS))
        if len(parts) != len(_PARTS):
            raise MessageRefused("buffers are not accepted from the page")
        if channel != "shell":
            raise MessageRefused(f"channel {channel[:20]!r} is not accepted")
        header, _parent, _meta, content = (_json(p, n) for p, n in zip(parts, _PARTS,
                                                                        strict=True))
        msg_type = header.get("msg_type")
        if msg_type not in FROM_PAGE:
            raise MessageRefused(f"message type {str(msg_type)[:40]!r} is not accepted")
        return self._check_content(str(msg_type), content)

    def _take_token(self) -> None:
        now = self.clock()
        if self._last >= 0:
            self._tokens = min(float(BURST), self._tokens + (now - self._last) * RATE)
        self._last = now
        if self._tokens < 1:
            raise MessageRefused("too many messages")
        self._tokens -= 1

    @staticmethod
    def _check_content(msg_type: str, content: dict[str, Any]) -> PageMessage:
        if msg_type == "kernel_info_request":
            if content:
                raise MessageRefused("kernel_info_request with content")
            return PageMessage(msg_type)
        comm_id = content.get("comm_id")
        if not isinstance(comm_id, str) or not 0 < len(comm_id) <= 64:
            raise MessageRefused("malformed comm_id")
        data = content.get("data", {})
        if not isinstance(data, dict):
            raise MessageRefused("malformed comm data")
        if msg_type == "comm_open":
            if content.get("target_name") != CONTROL_TARGET or data:
                raise MessageRefused("the page may not create widgets or comms")
            return PageMessage(msg_type)
        if msg_type == "comm_close":
            return PageMessage(msg_type)
        method = data.get("method")
        if method not in COMM_METHODS:
            raise MessageRefused(f"comm method {str(method)[:40]!r} is not accepted")
        if method == "update" and (not isinstance(data.get("state"), dict)
                                   or data.get("buffer_paths", []) != []):
            raise MessageRefused("malformed update")
        return PageMessage(msg_type, str(method))


@dataclass
class KernelVerdict:
    """What to do with a kernel's message: pass it on, drop it, or end the session."""

    forward: bool
    end_session: str = ""  # the reason the kernel gave, when it ended its session
    msg_type: str = ""


def kernel_verdict(frame: bytes | str) -> KernelVerdict:
    """Whether a kernel's message may reach the page.

    Examples
    --------
    >>> kernel_verdict(frame_of("iopub", [{"msg_type": "stream"}, {}, {}, {}])).forward
    False
    >>> kernel_verdict(frame_of("iopub", [{"msg_type": "comm_msg"}, {}, {}, {}])).forward
    True
    """
    if not isinstance(frame, bytes):
        try:
            msg = json.loads(frame)
        except ValueError:
            return KernelVerdict(False)
        header, content = msg.get("header") or {}, msg.get("content") or {}
    else:
        try:
            _channel, parts = split_frame(frame)
            header = _json(parts[0], "header")
            content = _json(parts[3], "content") if _needs_content(header) else {}
        except (MessageRefused, IndexError):
            return KernelVerdict(False)
    msg_type = str(header.get("msg_type"))
    if msg_type not in TO_PAGE:
        return KernelVerdict(False, msg_type=msg_type)
    if msg_type == "comm_open" and content.get("target_name") == SESSION_TARGET:
        data = content.get("data") or {}
        reason = str(data.get("reason", "kernel"))[:40] if isinstance(data, dict) else "kernel"
        return KernelVerdict(False, end_session=reason or "kernel", msg_type=msg_type)
    return KernelVerdict(True, msg_type=msg_type)


def _needs_content(header: dict[str, Any]) -> bool:
    return header.get("msg_type") == "comm_open"
