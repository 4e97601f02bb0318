"""The dashboard's real web server as a child process, and a small HTTP/websocket client.

Used by the security and browser tests: the server is started the way
``python -m dpo_workbench.serve`` starts it (its command and environment come from
:func:`dpo_workbench.serve.prepare`), on a free port, with Jupyter's folders in a
temporary folder.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from dpo_workbench.serve import Options, prepare
from dpo_workbench.web.guard import PROTOCOL, frame_of

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def require_chromium() -> None:
    """Skip the test without Debian's chromium (fail instead with DPO_REQUIRE_BROWSER)."""
    import pytest

    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("DPO_REQUIRE_BROWSER"):
            pytest.fail(f"{reason}; DPO_REQUIRE_BROWSER is set")
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    dashboard_log: Path
    tls: ssl.SSLContext | None = None

    def kernels(self) -> list[str]:
        """The kernel ids of the server's running kernel processes."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != self.proc.pid:
                    continue
                cmd = (stat.parent / "cmdline").read_bytes().decode("utf-8", "replace")
            except (OSError, IndexError, ValueError):
                continue
            match = re.search(r"kernel-([0-9a-f-]{36})\.json", cmd)
            if "ipykernel" in cmd and match:
                found.append(match.group(1))
        return found

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024

    def client(self) -> Client:
        return Client(self.url, self.tls)


@contextmanager
def running_server(settings: Path, folder: Path, *, options: Options | None = None,
                   extra: tuple[str, ...] = (), timeout: float = 120.0) -> Iterator[Server]:
    """Serve ``settings`` on a free port until the block ends."""
    options = options or Options()
    port = free_port()
    private = folder / "private"
    private.mkdir(parents=True)
    serving = prepare(settings, "127.0.0.1", port, private, folder / "dashboard.log", options)
    log = folder / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*serving.command, *extra], env=serving.env, cwd=private,
                                stdout=out, stderr=subprocess.STDOUT)
    context = None
    if options.certfile is not None:
        context = ssl.create_default_context(cafile=str(options.certfile))
    server = Server(serving.url, port, proc, log, folder / "dashboard.log", context)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server stopped:\n{log.read_text()}")
            try:
                if server.client().get("/login")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer:\n{log.read_text()}")
            time.sleep(0.3)
        yield server
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server process: SIGTERM (it shuts its kernels down), then SIGKILL."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Client:
    """An HTTP client with its own cookies (no automatic redirects)."""

    base: str
    tls: ssl.SSLContext | None = None
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: dict[str, str] | None = None,
                headers: dict[str, str] | None = None,
                timeout: float = 60) -> tuple[int, http.client.HTTPMessage, str]:
        parts = urlsplit(self.base)
        if self.tls is not None:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=timeout, context=self.tls)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent.setdefault("Origin", self.origin)
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "expires=thu, 01 jan 1970" in header.lower() \
                    or "max-age=0" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.headers, text

    @property
    def origin(self) -> str:
        return self.base.rstrip("/")

    def get(self, path: str, **kwargs: Any) -> tuple[int, http.client.HTTPMessage, str]:
        return self.request("GET", path, **kwargs)

    def log_on(self, user: str = "dpo", password: str = "dpo-demo") -> int:
        """Fill in and send the log-on form; returns the status (303 when logged on)."""
        for _ in range(10):
            status, _h, page = self.get("/login")
            token = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
            status, headers, _ = self.request("POST", "/login", {
                "_xsrf": token, "username": user, "password": password})
            if status != 429:
                return status
            time.sleep(float(headers.get("Retry-After", "1")))  # an earlier test's failure
        return status

    def page(self) -> tuple[int, str, str | None]:
        """``GET /``: the status, the page and the kernel id in it."""
        status, _h, text = self.get("/")
        match = re.search(r'"kernelId": "([0-9a-f-]+)"', text)
        return status, text, match.group(1) if match else None

    def xsrf_header(self) -> dict[str, str]:
        return {"X-XSRFToken": self.cookies.get("_xsrf", ""), "Origin": self.origin}

    async def websocket(self, kernel_id: str, *, origin: str | None = "",
                        protocol: bool = True) -> Any:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if origin is not None:
            headers["Origin"] = origin or self.origin
        scheme = "wss" if self.tls is not None else "ws"
        url = (f"{scheme}://{urlsplit(self.base).netloc}/api/kernels/{kernel_id}/channels"
               f"?session_id={uuid.uuid4().hex}")
        request = HTTPRequest(url, headers=headers, ssl_options=self.tls)
        return await websocket_connect(request, subprotocols=[PROTOCOL] if protocol else None)


def message(msg_type: str, content: dict[str, Any], *, channel: str = "shell",
            buffers: tuple[bytes, ...] = ()) -> bytes:
    """A v1 frame as the page's code sends it (comm_open with the widget protocol's
    version in its metadata)."""
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": "t",
              "username": "", "version": "5.4", "date": "2026-01-01T00:00:00Z"}
    metadata = {"version": "1.0.0"} if msg_type == "comm_open" else {}
    return frame_of(channel, [header, {}, metadata, content], buffers)


async def read_all(ws: Any, seconds: float) -> list[bytes | str]:
    """Every message the server sends within ``seconds`` (stops when it closes)."""
    got: list[bytes | str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await asyncio.wait_for(ws.read_message(), left)
        except TimeoutError:
            break
        if msg is None:
            break
        got.append(msg)
    return got


def parts_of(frame: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and content of a v1 frame the server sent."""
    from dpo_workbench.web.guard import split_frame

    _, parts = split_frame(frame)
    return json.loads(parts[0]), json.loads(parts[3])


def self_signed(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path] | None:
    """A self-signed certificate and key for ``host`` (openssl), or None without openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", str(key), "-out", str(cert), "-days", "2",
                        "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}"],
                       check=True, capture_output=True, timeout=60,
                       env=dict(os.environ, RANDFILE=str(folder / ".rnd")))
    except (OSError, subprocess.SubprocessError):
        return None
    return cert, key
