"""The web server's log-on sessions: the cookie, the XSRF token, the one kernel, the clock.

A session is made by the log-on form (:mod:`.logon`) after the installation's users
said yes. The browser holds only a random token in an ``HttpOnly``,
``SameSite=Strict`` cookie; the server keeps a hash of it with the user, the
session's XSRF token, its kernel and when it was last used. Nothing in the page can
name another user or another session's kernel.

Examples
--------
>>> now = [100.0]
>>> store = SessionStore(idle_seconds=60, clock=lambda: now[0])
>>> cookie, s = store.create("dpo", "Demo DPO", "127.0.0.1")
>>> store.find(cookie) is s and store.find("forged") is None
True
>>> store.check_xsrf(s, encode_xsrf(s.xsrf)), store.check_xsrf(s, encode_xsrf(new_xsrf()))
(True, False)
>>> now[0] += 61; store.idle(s)
True
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

#: The cookie holding the session's random token (``HttpOnly``, ``SameSite=Strict``).
SESSION_COOKIE = "dpo_session"
#: The cookie holding the XSRF token that every state-changing request echoes in a
#: header (``X-XSRFToken``, as the Voila page's own code sends it) or form field.
XSRF_COOKIE = "_xsrf"

Clock = Callable[[], float]


def new_xsrf() -> bytes:
    """A fresh random XSRF token (raw bytes)."""
    return os.urandom(16)


def encode_xsrf(raw: bytes) -> str:
    """``raw`` in Tornado's masked "version 2" form (what Jupyter's page code reads).

    Examples
    --------
    >>> raw = new_xsrf(); decode_xsrf(encode_xsrf(raw)) == raw
    True
    """
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(raw))
    return "|".join(["2", mask.hex(), masked.hex(), str(int(time.time()))])


def decode_xsrf(text: str | bytes | None) -> bytes | None:
    """The raw token of a version-2 XSRF value, or ``None`` when it is not one.

    Examples
    --------
    >>> decode_xsrf("2|zz|00|1") is None and decode_xsrf(None) is None
    True
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    if not text or len(text) > 200:
        return None
    parts = text.split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = binascii.unhexlify(parts[1]), binascii.unhexlify(parts[2])
    except (binascii.Error, ValueError):
        return None
    if len(mask) != 4 or not masked:
        return None
    return bytes(b ^ mask[i % 4] for i, b in enumerate(masked))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(eq=False)
class WebSession:
    """One log-on: who, from where, since when, and the one kernel its window uses."""

    key: str  # the SHA-256 of the cookie's token (the token itself is never kept)
    username: str
    display_name: str
    client: str
    created: float
    last_activity: float
    xsrf: bytes = field(default_factory=new_xsrf, repr=False)
    kernel_id: str | None = None
    #: When the session last had a connected window (its kernel's websocket).
    last_connected: float = 0.0
    ended: str = ""  # why it ended ("" while it lives)

    @property
    def tag(self) -> str:
        """A short name for logs (not enough to find the cookie)."""
        return self.key[:8]


class SessionStore:
    """The live sessions of the web server, by cookie and by kernel.

    Parameters
    ----------
    idle_seconds : float
        A session without activity this long is over (``auth: {idle_minutes:}``).
    clock : callable
        Seconds; tests pass a fake one.
    """

    def __init__(self, *, idle_seconds: float, clock: Clock = time.time):
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._by_key: dict[str, WebSession] = {}

    def __iter__(self) -> Iterator[WebSession]:
        return iter(list(self._by_key.values()))

    def __len__(self) -> int:
        return len(self._by_key)

    def create(self, username: str, display_name: str, client: str) -> tuple[str, WebSession]:
        """A new session; returns the cookie's token (give it to the browser only)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        session = WebSession(_hash(token), username, display_name, client, now, now,
                             last_connected=now)
        self._by_key[session.key] = session
        return token, session

    def find(self, token: str | bytes | None) -> WebSession | None:
        """The live session of a cookie's token, else ``None`` (also when it is idle)."""
        if not token:
            return None
        if isinstance(token, bytes):
            token = token.decode("ascii", "replace")
        session = self._by_key.get(_hash(token))
        if session is None or session.ended or self.idle(session):
            return None
        return session

    def idle(self, session: WebSession) -> bool:
        return self.clock() - session.last_activity > self.idle_seconds

    def touch(self, session: WebSession) -> None:
        """Someone did something in the session's window (a page load, a widget event)."""
        session.last_activity = self.clock()

    def owner_of(self, kernel_id: str) -> WebSession | None:
        for session in self._by_key.values():
            if session.kernel_id == kernel_id:
                return session
        return None

    def of_user(self, username: str) -> list[WebSession]:
        return [s for s in self._by_key.values() if s.username == username]

    def remove(self, session: WebSession, reason: str) -> None:
        """Forget ``session``: its cookie finds nothing from now on."""
        session.ended = session.ended or reason
        self._by_key.pop(session.key, None)

    @staticmethod
    def check_xsrf(session: WebSession, value: str | bytes | None) -> bool:
        """True when ``value`` (a header or form field) carries this session's XSRF token.

        A pair of cookie and header made up by the client does not pass: the token
        is the session's own, kept by the server.
        """
        raw = decode_xsrf(value)
        return raw is not None and hmac.compare_digest(raw, session.xsrf)
