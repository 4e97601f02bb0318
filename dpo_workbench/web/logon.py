"""Logging on and off in the web server, before any kernel exists.

``GET /login`` shows a plain HTML form (no script, nothing from outside); ``POST
/login`` checks the user name and password against the installation's users
(:class:`dpo_workbench.auth.Authenticator`: throttled per user name and client
address, and per address), records ``login`` or ``login_failed`` in the audit log,
and on success sets the session cookie and sends the browser to the dashboard.
``POST /logout`` ends the session: its kernel is shut down and the page is gone.

Jupyter Server learns who is logged on from :class:`DpoIdentityProvider` (the
session of the request's cookie), and :class:`OwnKernelAuthorizer` lets a session
use its own kernel only.
"""

from __future__ import annotations

import hmac
import html
import logging
from functools import partial
from typing import Any

from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web

from ..errors import LogonError
from .gate import Gate
from .sessions import SESSION_COOKIE, XSRF_COOKIE, decode_xsrf, encode_xsrf, new_xsrf

log = logging.getLogger("dpo_workbench.web")

#: Content-Security-Policy of the server's own pages: nothing but inline style.
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
#: Why a session ended, as the log-on page tells it (``?ended=...``).
ENDED = {
    "user": "You are logged off.",
    "idle": "You were logged off because the dashboard was not used for a while.",
    "window_closed": "Your session ended when its window was closed.",
    "replaced": "The dashboard was opened in another window; this one was closed.",
    "right_withdrawn": "You no longer hold the right to use the DPO workbench; logged off.",
    "server_stopped": "The dashboard's server was stopped; log on again.",
    "kernel": "Your session ended.",
    "expired": "The form had expired; try again.",
}
_STYLE = """body{font-family:sans-serif;margin:3em auto;max-width:28em;color:#222}
label{display:block;margin:.8em 0 .2em}input[type=text],input[type=password]{width:100%;
padding:.4em;box-sizing:border-box}button{margin-top:1em;padding:.4em 1.2em}
.dpo-error{color:#a00;font-weight:bold}.dpo-info{color:#333}"""


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML page (``body`` is already escaped HTML)."""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>")


def _message(text: str, kind: str = "info") -> str:
    return f'<p class="dpo-{kind} dpo-status">{html.escape(text)}</p>' if text else ""


class DpoHandler(web.RequestHandler):
    """The server's own pages: security headers, the gate, small helpers."""

    @property
    def gate(self) -> Gate:
        return self.settings["dpo_gate"]

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", PAGE_CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self) -> None:
        """Each form checks its own token (see the handlers)."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish(page("DPO workbench", "<h2>DPO workbench</h2>" + _message(
            f"The request was refused ({status_code}).", "error")))

    def set_cookie_safely(self, name: str, value: str, *, httponly: bool) -> None:
        self.set_cookie(name, value, path=self.gate.base, httponly=httponly,
                        secure=self.gate.tls, samesite="Strict")


class LoginHandler(DpoHandler):
    """The log-on form, and checking it."""

    _checking: set[str] = set()  # client addresses whose attempt is being checked now

    def get(self) -> None:
        ended = ENDED.get(self.get_query_argument("ended", ""), "")
        self.show(ended)

    def show(self, message: str = "", kind: str = "info", username: str = "",
             status: int = 200) -> None:
        gate = self.gate
        session = gate.session_of(self.request)
        self.set_status(status)
        if session is not None:  # already logged on: say so, offer both ways on
            self.finish(page("DPO workbench", (
                f"<h2>DPO workbench</h2>{_message(message, kind)}"
                f"<p>Logged on as <b>{html.escape(session.display_name)}</b> "
                f"({html.escape(session.username)}).</p>"
                f'<p><a href="{html.escape(gate.base)}" class="dpo-open">Open the dashboard</a>'
                f"</p>{logout_form(gate.base, encode_xsrf(session.xsrf))}")))
            return
        token = new_xsrf()
        self.set_cookie_safely(XSRF_COOKIE, encode_xsrf(token), httponly=True)
        self.finish(page("Log on - DPO workbench", (
            f"<h2>DPO workbench</h2>{_message(message, kind)}"
            f'<form method="post" action="{html.escape(gate.base)}login" class="dpo-logon">'
            f'<input type="hidden" name="_xsrf" value="{html.escape(encode_xsrf(token))}">'
            '<p>Use your contact-centre user name and password. Only users holding the '
            "DPO right can log on.</p>"
            '<label for="username">User name</label>'
            f'<input type="text" id="username" name="username" autocomplete="username" '
            f'value="{html.escape(username)}" autofocus>'
            '<label for="password">Password</label>'
            '<input type="password" id="password" name="password" '
            'autocomplete="current-password">'
            '<button type="submit">Log on</button></form>')))

    async def post(self) -> None:
        gate = self.gate
        if gate.session_of(self.request) is not None:
            self.redirect(gate.base, status=303)
            return
        form = decode_xsrf(self.get_body_argument("_xsrf", ""))
        cookie = decode_xsrf(self.get_cookie(XSRF_COOKIE))
        if form is None or cookie is None or not hmac.compare_digest(form, cookie):
            self.show(ENDED["expired"], "error", status=403)
            return
        username = self.get_body_argument("username", "")[:200]
        password = self.get_body_argument("password", "")[:1000]
        client = self.request.remote_ip or "unknown"
        if client in self._checking:  # one attempt at a time per address
            self.show("A log-on from your address is being checked; wait a moment.",
                      "error", username, status=429)
            return
        self._checking.add(client)
        try:
            user = await gate.run(partial(gate.auth.log_on, username, password, client=client))
        except LogonError as exc:
            await gate.run(partial(self._record_failure, username, exc))
            if exc.retry_after:
                self.set_header("Retry-After", str(max(1, round(exc.retry_after))))
            self.show(str(exc), "error", username.strip(),
                      status=429 if exc.reason == "throttled" else 403)
            return
        finally:
            self._checking.discard(client)
        token, session = gate.sessions.create(user.username, user.display_name, client)
        await gate.run(partial(gate.audit, user.username, "login"))
        self.set_cookie_safely(SESSION_COOKIE, token, httponly=True)
        # The page's own code reads this one and sends it back in X-XSRFToken.
        self.set_cookie_safely(XSRF_COOKIE, encode_xsrf(session.xsrf), httponly=False)
        log.info("session %s started", session.tag)
        self.redirect(gate.base, status=303)

    def _record_failure(self, username: str, exc: LogonError) -> None:
        if exc.reason in ("empty", "throttled"):
            return
        name = username.strip()
        known = bool(name) and len(name) <= 200 and self.gate.auth.user_exists(name)
        # A typed name that is no user may be anything (even a password typed in the
        # wrong field): it is not written to the audit log.
        self.gate.audit(name if known else "(unknown)", "login_failed",
                        detail={"reason": exc.reason})


def logout_form(base: str, xsrf: str) -> str:
    """The Log off button: a form posting the session's XSRF token."""
    return (f'<form method="post" action="{html.escape(base)}logout" class="dpo-logoff-form">'
            f'<input type="hidden" name="_xsrf" value="{html.escape(xsrf)}">'
            '<button type="submit" class="dpo-logoff">Log off</button></form>')


