"""Running the local platform: in a thread for tests, as a process for the demo."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from werkzeug.serving import make_server

from .app import store_of


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[str, Callable[[], None]]:
    """Serve `app` on a free loopback port in a daemon thread; return its base URL and a stop function.

    With `status_interval` set, a second thread plays the statuses and retries webhooks on time.
    """
    server = make_server(host, port, app, threaded=True)
    # A short poll interval makes stop() quick (shutdown waits for the loop to notice).
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="platform-local",
                               daemon=True)
    serving.start()
    stop_clock = start_clock(app)

    def stop() -> None:
        stop_clock()
        store_of(app).release_holds()  # held answers must not keep request threads alive
        server.shutdown()
        server.server_close()
        serving.join(timeout=5)

    return f"http://{host}:{server.server_port}", stop


def start_clock(app: Flask) -> Callable[[], None]:
    """Start the scheduler when the platform runs on a timer; return how to stop it."""
    store = store_of(app)
    interval = store.config.status_interval
    if interval is None:
        return lambda: None
    stopping = threading.Event()
    tick = min(0.5, max(0.05, interval / 4))

    def run() -> None:
        while not stopping.is_set():
            store.run_due()
            store.wakeup.wait(tick)
            store.wakeup.clear()

    clock = threading.Thread(target=run, name="platform-local-clock", daemon=True)
    clock.start()

    def stop() -> None:
        stopping.set()
        store.wakeup.set()
        clock.join(timeout=5)

    return stop
