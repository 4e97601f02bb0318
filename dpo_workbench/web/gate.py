"""The front door: every request passes :meth:`Gate.refusal` before any handler sees it.

It refuses, in this order:

1. a ``Host`` header that is not one of this server's names (DNS rebinding);
2. an ``Origin`` that is not this server (a websocket must name one);
3. anything but the log-on page without a live session: a page is sent to the
   log-on form, everything else gets 403 (no kernel is started, listed, inspected,
   messaged or deleted for an anonymous client);
4. a kernel path (``/api/kernels/<id>...``, ``/voila/api/shutdown/<id>``) naming a
   kernel that is not the session's own: 404;
5. a state-changing request (``POST``, ``DELETE`` ...) without the session's own
   XSRF token in ``X-XSRFToken`` (the log-on and log-off forms check their form
   field themselves).

The gate also ends sessions (:meth:`Gate.end`) and runs the reaper
(:meth:`Gate.reap`) that applies the idle time-out and shuts down the kernel of a
closed window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tornado.httputil import HTTPServerRequest

from .sessions import SESSION_COOKIE, SessionStore, WebSession

if TYPE_CHECKING:
    from ..auth import Authenticator
    from .kernels import DpoKernelManager

log = logging.getLogger("dpo_workbench.web")

#: Websocket close code that tells the page its session is over (the page goes to
#: the log-on form, forgetting everything); the close reason says why.
CLOSE_SESSION_OVER = 4001
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    redirect: str = ""


@dataclass
class Timing:
    """The reaper's clock settings, in seconds."""

    #: A window (kernel websocket) gone this long ends the session: a closed window.
    #: A reload reconnects well within it.
    window_grace: float = 20.0
    #: A page rendered but never connected (no browser behind it) is stopped after this.
    connect_grace: float = 90.0
    #: A kernel busy without a window is left to finish, at most this long without a
    #: message (``dashboard: {cull_idle_minutes:}``).
    busy_limit: float = 1200.0
    reap_every: float = 5.0


def allowed_hosts(ip: str, port: int, names: Iterable[str] = ()) -> frozenset[str]:
    """The ``Host`` values this server answers to.

    Examples
    --------
    >>> sorted(allowed_hosts("127.0.0.1", 8866))
    ['127.0.0.1:8866', 'localhost:8866']
    >>> sorted(allowed_hosts("0.0.0.0", 443, ["dpo.example.org"]))
    ['dpo.example.org', 'dpo.example.org:443']
    """
    hosts: set[str] = set()
    given = [n.strip().lower() for n in names if n.strip()]
    if ip in ("127.0.0.1", "localhost"):
        given += ["127.0.0.1", "localhost"]
    elif ip == "::1":
        given += ["[::1]", "localhost"]
    elif ip not in ("0.0.0.0", "::", ""):
        given.append(f"[{ip}]" if ":" in ip else ip)
    for name in given:
        hosts.add(f"{name}:{port}")
        if port in (80, 443):
            hosts.add(name)
    return frozenset(hosts)


