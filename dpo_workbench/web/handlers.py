"""Voila's handlers, narrowed: the dashboard page for a session, and the guarded websocket.

:class:`DashboardHandler` renders the notebook for a logged-on session only, after
checking that the user still holds the DPO right and that the caps allow one more
kernel; the session's earlier window (if any) loses its kernel first. The kernel
learns who logged on from the server: :func:`tell_kernel_who` (Voila's
``prelaunch_hook``) puts a first cell into the notebook the server executes; the
page cannot execute code, so it cannot change who the kernel serves.

:class:`GuardedKernelWebsocket` passes the page's messages through
:class:`~dpo_workbench.web.guard.PageGuard` and the kernel's through
:func:`~dpo_workbench.web.guard.kernel_verdict`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import jinja2
import nbformat
from tornado import web
from voila.exporter import VoilaExporter
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from ..errors import MessageRefused
from .gate import CLOSE_SESSION_OVER, Gate
from .guard import PROTOCOL, PageGuard, kernel_verdict
from .logon import page
from .sessions import encode_xsrf

log = logging.getLogger("dpo_workbench.web")

#: The browser tab's title; with the installation's name: "DPO Workbench \u2014 <name>".
PAGE_TITLE = "DPO Workbench"


def page_title(installation: str | None) -> str:
    """The dashboard page's title, naming the installation."""
    return f"{PAGE_TITLE} \u2014 {installation}" if installation else PAGE_TITLE


#: The kernel-side call that receives the user (see dpo_workbench.ui.served_as).
_WHO_CELL = "import dpo_workbench.ui as _dpo_ui\n_dpo_ui.served_as({user!r})\ndel _dpo_ui"


def tell_kernel_who(handler: Any, notebook: Any, cwd: str) -> Any:
    """Voila's ``prelaunch_hook``: a first cell telling the kernel its user."""
    gate: Gate = handler.settings["dpo_gate"]
    session = gate.session_of(handler.request)
    if session is None:  # the gate lets no such request through; refuse anyway
        raise web.HTTPError(403)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_WHO_CELL.format(user=session.username)))
    # For the page's Log off form (the template reads it): the session's own token.
    notebook.metadata["dpo"] = {"xsrf": encode_xsrf(session.xsrf)}
    # The browser tab names the installation (Voila's template reads metadata.title).
    notebook.metadata["title"] = handler.settings.get("dpo_page_title", PAGE_TITLE)
    return notebook


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled page templates, kept in the server's memory for its life.

    Voila makes a new exporter, with a new Jinja environment, for every page it
    renders: without this every log-on compiled the page's dozen templates again.
    Jinja compares each template's source with the one compiled, so a changed
    template is compiled anew.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


#: The server's one store of compiled templates.
COMPILED_TEMPLATES = CompiledTemplates()


class DashboardExporter(VoilaExporter):
    """Voila's exporter of the page, its templates compiled once (:class:`CompiledTemplates`)."""

    def _create_environment(self) -> jinja2.Environment:
        environment = super()._create_environment()
        environment.bytecode_cache = COMPILED_TEMPLATES
        return environment


class _SessionKernels:
    """The kernel manager as the page handler sees it: starting binds the kernel to
    the session (everything else is the manager's own)."""

    def __init__(self, manager: Any, handler: DashboardHandler):
        self._manager = manager
        self._handler = handler

    def __getattr__(self, name: str) -> Any:
        if name in ("notebook_data", "get_pool_size"):  # Voila's preheat path: not ours
            raise AttributeError(name)
        return getattr(self._manager, name)

    async def start_kernel(self, **kwargs: Any) -> str:
        kernel_id = await self._manager.start_for(**kwargs)
        self._handler.started = kernel_id
        session = self._handler.session
        if session is not None and not session.ended:
            session.kernel_id = kernel_id
        return kernel_id


