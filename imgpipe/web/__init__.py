"""The workbench: `imgpipe serve`, a local web page over the same core as the CLI.

app.py (routes), security.py (token, CSRF, safe paths), jobs.py (background
work and its events), thumbs.py (cached thumbnails), uploads.py (dropped
photos into inbox/), templates/ and static/ (plain HTML, CSS, a little JS).
"""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path

from imgpipe.messages import t


def lan_address() -> str:
    """This PC's address on its network (the one colleagues can reach), or 127.0.0.1 when there is none."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # UDP: picks the outgoing interface, sends nothing
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def check_port(host: str, port: int) -> None:
    """ImgpipeError naming the address when it cannot be listened on (taken, or not this PC's)."""
    import socket

    from imgpipe.errors import ImgpipeError

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no conflict
            s.bind((host, port))
    except OSError as exc:
        raise ImgpipeError(t("web.port_taken", host=host, port=port, detail=exc.strerror or exc),
                           field="port", fix=t("web.port_taken.fix", port=port)) from None


def url_for(host: str, port: int, token: str | None) -> str:
    """The address to print: a wildcard host (0.0.0.0, ::) is shown as this PC's network address."""
    shown = lan_address() if host in ("0.0.0.0", "", "::") else host
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
          open_browser: bool = False, watch: bool = False, say=print) -> None:
    """Run the workbench until Ctrl-C. A non-loopback `host` without `token` gets a new token, printed in the URL."""
    import uvicorn

    from imgpipe.web.app import create_app

    check_port(host, port)
    stop = threading.Event()
    app = create_app(root, token=token, host=host, watching=watch)
    state = app.state.web
    url = url_for(host, port, state.token)
    say(t("web.serving", url=url))
    from imgpipe.netfs import network_warning

    shared = network_warning(state.root)
    if shared:  # SQLite on a share can be corrupted: one PC serves, the others use the browser
        say(t("web.netfs", message=shared[0], fix=shared[1]))
    if state.token and not token:
        say(t("web.token_generated", port=port))
    watcher = None
    if watch:
        from imgpipe.watch import watch as watch_folder
        from imgpipe.workspace import Workspace

        def run_watcher():
            try:
                watch_folder(Workspace.open(state.root), stop_event=stop)
            except Exception as exc:  # another watcher holds the workspace: say so, keep serving
                say(t("web.watch_failed", detail=exc))

        watcher = threading.Thread(target=run_watcher, name="imgpipe-watch", daemon=True)
        watcher.start()
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame):
            state.closing.set()  # open pages' event streams end now instead of holding the shutdown
            super().handle_exit(sig, frame)

    try:
        Server(uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)).run()
    finally:
        stop.set()
        if watcher:
            watcher.join(timeout=30)