class Gate:
    """Sessions, the front door's rules, ending sessions, and the reaper."""

    def __init__(self, *, sessions: SessionStore, authenticator: Authenticator,
                 audit: Any, hosts: frozenset[str], tls: bool, base_url: str = "/",
                 timing: Timing | None = None):
        self.sessions = sessions
        self.auth = authenticator
        self.audit = audit  # callable(user, action, **kwargs): the audit log's record
        self.hosts = hosts
        self.tls = tls
        self.scheme = "https" if tls else "http"
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.timing = timing or Timing()
        self.kernels: DpoKernelManager | None = None  # set when Voila made it
        #: Live websocket handlers per kernel, to close them when a session ends.
        self.sockets: dict[str, set[Any]] = {}
        b = re.escape(self.base)
        self._public = re.compile(rf"^{b}(login|logout)$")
        self._kernel_path = re.compile(
            rf"^{b}(?:api/kernels|voila/api/shutdown|voila/query|voila/execution)/([^/?]*)")
        self._page = re.compile(rf"^{b}$")
        # The page's "window is closing" call carries no XSRF header; same origin only.
        self._closing = re.compile(rf"^{b}voila/api/shutdown/[^/?]+$")
        # Password checks and database reads run here, off the server's event loop.
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dpo-gate")

    async def run(self, call: Callable[[], Any]) -> Any:
        """Run a blocking call (a password check, an audit append) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    # -- the front door ------------------------------------------------------------------

    def session_of(self, request: HTTPServerRequest) -> WebSession | None:
        if not hasattr(request, "_dpo_session"):
            cookie = request.cookies.get(SESSION_COOKIE)
            request._dpo_session = self.sessions.find(cookie.value if cookie else None)
        return request._dpo_session

    def origin_ok(self, request: HTTPServerRequest, required: bool) -> bool:
        origin = request.headers.get("Origin") or request.headers.get("Sec-Websocket-Origin")
        if origin is None:
            return not required
        parts = urlsplit(origin.lower())
        return parts.scheme == self.scheme and parts.netloc == request.host.lower()

    def refusal(self, request: HTTPServerRequest) -> Refusal | None:
        """Why ``request`` must not reach any handler, or ``None`` to let it through."""
        if request.host.lower() not in self.hosts:
            return Refusal(403, "Unknown host name.")
        websocket = request.headers.get("Upgrade", "").lower() == "websocket"
        if not self.origin_ok(request, required=websocket):
            return Refusal(403, "Cross-origin request refused.")
        path = request.path
        if self._public.match(path):
            return None
        session = self.session_of(request)
        if session is None:
            if request.method in ("GET", "HEAD") and self._page.match(path):
                return Refusal(302, "Log on first.", redirect=self.base + "login")
            return Refusal(403, "Log on first.")
        match = self._kernel_path.match(path)
        if match and match.group(1) != session.kernel_id:
            return Refusal(404, "No such kernel.")
        if request.method in UNSAFE_METHODS and not self.sessions.check_xsrf(
                session, request.headers.get("X-XSRFToken")) and not (
                self._closing.match(path) and self.origin_ok(request, required=True)):
            return Refusal(403, "XSRF token missing or wrong.")
        return None

    # -- websockets ----------------------------------------------------------------------

    def opened(self, kernel_id: str, handler: Any) -> None:
        self.sockets.setdefault(kernel_id, set()).add(handler)
        owner = self.sessions.owner_of(kernel_id)
        if owner is not None:
            owner.last_connected = self.sessions.clock()

    def closed(self, kernel_id: str, handler: Any) -> None:
        self.sockets.get(kernel_id, set()).discard(handler)
        owner = self.sessions.owner_of(kernel_id)
        if owner is not None:
            owner.last_connected = self.sessions.clock()

    def close_sockets(self, kernel_id: str, reason: str) -> None:
        for handler in list(self.sockets.pop(kernel_id, ())):
            with contextlib.suppress(Exception):  # already closed
                handler.close(CLOSE_SESSION_OVER, reason)

    # -- ending --------------------------------------------------------------------------

    async def stop_kernel(self, kernel_id: str, reason: str) -> None:
        self.close_sockets(kernel_id, reason)
        if self.kernels is not None:
            await self.kernels.stop(kernel_id)

    async def end(self, session: WebSession, reason: str, *, record: bool = True) -> None:
        """End ``session`` now: its cookie stops working, its window is told, its kernel
        stops, and the audit log records the log-off (unless the kernel already did)."""
        if session.ended:
            return
        self.sessions.remove(session, reason)
        kernel_id, session.kernel_id = session.kernel_id, None
        if kernel_id:
            self.close_sockets(kernel_id, reason)  # the page leaves at once
        log.info("session %s of a user ended: %s", session.tag, reason)
        if record:
            try:
                await self.run(lambda: self.audit(session.username, "logout",
                                                  detail={"reason": reason}))
            except Exception:  # noqa: BLE001 - logging off must not fail on the audit log
                log.exception("recording a log-off in the audit log failed")
        if kernel_id:
            await self.stop_kernel(kernel_id, reason)

    async def replace_kernel(self, session: WebSession) -> None:
        """A new page of ``session``: its earlier window's kernel goes (one window each)."""
        old, session.kernel_id = session.kernel_id, None
        if old:
            await self.stop_kernel(old, "replaced")

    async def reap(self) -> None:
        """End idle sessions and closed windows; stop kernels nobody owns."""
        t = self.timing
        km = self.kernels
        now = self.sessions.clock()
        for session in self.sessions:
            kid = session.kernel_id
            busy = bool(kid and km is not None and km.busy(kid))
            if self.sessions.idle(session) and not busy:
                await self.end(session, "idle")
            elif kid is None or km is None:
                had_window = session.last_connected > session.created
                if now - session.last_connected > (t.window_grace if had_window
                                                   else t.connect_grace):
                    log.info("session %s: no window for %.0f s", session.tag,
                             now - session.last_connected)
                    await self.end(session, "window_closed")
            elif not km.connected(kid):
                away = km.disconnected_for(kid)
                limit = t.window_grace if km.ever_connected(kid) else t.connect_grace
                if away > limit and (not busy or km.quiet_for(kid) > t.busy_limit):
                    log.info("session %s: its window has been gone %.0f s", session.tag, away)
                    await self.end(session, "window_closed")
        if km is not None:
            owned = {s.kernel_id for s in self.sessions}
            for kid in km.session_kernels() - owned:
                await self.stop_kernel(kid, "ended")

    async def reap_forever(self) -> None:
        while True:
            await asyncio.sleep(self.timing.reap_every)
            try:
                await self.reap()
            except Exception:  # noqa: BLE001 - the reaper must keep running
                log.exception("the session reaper failed")

    async def close(self) -> None:
        for session in list(self.sessions):
            await self.end(session, "server_stopped")
