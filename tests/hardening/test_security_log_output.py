"""The security audit is written where an operator reads it: under `make run` (flask run) and
under gunicorn (`make serve`), as configured by the app itself, in a real process.

The app is started the way the Makefile starts it, with CSRF on and nothing configured by a
test runner; a real browser session (requests) logs in, changes its password, adds a user,
logs out and signs up; the process's stderr must hold one INFO line for each.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.config import TEST_PASSWORD
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]* value="([^"]+)"', html).group(1)


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read()}")
        try:
            requests.get(url, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise AssertionError("server did not start")


def _browse(base: str) -> None:
    """What a person does: each step writes one security event."""
    s = requests.Session()
    token = _token(s.get(f"{base}/login").text)
    r = s.post(f"{base}/login", data={"email": "artisan@test.example.fr", "password": TEST_PASSWORD,
                                      "csrf_token": token}, allow_redirects=False)
    assert r.status_code == 303, r.text
    token = _token(s.get(f"{base}/").text)  # the session's token (the logout form carries it)
    s.post(f"{base}/settings/password", data={"csrf_token": token, "current_password": TEST_PASSWORD,
                                              "new_password": "nouveau-secret-2026", "confirm": "nouveau-secret-2026"})
    s.post(f"{base}/settings/users", data={"csrf_token": token, "name": "Léa", "email": "lea@example.fr",
                                           "password": "provisoire-2026", "role": "staff"})
    s.post(f"{base}/logout", data={"csrf_token": token})
    token = _token(s.get(f"{base}/signup").text)
    s.post(f"{base}/signup", data={"csrf_token": token, "company_name": "Élec Martin", "name": "Paul",
                                   "email": "paul@elec.example.fr", "password": "une phrase de passe",
                                   "password_confirm": "une phrase de passe"})


def _run(command: list[str], env: dict, base: str) -> str:
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        _wait_for(f"{base}/login", proc)
        _browse(base)
        time.sleep(0.3)  # let the last lines reach the pipe
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
    return err


@pytest.fixture
def server_env(db_url, world, smtp_server):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENCAISSE_", "FLASK_"))}
    env.update(SECRET_KEY="log-test-secret", DATABASE_URL=db_url, MAIL_SERVER="127.0.0.1",
               MAIL_PORT=str(smtp_server.port), PYTHONUNBUFFERED="1")
    return env


EXPECTED = ("INFO encaisse.security login ok user=", "INFO encaisse.security password changed user=",
            "INFO encaisse.security user added user=", "INFO encaisse.security logout user=",
            "INFO encaisse.security signup ")


def _assert_audit(err: str) -> None:
    for expected in EXPECTED:
        assert expected in err, (expected, err[-3000:])
    assert TEST_PASSWORD not in err and "nouveau-secret-2026" not in err


def test_make_run_writes_the_security_events(server_env):
    port = free_port()
    err = _run([str(VENV_BIN / "flask"), "--app", "app", "run", "--host", "127.0.0.1", "--port", str(port),
                "--no-debugger", "--no-reload"], server_env, f"http://127.0.0.1:{port}")
    _assert_audit(err)


def test_gunicorn_writes_the_security_events(server_env):
    port = free_port()
    # gunicorn is production: the app needs its public address and trusted host names.
    env = {**server_env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1",
           "ENCAISSE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "ENCAISSE_TRUSTED_HOSTS": '["127.0.0.1"]'}
    err = _run([str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:create_app()"], env,
               f"http://127.0.0.1:{port}")
    _assert_audit(err)
