#!/usr/bin/env python3
"""The demonstration: the provider and two reference portals on 127.0.0.1, until Ctrl-C.

Run by ``scripts/serve`` (which installs and migrates first). Loads the demo data (``idp demo``: two
citizens, two portals whose secrets are renewed at every start), starts ``idp serve`` and two
``portal`` processes with those registrations, prints the three addresses and the credentials, and on
Ctrl-C (or SIGTERM) stops every process it started, by the process ids it holds.

    scripts/serve                 # provider on :5000, portals on :5001 and :5002
    scripts/serve --port 8000     # another port for the provider (the portals keep theirs)
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
IDP = [sys.executable, "-c", "from idp.cli import main; main()"]
PORTAL = [sys.executable, "-m", "portal"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="the provider's address (the portals stay on 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="the provider's port")
    args = parser.parse_args()
    issuer = os.environ.get("IDP_ISSUER") or f"http://127.0.0.1:{args.port}"
    environ = {**os.environ, "IDP_ISSUER": issuer}
    loaded = subprocess.run([*IDP, "demo", "--json"], env=environ, cwd=ROOT, check=True, capture_output=True, text=True)
    demo = json.loads(loaded.stdout)
    logs = Path(os.environ.get("IDP_INSTANCE_PATH") or ROOT / "instance")  # beside the provider's database
    logs.mkdir(parents=True, exist_ok=True)
    started: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for process in started:
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    provider = [*IDP, "serve", "--host", args.host, "--port", str(args.port)]
    started.append(subprocess.Popen(provider, env=environ, cwd=ROOT))
    for portal in demo["portals"]:
        port = portal["url"].rsplit(":", 1)[1]
        portal_environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")},
            "PORTAL_NAME": portal["name"],
            "PORTAL_PORT": port,
            "PORTAL_ISSUER": issuer,
            "PORTAL_CLIENT_ID": portal["client_id"],
            "PORTAL_CLIENT_SECRET": portal["client_secret"],
            "PORTAL_SECRET_KEY": secrets.token_urlsafe(32),
            "PORTAL_STORE": str(logs / f"portal-{port}.sqlite3"),
        }
        with (logs / f"portal-{port}.log").open("ab") as log:
            started.append(
                subprocess.Popen(PORTAL, env=portal_environ, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            )
    wait_until_up([f"{issuer}/.well-known/openid-configuration", *(p["url"] + "/" for p in demo["portals"])], started)
    print(announcement(issuer, demo), flush=True)
    while all(process.poll() is None for process in started):
        time.sleep(0.5)
    stop()


def wait_until_up(urls: list[str], started: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 60
    for url in urls:
        while True:
            if any(process.poll() is not None for process in started) or time.monotonic() > deadline:
                raise SystemExit(f"the demonstration did not start ({url} does not answer); see the *.log files")
            try:
                requests.get(url, timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.3)


def announcement(issuer: str, demo: dict) -> str:  # type: ignore[type-arg]
    lines = ["", "The demonstration is running (Ctrl-C stops it):", f"  provider   {issuer}/"]
    lines += [f"  portal     {p['url']}/   {p['name']}" for p in demo["portals"]]
    lines.append("Demo citizens:")
    for citizen in demo["citizens"]:
        secret = citizen["otp_secret"]
        app = (
            f"authenticator app secret {secret} (add it to any app, or: oathtool --totp -b {secret})"
            if secret
            else "no authenticator app yet (a portal's sensitive service asks to set one up)"
        )
        lines.append(f"  PIN {citizen['pin']}  password {citizen['password']!r}  {app}")
    lines.append(
        "Sign in at one portal, open the other (no password), try its sensitive service (a one-time code), "
        "then sign out: both portals are signed out."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