class DashboardHandler(TornadoVoilaHandler):
    """The dashboard page, for a logged-on session."""

    session: Any = None
    started: str | None = None

    @property
    def gate(self) -> Gate:
        return self.settings["dpo_gate"]

    @property
    def kernel_manager(self) -> Any:
        return _SessionKernels(self.settings["kernel_manager"], self)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        messages = {
            429: "You already use the dashboard in other browsers (as many windows as "
                 "allowed). Close one, or log off there.",
            503: "The dashboard serves as many sessions as it may. Try again in a minute.",
        }
        text = messages.get(status_code, f"The page could not be shown ({status_code}).")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page("DPO workbench", f"<h2>DPO workbench</h2><p class='dpo-error'>"
                                          f"{text}</p><p><a href='{self.gate.base}login'>"
                                          "Back</a></p>"))

    async def get(self, path: str | None = None) -> None:
        gate = self.gate
        session = gate.session_of(self.request)
        if session is None:
            raise web.HTTPError(403)
        user = await gate.run(lambda: gate.auth.user(session.username))
        if user is None:
            await gate.end(session, "right_withdrawn")
            self.redirect(gate.base + "login?ended=right_withdrawn")
            return
        await gate.replace_kernel(session)
        manager = self.settings["kernel_manager"]
        others = sum(1 for s in gate.sessions.of_user(session.username)
                     if s is not session and s.kernel_id)
        manager.admit(others)  # raises 429 or 503 before anything is sent
        self.session = session
        gate.sessions.touch(session)
        try:
            async for snippet in self.get_generator(path=None):
                self.write(snippet)
                await self.flush()
        finally:
            if self.started is None:
                manager.release()
            elif session.ended or session.kernel_id != self.started:
                await gate.stop_kernel(self.started, session.ended or "replaced")


class GuardedKernelWebsocket(VoilaKernelWebsocketHandler):
    """The kernel's websocket for its own session's page, with both directions checked."""

    guard: PageGuard | None = None

    @property
    def gate(self) -> Gate:
        return self.settings["dpo_gate"]

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return PROTOCOL if PROTOCOL in subprotocols else None

    async def get(self, kernel_id: str) -> None:
        offered = self.request.headers.get("Sec-WebSocket-Protocol", "")
        if PROTOCOL not in [p.strip() for p in offered.split(",")]:
            raise web.HTTPError(400, reason="Only the v1 kernel protocol is served")
        session = self.gate.session_of(self.request)
        if session is None or session.kernel_id != kernel_id:
            raise web.HTTPError(404)
        self.guard = PageGuard()
        await super().get(kernel_id)

    async def open(self, kernel_id: str) -> None:  # type: ignore[override]
        self.gate.opened(kernel_id, self)
        await super().open(kernel_id)

    def on_close(self) -> None:
        kernel_id = getattr(self, "kernel_id", None)
        if kernel_id:
            self.gate.closed(kernel_id, self)
        super().on_close()

    def on_message(self, message: Any) -> Any:
        if self.guard is None or self.ws_connection is None \
                or self.selected_subprotocol != PROTOCOL:
            return None  # refused or closing: nothing more reaches the kernel
        try:
            checked = self.guard.check(message)
        except MessageRefused as exc:
            log.warning("refused a message from a dashboard page: %s", exc)
            self.guard = None
            self.close(1008, "message refused")
            return None
        session = self.gate.session_of(self.request)
        if session is None or session.ended:
            self.close(CLOSE_SESSION_OVER, session.ended if session else "kernel")
            return None
        if checked.user_action:
            self.gate.sessions.touch(session)
        return super().on_message(message)

    def write_message(self, message: Any, binary: bool = False) -> Any:
        verdict = kernel_verdict(message)
        if verdict.end_session:
            session = self.gate.session_of(self.request)
            if session is not None:
                asyncio.ensure_future(self.gate.end(session, verdict.end_session,
                                                    record=False))
            return None
        if not verdict.forward:
            return None
        if verdict.msg_type == "comm_msg":  # the kernel is answering: the session is in use
            session = self.gate.session_of(self.request)
            if session is not None:
                self.gate.sessions.touch(session)
        return super().write_message(message, binary)
