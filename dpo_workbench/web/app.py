"""The dashboard's web server: Voila with log-on in front of every kernel.

``python -m dpo_workbench.web NOTEBOOK [--Voila.* ...]`` is what
``python -m dpo_workbench.serve`` starts (with Jupyter's folders private to it and
the settings path in ``DPO_WORKBENCH_CONFIG``). :class:`DpoVoila` is Voila's own
application with these parts replaced:

- every request first passes the :class:`~dpo_workbench.web.gate.Gate` (host,
  origin, session, kernel owner, XSRF), in :class:`FrontDoor`;
- log-on and log-off are the server's own pages (:mod:`.logon`); Jupyter Server
  gets the user from :class:`~.logon.DpoIdentityProvider`;
- the page route serves only ``/`` and only to a session (:mod:`.handlers`); kernels
  come from :class:`~.kernels.DpoKernelManager` (warm pool, caps);
- the kernel websocket is guarded both ways (:mod:`.guard`);
- the page template is ``dpo`` (no CDN, a Log off button; see ``share/``);
- TLS with the server's own certificate (``--DpoVoila.certfile``/``keyfile``).
"""

from __future__ import annotations

import logging
import os
import shutil
import ssl
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import tornado.ioloop
import tornado.web
from jupyter_server.utils import url_path_join
from traitlets import Float, List, Unicode
from voila import notebook_renderer
from voila.app import Voila
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import AllowListFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from ..settings import CONFIG_ENV, load_settings
from .gate import Gate, Timing, allowed_hosts
from .handlers import (
    DashboardExporter,
    DashboardHandler,
    GuardedKernelWebsocket,
    page_title,
    tell_kernel_who,
)
from .kernels import DpoKernelManager
from .logon import (
    DpoIdentityProvider,
    LoginHandler,
    LogoutHandler,
    OwnKernelAuthorizer,
    RefusedHandler,
    WindowClosedHandler,
)
from .sessions import SessionStore

log = logging.getLogger("dpo_workbench.web")

#: Where the ``dpo`` page template lives (a Jupyter data folder).
SHARE = Path(__file__).resolve().parent / "share"
#: The dashboard page's Content-Security-Policy: nothing from another origin.
DASHBOARD_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                 "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                 "media-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
                 "object-src 'none'; frame-ancestors 'none'; form-action 'self'; "
                 "base-uri 'self'")
#: The largest request body (the log-on form; the page uploads nothing).
MAX_BODY = 64 * 1024


class FrontDoor(tornado.web.Application):
    """Tornado's application, asking the gate before it routes anything."""

    def __init__(self, gate: Gate, *args: Any, **kwargs: Any):
        self.gate = gate
        super().__init__(*args, **kwargs)

    def find_handler(self, request: Any, **kwargs: Any) -> Any:
        refusal = self.gate.refusal(request)
        if refusal is not None:
            return self.get_handler_delegate(request, RefusedHandler, {
                "status": refusal.status, "message": refusal.message,
                "redirect": refusal.redirect})
        return super().find_handler(request, **kwargs)


