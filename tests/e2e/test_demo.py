"""The demonstration as a newcomer runs it: ``scripts/demo.py`` (what ``scripts/serve`` ends with) starts the
provider and both reference portals, prints their addresses and the demo credentials, and Ctrl-C stops
every process it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.served import ROOT, free_port

PORTAL_PORTS = (5001, 5002)  # idp.demo.seed.DEMO_PORTALS
STARTUP_SECONDS = 60


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_the_demo_starts_three_servers_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    if any(listening(port) for port in PORTAL_PORTS):
        pytest.skip("the demo portals' ports 5001 and 5002 are taken on this machine")
    port = free_port()
    environ = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("IDP_", "PORTAL_"))},
        "IDP_INSTANCE_PATH": str(tmp_path),
        "IDP_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    migrate = [sys.executable, "-c", "from idp.cli import main; main()", "db", "upgrade"]
    subprocess.run(migrate, env=environ, cwd=ROOT, check=True, capture_output=True)
    demo = subprocess.Popen(
        [sys.executable, "scripts/demo.py", "--port", str(port)],
        env=environ,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        printed = read_until(demo, "Sign in at one portal", STARTUP_SECONDS)
        assert f"provider   http://127.0.0.1:{port}/" in printed
        for portal_port in PORTAL_PORTS:
            assert f"portal     http://127.0.0.1:{portal_port}/" in printed
        assert "PIN 001084000123" in printed and "oathtool --totp -b JBSWY3DPEHPK3PXPDEMOVNEIDLOTUS22" in printed
        for url in (f"http://127.0.0.1:{port}/login", *(f"http://127.0.0.1:{p}/" for p in PORTAL_PORTS)):
            assert requests.get(url, timeout=5).status_code == 200
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while any(listening(p) for p in (port, *PORTAL_PORTS)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(listening(p) for p in (port, *PORTAL_PORTS)), "a server outlived the demo"
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


def read_until(process: subprocess.Popen[str], marker: str, seconds: float) -> str:
    """What the process printed up to the line holding *marker*; fails when it exits or takes too long."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + seconds
    while not any(marker in line for line in lines):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail("the demo did not announce itself:\n" + "".join(lines))
        time.sleep(0.2)
    return "".join(lines)
