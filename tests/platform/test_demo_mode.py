"""The platform as the demo runs it: on a timer, pushing webhooks, keeping its state in a file,
and started with `python -m platform_local`. Waits are on events (webhook arrivals, the CLI's
first line), each with a generous upper bound, never a sleep hoping something happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from output.platform import PlatformClient, flow_info_for_invoice, parse_status_message
from platform_local import PlatformConfig, create_platform_app, serve_in_thread, store_of
from tests.support.platform import ROOT_DIR, WEBHOOK_SECRET, LocalPlatform


@pytest.fixture
def pa_config(tmp_path):
    return {"status_interval": 0.05, "state_file": str(tmp_path / "platform.json")}


def test_statuses_play_by_themselves_and_are_pushed(pa, client, receiver, make_cii):
    pa.control("POST", "/webhooks", {"url": receiver.url, "secret": WEBHOOK_SECRET})
    data = make_cii("F-2027-0900")
    submitted = client.submit_flow(flow_info_for_invoice(data, tracking="demo-0900", filename="f.xml"), data, "f.xml")
    # ack Ok, then 200, 202, 203, 204, 205: six changes, pushed as they happen
    assert receiver.wait_for(lambda r: len(r.accepted) == 6, timeout=30)
    statuses = [d.flow for d in receiver.accepted if d.flow.flow_direction == "In"]
    codes = [parse_status_message(client.get_flow(f.flow_id, "Original").data).statuses[0].status for f in statuses]
    assert codes == [200, 202, 203, 204, 205]
    assert client.get_flow(submitted.flow_id).ack_status == "Ok"
    stamps = [d.flow.updated_at for d in receiver.accepted]
    assert stamps == sorted(stamps)


def test_the_state_file_survives_a_restart(pa, client, tmp_path, make_cii):
    data = make_cii("F-2027-0901")
    client.submit_flow(flow_info_for_invoice(data, tracking="demo-0901", filename="f.xml"), data, "f.xml")
    path = pa.store.config.state_file
    assert os.path.exists(path)
    app = create_platform_app(PlatformConfig(state_file=path))  # manual mode: nothing moves by itself
    base_url, stop = serve_in_thread(app)
    try:
        again = LocalPlatform(base_url=base_url, store=store_of(app), http=pa.http)
        with PlatformClient(again.settings()) as other:
            [flow] = other.find_by_tracking_id("demo-0901")
            assert other.get_flow(flow.flow_id, "Original").data == data
    finally:
        stop()


def test_python_m_platform_local(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "platform_local", "--port", "0", "--interval", "0"],
                               cwd=ROOT_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = process.stdout.readline()  # blocks until the server is listening
        assert first.startswith("Plateforme locale sur http://127.0.0.1:")
        base_url = first.split()[-1]
        platform = LocalPlatform(base_url=base_url, store=None, http=None)  # type: ignore[arg-type]
        with PlatformClient(platform.settings()) as client:
            assert client.healthcheck() and client.lookup_siren("200000008").receives
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        process.stdout.close()
    assert process.returncode == 0