class DpoVoila(Voila):
    """Voila, serving the dashboard notebook to logged-on sessions only."""

    certfile = Unicode("", config=True, help="TLS certificate (PEM); with keyfile: HTTPS.")
    keyfile = Unicode("", config=True, help="The certificate's private key (PEM).")
    hostnames = List(Unicode(), config=True,
                     help="Host names the server answers to besides its address.")
    window_grace = Float(20.0, config=True,
                         help="Seconds a closed window's session lives on (a reload returns).")
    connect_grace = Float(90.0, config=True,
                          help="Seconds a rendered page has to connect to its kernel.")
    busy_limit = Float(1200.0, config=True,
                       help="Seconds a busy kernel without a window may go without output.")
    reap_every = Float(5.0, config=True, help="Seconds between the reaper's rounds.")

    gate: Gate

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        for handler in self.log.handlers:  # the server's own messages beside Voila's
            log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
        self.voila_configuration.prelaunch_hook = tell_kernel_who
        # Voila's page renderer makes its exporter from this name, for every page.
        notebook_renderer.VoilaExporter = DashboardExporter
        self.identity_provider_class = DpoIdentityProvider
        self.authorizer_class = OwnKernelAuthorizer
        settings = load_settings(os.environ[CONFIG_ENV])
        self.installation_name = settings.name
        from ..audit import Action, open_audit_log
        from ..auth import Authenticator

        audit_log = open_audit_log(settings)
        audit_lock = threading.Lock()

        def audit(user: str, action: str, **kwargs: Any) -> None:
            with audit_lock:
                audit_log.record(user, Action(action), **kwargs)

        self.gate = Gate(
            sessions=SessionStore(idle_seconds=settings.auth.idle_minutes * 60),
            authenticator=Authenticator(settings), audit=audit,
            hosts=allowed_hosts(self.ip, self.port, self.hostnames),
            tls=bool(self.certfile), base_url=self.base_url,
            timing=Timing(self.window_grace, self.connect_grace, self.busy_limit,
                          self.reap_every))

    def _url(self, ip: str) -> str:
        host = f"[{ip}]" if ":" in ip else ip
        return f"{'https' if self.certfile else 'http'}://{host}:{self.port}{self.base_url}"

    def init_settings(self) -> dict[str, Any]:
        settings = super().init_settings()
        settings.update(
            dpo_gate=self.gate,
            dpo_page_title=page_title(self.installation_name),
            headers={"Content-Security-Policy": DASHBOARD_CSP, "X-Frame-Options": "DENY",
                     "Referrer-Policy": "same-origin"},
            websocket_max_message_size=1024 * 1024,
            xsrf_cookie_kwargs={"samesite": "Strict", "secure": bool(self.certfile)},
        )
        return settings

    def init_handlers(self) -> list[Any]:
        base = self.server_url
        handlers: list[Any] = [(url_path_join(base, "login"), LoginHandler),
                               (url_path_join(base, "logout"), LogoutHandler)]
        for pattern, cls, *rest in super().init_handlers():
            if cls is AllowListFileHandler:
                continue  # no file is served from the notebook's folder
            if cls is TornadoVoilaHandler:
                handlers.append((url_path_join(base, "/"), DashboardHandler, *rest))
            elif cls is VoilaKernelWebsocketHandler:
                handlers.append((pattern, GuardedKernelWebsocket, *rest))
            elif cls is VoilaShutdownKernelHandler:
                handlers.append((url_path_join(base, r"/voila/api/shutdown/([^/?]+)"),
                                 WindowClosedHandler))
            else:  # the kernel API, static files: the gate lets only the owner reach them
                handlers.append((pattern, cls, *rest))
        return handlers

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.certfile:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.certfile, self.keyfile or None)
        return context

    def start(self) -> None:
        self.connection_dir = tempfile.mkdtemp(prefix="voila_", dir=self.connection_dir_root)
        settings = self.init_settings()
        self.app = FrontDoor(self.gate, **settings)
        self.app.settings.update(self.tornado_settings)
        self.app.add_handlers(".*$", self.init_handlers())
        self.gate.kernels = self.kernel_manager
        try:
            self.app.listen(self.port, self.ip, ssl_options=self.ssl_context(),
                            max_body_size=MAX_BODY, xheaders=False)
        except OSError as exc:
            self.log.critical("The dashboard cannot listen on %s:%s (%s).", self.ip, self.port,
                              exc.strerror)
            self.exit(1)
        self.log.info("Voilà is running at:\n%s", self.display_url)
        self.ioloop = tornado.ioloop.IOLoop.current()
        self.ioloop.add_callback(self.kernel_manager.fill_pool)
        self.ioloop.add_callback(self.gate.reap_forever)
        try:
            self.ioloop.start()
        except KeyboardInterrupt:
            self.log.info("Stopping...")
        finally:
            self.stop()

    def stop(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            run_sync(self.gate.close)()
        finally:
            shutil.rmtree(self.connection_dir, ignore_errors=True)
            run_sync(self.kernel_manager.close)()


def main(argv: list[str] | None = None) -> None:
    """Start the server (arguments as Voila's, plus ``--DpoVoila.*``)."""
    paths = os.environ.get("JUPYTER_PATH", "")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(SHARE), paths) if p)
    defaults = ["--VoilaConfiguration.template=dpo",
                f"--VoilaConfiguration.multi_kernel_manager_class="
                f"{DpoKernelManager.__module__}.{DpoKernelManager.__name__}",
                "--VoilaConfiguration.preheat_kernel=False",
                "--VoilaConfiguration.allow_template_override=NO",
                "--VoilaConfiguration.allow_theme_override=NO",
                "--no-browser"]
    args = list(sys.argv[1:] if argv is None else argv)
    given = {a.split("=", 1)[0] for a in args}
    DpoVoila.launch_instance(argv=[d for d in defaults if d.split("=", 1)[0] not in given]
                             + args)
