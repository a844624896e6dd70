"""Find the installed Chromium/Chrome/Edge and drive it headless to render a page.

The detail page must be rendered by a real browser engine at exactly the
platform's width. We talk to the system browser over the DevTools protocol
(a WebSocket on 127.0.0.1, port chosen by the browser), using only the
standard library: no Playwright, no browser download (shops are often
offline), and the same code on Windows, macOS and Linux — a
`--remote-debugging-pipe` would need inherited fds 3/4, which Python cannot
hand to a child on Windows.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

BROWSER_ENV = "IMGPIPE_BROWSER"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "msedge")

# Flags for a headless run as root, with no network and no trace left behind.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
    "--force-device-scale-factor=1",
    "--force-color-profile=srgb",
)

# Captured in bands this tall: one huge capture can exceed the compositor's
# texture limits on long pages (30+ selling points are > 20 000 px).
CAPTURE_BAND_PX = 4096
START_TIMEOUT_S = 30.0
LOAD_TIMEOUT_S = 60.0


def _standard_install_paths() -> list[Path]:
    """Where Chrome, Edge and Chromium install themselves on Windows and macOS."""
    paths: list[Path] = []
    if sys.platform == "win32":
        roots = [os.environ.get(v) for v in ("ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA")]
        for root in filter(None, roots):
            base = Path(root)
            paths += [
                base / "Google" / "Chrome" / "Application" / "chrome.exe",
                base / "Microsoft" / "Edge" / "Application" / "msedge.exe",
                base / "Chromium" / "Application" / "chrome.exe",
            ]
    elif sys.platform == "darwin":
        for apps in (Path("/Applications"), Path.home() / "Applications"):
            paths += [
                apps / "Google Chrome.app" / "Contents" / "MacOS" / "Google Chrome",
                apps / "Chromium.app" / "Contents" / "MacOS" / "Chromium",
                apps / "Microsoft Edge.app" / "Contents" / "MacOS" / "Microsoft Edge",
            ]
    return paths


def find_browser() -> Path | None:
    """The installed Chromium-family browser, or None.

    Order: $IMGPIPE_BROWSER (a path or a command name; "none" turns slices
    off), then chromium,
    chromium-browser, google-chrome, google-chrome-stable, msedge on PATH,
    then the standard Windows/macOS install folders.
    """
    wanted = os.environ.get(BROWSER_ENV, "").strip()
    if wanted.lower() == "none":  # explicitly off: HTML pages only, no slices
        return None
    if wanted:
        path = Path(wanted).expanduser()
        if path.is_file():
            return path
        found = shutil.which(wanted)
        if found:
            return Path(found)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for path in _standard_install_paths():
        if path.is_file():
            return path
    return None


def browser_install_hint() -> str:
    """How to get a browser for the slices, for the platform we run on."""
    if sys.platform.startswith("linux"):
        return t("detail.browser_missing.fix_linux", env=BROWSER_ENV)
    return t("detail.browser_missing.fix_other", env=BROWSER_ENV)


class _WebSocket:
    """The client half of RFC 6455, just enough for DevTools on 127.0.0.1.

    Text frames out (masked, as clients must), text frames in (possibly
    fragmented), pings answered. No Origin header is sent: Chromium only
    checks --remote-allow-origins when one is present.
    """

    def __init__(self, host: str, port: int, path: str, timeout: float):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise ConnectionError(f"DevTools refused the WebSocket: {status.decode(errors='replace')}")

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        # our messages are small commands, so a plain loop is fast enough
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text: str) -> None:
        self._send_frame(0x1, text.encode("utf-8"))

    def recv_text(self) -> str:
        parts: list[bytes] = []
        while True:
            b0, b1 = self._read(2)
            opcode, fin = b0 & 0x0F, b0 & 0x80
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            parts.append(payload)
            if fin:
                return b"".join(parts).decode("utf-8")

    def close(self) -> None:
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class BrowserSession:
    """One headless browser with one page, for rendering local HTML files.

    Use as a context manager; the browser process and its temporary profile
    folder are removed on exit.

        with BrowserSession(browser) as session:
            session.open(Path("page/index.html"), width=790)
            session.evaluate("document.title")
            image = session.screenshot()
    """

    def __init__(self, browser: Path, *, timeout: float = LOAD_TIMEOUT_S):
        self.browser = Path(browser)
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self.ws: _WebSocket | None = None
        self.profile_dir: str | None = None
        self.session_id: str | None = None
        self.width = 0
        self._next_id = 0
        self._events: list[dict] = []

    # -- life cycle ---------------------------------------------------------

    def __enter__(self) -> "BrowserSession":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        self.profile_dir = tempfile.mkdtemp(prefix="imgpipe-browser-")
        args = [
            str(self.browser),
            *HEADLESS_FLAGS,
            f"--user-data-dir={self.profile_dir}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--window-size=800,600",
            "about:blank",
        ]
        self._stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr
            )
        except OSError as exc:
            self.close()
            raise ImgpipeError(
                t("detail.browser_failed", detail=exc), file=self.browser, fix=browser_install_hint()
            ) from None
        try:
            port, path = self._wait_for_port()
            self.ws = _WebSocket("127.0.0.1", port, path, timeout=self.timeout)
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session_id = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self.call("Page.enable", session=True)
            self.call("Runtime.enable", session=True)
        except BaseException:
            self.close()
            raise

    def _wait_for_port(self) -> tuple[int, str]:
        """The browser writes its DevTools port and path into the profile folder."""
        assert self.proc is not None and self.profile_dir is not None
        port_file = Path(self.profile_dir) / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ImgpipeError(
                    t("detail.browser_failed", detail=self._stderr_tail()),
                    file=self.browser, fix=browser_install_hint(),
                )
            try:
                lines = port_file.read_text(encoding="ascii").split()
            except (FileNotFoundError, UnicodeDecodeError):
                lines = []
            if len(lines) >= 2:
                return int(lines[0]), lines[1]
            time.sleep(0.05)
        raise ImgpipeError(
            t("detail.browser_failed", detail=f"no DevTools port after {START_TIMEOUT_S:g} s"),
            file=self.browser, fix=browser_install_hint(),
        )

    def _stderr_tail(self) -> str:
        try:
            self._stderr.seek(0)
            lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
            return " / ".join(lines[-3:]) or f"exit status {self.proc.returncode if self.proc else '?'}"
        except (OSError, ValueError):
            return "?"

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.call("Browser.close")
            except (OSError, ConnectionError, ImgpipeError, ValueError):
                pass
            self.ws.close()
            self.ws = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            self.proc = None
        if getattr(self, "_stderr", None) is not None:
            self._stderr.close()
            self._stderr = None
        if self.profile_dir:
            # the browser may hold files a moment longer on Windows
            for _ in range(10):
                shutil.rmtree(self.profile_dir, ignore_errors=True)
                if not os.path.exists(self.profile_dir):
                    break
                time.sleep(0.2)
            self.profile_dir = None

    # -- protocol -----------------------------------------------------------

    def call(self, method: str, *, session: bool = False, **params) -> dict:
        """Send one DevTools command and return its result (events are kept)."""
        if self.ws is None:
            raise ConnectionError("browser is not running")
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session_id
        self.ws.send_text(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv_text())
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise ImgpipeError(t("detail.browser_failed", detail=f"{method}: {reply['error'].get('message')}"))
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method and event.get("sessionId") == self.session_id:
                    return self._events.pop(i)
            if time.monotonic() > deadline:
                raise ImgpipeError(t("detail.browser_failed", detail=f"timed out waiting for {method}"))
            assert self.ws is not None
            message = json.loads(self.ws.recv_text())
            if "method" in message:
                self._events.append(message)

    # -- pages --------------------------------------------------------------

    def open(self, html_path: Path, width: int) -> None:
        """Load a local HTML file at `width` CSS px (device scale 1), fonts and images ready."""
        self.width = int(width)
        self.call(
            "Emulation.setDeviceMetricsOverride", session=True,
            width=self.width, height=800, deviceScaleFactor=1, mobile=False,
        )
        self._events.clear()
        # as_uri percent-encodes Chinese and space characters correctly
        url = Path(html_path).resolve().as_uri()
        result = self.call("Page.navigate", session=True, url=url)
        if result.get("errorText"):
            raise ImgpipeError(t("detail.browser_failed", detail=result["errorText"]), file=html_path)
        self.wait_event("Page.loadEventFired", self.timeout)
        self.evaluate(
            "(async () => { await document.fonts.ready;"
            " await Promise.all(Array.from(document.images, i => i.decode().catch(() => null)));"
            " return true; })()"
        )

    def evaluate(self, expression: str):
        """Run JavaScript in the page; returns its (awaited) value as JSON data."""
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression,
            awaitPromise=True, returnByValue=True,
        )
        if "exceptionDetails" in result:
            detail = result["exceptionDetails"].get("exception", {}).get("description") or result["exceptionDetails"].get("text")
            raise ImgpipeError(t("detail.browser_failed", detail=f"script error: {detail}"))
        return result.get("result", {}).get("value")

    def page_height(self) -> int:
        return int(self.evaluate(
            "Math.ceil(Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0))"
        ))

    def screenshot(self):
        """The whole page as a PIL "RGB" image, `width` px wide, full height, scale 1."""
        from PIL import Image

        height = max(1, self.page_height())
        # The viewport becomes the whole page, so every band is on screen and
        # layout does not change between bands.
        self.call(
            "Emulation.setDeviceMetricsOverride", session=True,
            width=self.width, height=height, deviceScaleFactor=1, mobile=False,
        )
        full = Image.new("RGB", (self.width, height), "white")
        for top in range(0, height, CAPTURE_BAND_PX):
            band = min(CAPTURE_BAND_PX, height - top)
            data = self.call(
                "Page.captureScreenshot", session=True, format="png", fromSurface=True,
                captureBeyondViewport=False, optimizeForSpeed=True,
                clip={"x": 0, "y": top, "width": self.width, "height": band, "scale": 1},
            )["data"]
            with Image.open(io.BytesIO(base64.b64decode(data))) as part:
                part = part.convert("RGB")
                if part.size != (self.width, band):
                    raise ImgpipeError(t(
                        "detail.browser_failed",
                        detail=f"captured {part.size[0]}x{part.size[1]}, expected {self.width}x{band}",
                    ))
                full.paste(part, (0, top))
        self.call(
            "Emulation.setDeviceMetricsOverride", session=True,
            width=self.width, height=800, deviceScaleFactor=1, mobile=False,
        )
        return full


def screenshot_page(html_path: Path, width: int, browser: Path):
    """Render `html_path` in headless `browser` at exactly `width` CSS px, device scale 1.

    Returns the full page (every pixel row, no scrollbar) as a PIL "RGB" image
    `width` px wide. Raises ImgpipeError when the browser cannot start or load it.
    """
    with BrowserSession(browser) as session:
        session.open(html_path, width)
        return session.screenshot()