class LogoutHandler(DpoHandler):
    """``POST /logout`` ends the session (its kernel too); ``GET`` shows the log-on page."""

    def get(self) -> None:
        self.redirect(self.gate.base + "login")

    async def post(self) -> None:
        gate = self.gate
        session = gate.session_of(self.request)
        if session is not None:
            token = self.get_body_argument("_xsrf", None) or self.request.headers.get(
                "X-XSRFToken")
            if not gate.sessions.check_xsrf(session, token):
                raise web.HTTPError(403)
            await gate.end(session, "user")
        self.clear_cookie(SESSION_COOKIE, path=gate.base)
        self.clear_cookie(XSRF_COOKIE, path=gate.base)
        self.redirect(gate.base + "login?ended=user", status=303)


class WindowClosedHandler(DpoHandler):
    """``POST /voila/api/shutdown/<kernel>``: the page says its window is closing.

    The page sends it without an XSRF header (it is sent while the page unloads); the
    gate has checked that it comes from this server's own origin and names the
    session's own kernel, which is all it can do: stop that kernel now. The session
    itself ends a little later unless a new page of it connects (a reload).
    """

    async def post(self, kernel_id: str) -> None:
        gate = self.gate
        session = gate.session_of(self.request)
        if session is not None and session.kernel_id == kernel_id:
            session.kernel_id = None
            session.last_connected = gate.sessions.clock()
            if gate.kernels is not None:  # the page is going anyway: no 4001 to send it
                await gate.kernels.stop(kernel_id)
        self.set_status(204)
        self.finish()


class RefusedHandler(DpoHandler):
    """What the gate answers instead of the handler a refused request asked for."""

    def initialize(self, status: int, message: str, redirect: str = "") -> None:
        self.status, self.message, self.target = status, message, redirect

    def prepare(self) -> None:
        if self.target:
            self.redirect(self.target)
            return
        self.set_status(self.status)
        self.finish(page("DPO workbench", "<h2>DPO workbench</h2>" + _message(self.message,
                                                                              "error")))


class DpoIdentityProvider(IdentityProvider):
    """Jupyter Server's view of the session: the user the log-on form let in."""

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    def get_user(self, handler: web.RequestHandler) -> User | None:
        gate: Gate | None = handler.settings.get("dpo_gate")
        session = gate.session_of(handler.request) if gate is not None else None
        if session is None:
            return None
        return User(username=session.username, name=session.display_name,
                    display_name=session.display_name)

    def get_handlers(self) -> list[tuple[str, object]]:
        return []  # the log-on handlers are the server's own (see DpoVoila.init_handlers)

    def validate_security(self, app: Any, ssl_options: Any = None) -> None:
        """Nothing to check: there is no token or shared password."""

    def should_check_origin(self, handler: web.RequestHandler) -> bool:
        return True

    def is_token_authenticated(self, handler: web.RequestHandler) -> bool:
        return False


class OwnKernelAuthorizer(Authorizer):
    """A logged-on session may use its own kernel and nothing else."""

    def is_authorized(self, handler: web.RequestHandler, user: Any, action: str,
                      resource: str) -> bool:
        gate: Gate | None = handler.settings.get("dpo_gate")
        session = gate.session_of(handler.request) if gate is not None else None
        if user is None or session is None:
            return False
        kernel_id = handler.path_kwargs.get("kernel_id")
        return kernel_id is None or kernel_id == session.kernel_id
