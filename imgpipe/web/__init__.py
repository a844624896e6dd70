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


def url_for(host: str, port: int, token: str | None) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
          open_browser: bool = False, watch: bool = False, say=print) -> None:
    """Run the workbench until Ctrl-C. A non-loopback `host` without `token` gets a new token, printed in the URL."""
    import uvicorn

    from imgpipe.web.app import create_app

    stop = threading.Event()
    app = create_app(root, token=token, host=host, watching=watch)
    state = app.state.web
    url = url_for(host, port, state.token)
    say(t("web.serving", url=url))
    if state.token and not token:
        say(t("web.token_generated"))
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
    try:
        # the pages keep an event stream open: give it 3 s on Ctrl-C instead of waiting for the browser
        uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
    finally:
        stop.set()
        if watcher:
            watcher.join(timeout=30)
