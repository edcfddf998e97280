"""The application under a real HTTP server (werkzeug, threaded), for
tests/hardening/test_crash_safety.py, which kills it with SIGKILL.

    python -m tests.support.crash_server '<json job>'

Job: {"config": {...}, "port": 5123, "pause_in_issue": "/path/marker" or null}.
With "pause_in_issue", the process stops for good right after an issue has taken its
number, inside the issue's transaction (the marker file then holds the number): the
deterministic "middle" the test kills it in. The application code is not changed: the hook
wraps domain.numbering.next_number in this process only.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(job: dict) -> None:
    from werkzeug.serving import make_server

    from app import create_app

    if job.get("pause_in_issue"):
        from domain.billing import numbering

        take_number = numbering.next_number
        marker = Path(job["pause_in_issue"])

        def next_number_then_hang(*args, **kwargs):
            number = take_number(*args, **kwargs)
            marker.write_text(number)
            time.sleep(3600)  # killed here, the transaction still open
            return number

        numbering.next_number = next_number_then_hang

    app = create_app(job["config"])
    server = make_server("127.0.0.1", job["port"], app, threaded=True)
    print("SERVING", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    from tests.support import clock

    clock.start()  # the run's clock, from the environment
    main(json.loads(sys.argv[1]))
