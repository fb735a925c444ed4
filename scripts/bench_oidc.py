#!/usr/bin/env python3
"""OpenID Connect endpoints per core, side by side with node-oidc-provider, in one run; and the login's argon2 share.

    .venv/bin/python scripts/bench_oidc.py                      # ours on PostgreSQL (database bench_oidc)
    .venv/bin/python scripts/bench_oidc.py --database sqlite    # ours on SQLite
    .venv/bin/python scripts/bench_oidc.py --duration 5 --skip-node

Needs ``wrk`` (``apt-get install wrk``), Node.js 20+ with npm, and PostgreSQL at 127.0.0.1 with
trust authentication for the default ``--database`` (the database is emptied first: give it one of
its own). Prints figures, asserts nothing.

Method
  * Both servers are pinned to core 0 (``taskset -c 0``); ours is ``idp serve`` (granian, one worker
    process), theirs is node-oidc-provider (the npm package ``oidc-provider``, installed by this script
    into ``.bench/node``, which git ignores) configured by ``scripts/bench_oidc_node.mjs``. The load
    comes from ``wrk`` pinned to core 1: one thread, ``--connections`` keep-alive connections, for
    ``--duration`` seconds per endpoint, ours then theirs, ``--repeat`` times; the best run of each
    side is shown (anything else on the machine only slows a run down). PostgreSQL is not pinned.
  * Code exchange and refresh need one fresh secret per request. Before each of those measurements
    both sides mint a pool through their own storage code: ours copies a genuine code (or grant and
    refresh token) obtained through a real sign-in with Flask's test client, each copy with its own
    secret stored as the grants store it (``scripts/bench_oidc_ours.py``); node's mints with its own
    ``AuthorizationCode`` / ``RefreshToken`` / ``Grant`` models. A wrk Lua script hands out one pool
    entry per request; a run that exhausts its pool says so.
  * What each side does per request is printed with the table (see ``WORK``).
  * The argon2 share: POST /login in-process (valid PIN and password, the default argon2 parameters
    of ``Settings``), CPU time inside the password hasher's calls over the request's CPU time, and the
    same share as cProfile attributes it (its per-call overhead inflates the Python part); medians
    of ``--login-rounds``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from joserfc.jwk import RSAKey
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_oidc_ours as ours

from idp import context
from idp.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / ".bench" / "node"
NODE_PACKAGE = "oidc-provider@9.13.3"
SERVER_CORE, LOAD_CORE = "0", "1"
ENDPOINTS = ("token: code", "token: refresh", "token: client_credentials", "discovery", "jwks", "userinfo")
WORK = {
    "ours": "JWT access tokens signed per request (IDP_ACCESS_TOKEN_ALG), RS256 ID tokens; codes, grants and "
    "refresh tokens as SHA-256 rows in the database, read and written per request; the account read per "
    "request; clients from an in-process cache (IDP_CLIENT_CACHE_TTL)",
    "theirs": "opaque access tokens, codes, grants and refresh tokens in its in-memory adapter, "
    "RS256 ID tokens, clients from static configuration",
}


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    exhausted: bool
    first_error: str


@dataclass
class Target:
    """One provider under test: its base URL and how to obtain fresh codes and refresh tokens."""

    name: str
    base: str
    portal: tuple[str, str]
    backend: tuple[str, str]
    access_token: str
    mint: Callable[[str, int], list[str]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def basic(credentials: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()


# -- servers ----------------------------------------------------------------------------------------


@contextmanager
def running(command: list[str], env: dict[str, str], ready_url: str, log: Path, cwd: Path = ROOT) -> Iterator[None]:
    """Start a server pinned to the server core; stop it (terminate, then kill its group) afterwards."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, *command],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{command[0]} did not start:\n{log.read_text()}")
            try:
                if requests.get(ready_url, timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still building the app
                time.sleep(0.2)
        yield
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def our_environment(settings_env: dict[str, str]) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    environ.update(settings_env)
    return environ


def database_url(choice: str, scratch: Path) -> str:
    if choice == "sqlite":
        return f"sqlite:///{scratch / 'bench.sqlite3'}"
    engine = create_engine(choice.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return choice


@contextmanager
def our_server(args: argparse.Namespace, scratch: Path) -> Iterator[tuple[Target, ours.Flask, ours.Seeded]]:
    port = free_port()
    env = {
        "IDP_DATABASE_URL": database_url(args.database, scratch),
        "IDP_ISSUER": f"http://127.0.0.1:{port}",
        "IDP_INSTANCE_PATH": str(scratch / "instance"),
        "IDP_AUTHORIZATION_CODE_TTL": "600",
        "IDP_LOG_LEVEL": "WARNING",
        **dict(setting.split("=", 1) for setting in args.set),
    }
    app = ours.prepare(load_settings(environ=env))
    seeded = ours.seed(app)
    command = server_command(args, port)
    base = env["IDP_ISSUER"]
    with running(command, our_environment(env), f"{base}/.well-known/openid-configuration", scratch / "ours.log"):

        def mint(kind: str, count: int) -> list[str]:
            if kind == "codes":
                return ours.mint_codes(app, seeded, count)
            return ours.mint_refresh_tokens(app, seeded, count)

        yield (
            Target(
                "ours",
                base,
                (seeded.portal_id, seeded.portal_secret),
                (seeded.backend_id, seeded.backend_secret),
                seeded.access_token,
                mint,
            ),
            app,
            seeded,
        )
    context.engine(app).dispose()


def server_command(args: argparse.Namespace, port: int) -> list[str]:
    """``idp serve`` (granian), or the same WSGI app under gunicorn's threaded worker for comparison."""
    if args.server == "gunicorn":
        gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
        if not gunicorn.is_file():
            raise SystemExit("--server gunicorn needs gunicorn: .venv/bin/pip install gunicorn")
        threads = str(args.threads or 4)
        return [str(gunicorn), "-w", "1", "--threads", threads, "-b", f"127.0.0.1:{port}", "idp.wsgi:app"]
    command = [str(ROOT / ".venv" / "bin" / "idp"), "serve", "--port", str(port)]
    return command + (["--threads", str(args.threads)] if args.threads else [])


def install_node_provider() -> None:
    if not (NODE_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        (NODE_DIR / "package.json").write_text('{"private": true, "type": "module"}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", NODE_PACKAGE], cwd=NODE_DIR, check=True
        )
    shutil.copy(ROOT / "scripts" / "bench_oidc_node.mjs", NODE_DIR / "server.mjs")


@contextmanager
def node_server(scratch: Path) -> Iterator[Target]:
    install_node_provider()
    port, admin = free_port(), free_port()
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig", "kid": "bench"})
    config = {
        "issuer": f"http://127.0.0.1:{port}",
        "port": port,
        "admin_port": admin,
        "portal": {"client_id": "portal", "client_secret": os.urandom(32).hex(), "redirect_uri": ours.REDIRECT_URI},
        "backend": {"client_id": "backend", "client_secret": os.urandom(32).hex()},
        "rsa_jwk": key.as_dict(private=True),
        "cookie_key": os.urandom(32).hex(),
        "account_id": "citizen-1",
        "code_challenge": ours.CODE_CHALLENGE,
        "profile": ours.PROFILE,
    }
    env = {**os.environ, "BENCH_CONFIG": json.dumps(config), "NODE_ENV": "production"}
    base = config["issuer"]

    def mint(kind: str, count: int) -> list[str]:
        response = requests.get(f"http://127.0.0.1:{admin}/{kind}", params={"n": count}, timeout=600)
        response.raise_for_status()
        return list(response.json())

    with running(
        ["node", "server.mjs"], env, f"{base}/.well-known/openid-configuration", scratch / "node.log", NODE_DIR
    ):
        yield Target(
            "theirs",
            base,
            (config["portal"]["client_id"], config["portal"]["client_secret"]),
            (config["backend"]["client_id"], config["backend"]["client_secret"]),
            mint("access", 1)[0],
            mint,
        )


# -- load -------------------------------------------------------------------------------------------

LUA = """
-- Runs in wrk's one thread: pool entries are handed out in order, one per request.
local pool = {}
local path = os.getenv("BENCH_POOL")
if path and path ~= "" then for line in io.lines(path) do pool[#pool + 1] = line end end
local template = os.getenv("BENCH_BODY") or ""
local method = os.getenv("BENCH_METHOD")
local target = os.getenv("BENCH_PATH")
local headers = {}
for name, value in string.gmatch(os.getenv("BENCH_HEADERS") or "", "([^\\n:]+): ([^\\n]+)") do headers[name] = value end
local i = 0
exhausted = false  -- globals: read back from the main state in done()
first_error = ""
request = function()
  local body = template
  if #pool > 0 then
    i = i + 1
    if i > #pool then i = 1; exhausted = true end
    body = string.gsub(template, "{}", pool[i])
  end
  if body == "" then body = nil end
  return wrk.format(method, target, headers, body)
end
response = function(status, response_headers, response_body)
  if status >= 300 and first_error == "" then
    first_error = string.gsub(status .. " " .. string.sub(response_body or "", 1, 200), "[^%w %.,:;_=/%-]", "?")
  end
end
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "exhausted": %s, "first_error": "%s"}\\n', summary.requests, summary.duration,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99), tostring(threads[1]:get("exhausted")),
    threads[1]:get("first_error")))
end
"""


@dataclass
class Load:
    """One endpoint's requests: method, URL, headers, a body template and the pool filling its ``{}``."""

    method: str
    url: str
    headers: dict[str, str]
    body: str = ""
    pool: list[str] | None = None


def measure(load: Load, args: argparse.Namespace, scratch: Path) -> Result:
    script, pool_file = scratch / "load.lua", scratch / "pool.txt"
    script.write_text(LUA)
    pool_file.write_text("\n".join(load.pool or []) + "\n")
    env = {
        **os.environ,
        "BENCH_POOL": str(pool_file) if load.pool else "",
        "BENCH_BODY": load.body,
        "BENCH_METHOD": load.method,
        "BENCH_PATH": "/" + load.url.split("/", 3)[3],
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in load.headers.items()),
    }
    command = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--timeout", "10s", "-s", str(script), load.url]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    return Result(
        rps=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=figures["non2xx"] + figures["socket_errors"],
        exhausted=figures["exhausted"],
        first_error=figures["first_error"],
    )


def loads(target: Target, endpoint: str, pool_size: int) -> Load:
    metadata = requests.get(f"{target.base}/.well-known/openid-configuration", timeout=10).json()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    token = metadata["token_endpoint"]
    if endpoint == "token: code":
        body = "grant_type=authorization_code&code={}" + f"&redirect_uri={ours.REDIRECT_URI}"
        body += f"&code_verifier={ours.CODE_VERIFIER}"
        headers = {**form, "Authorization": basic(target.portal)}
        return Load("POST", token, headers, body, target.mint("codes", pool_size))
    if endpoint == "token: refresh":
        headers = {**form, "Authorization": basic(target.portal)}
        return Load(
            "POST", token, headers, "grant_type=refresh_token&refresh_token={}", target.mint("refresh", pool_size)
        )
    if endpoint == "token: client_credentials":
        return Load("POST", token, {**form, "Authorization": basic(target.backend)}, "grant_type=client_credentials")
    if endpoint == "discovery":
        return Load("GET", f"{target.base}/.well-known/openid-configuration", {})
    if endpoint == "jwks":
        return Load("GET", metadata["jwks_uri"], {})
    return Load("GET", metadata["userinfo_endpoint"], {"Authorization": f"Bearer {target.access_token}"})


# -- report -----------------------------------------------------------------------------------------


def best(runs: list[Result]) -> Result:
    """The run with the highest rate: other work on a shared machine only ever slows a run down."""
    return max(runs, key=lambda r: r.rps)


def row(endpoint: str, mine: Result, theirs: Result | None) -> str:
    line = f"{endpoint:<26} {mine.rps:>9.0f} {mine.p50_ms:>8.2f} {mine.p99_ms:>8.2f}"
    if theirs is not None:
        line += f" {theirs.rps:>9.0f} {theirs.p50_ms:>8.2f} {theirs.p99_ms:>8.2f} {mine.rps / theirs.rps:>6.2f}"
    both = (("ours", mine), ("theirs", theirs))
    notes = [f"{name}: {r.errors} errors, first {r.first_error!r}" for name, r in both if r and r.errors]
    notes += [f"{name}: pool exhausted" for name, r in both if r and r.exhausted]
    return line + ("  (" + "; ".join(notes) + ")" if notes else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1/bench_oidc", help="URL, or 'sqlite'")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint and provider")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections of the load generator")
    parser.add_argument("--threads", type=int, help="threads of our worker (default: idp serve's choice)")
    parser.add_argument(
        "--pool-rate", type=int, default=6000, help="codes or refresh tokens minted per second measured"
    )
    parser.add_argument("--endpoints", nargs="*", default=list(ENDPOINTS), choices=ENDPOINTS, metavar="ENDPOINT")
    parser.add_argument("--repeat", type=int, default=3, help="runs per endpoint and side; the best is shown")
    parser.add_argument("--skip-node", action="store_true", help="measure ours only")
    parser.add_argument(
        "--server", choices=("granian", "gunicorn"), default="granian", help="our WSGI server (default: idp serve)"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="IDP_NAME=VALUE", help="a setting of our server (repeatable)"
    )
    parser.add_argument("--login-rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (server logs, wrk script)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    pool_size = args.pool_rate * args.duration
    scratch = Path(tempfile.mkdtemp(prefix="bench_oidc_"))
    try:
        with our_server(args, scratch) as (mine, app, seeded):
            login = ours.login_argon2_share(app, seeded.pin, args.login_rounds)
            with node_server(scratch) if not args.skip_node else _nothing() as theirs:
                database = args.database.split("@")[-1]
                print(f"ours:   {WORK['ours']}; database {database}; settings {args.set or 'default'}")
                if theirs is not None:
                    print(f"theirs: node-oidc-provider ({NODE_PACKAGE}, node {_node_version()}): {WORK['theirs']}")
                print(
                    f"load:   wrk, 1 thread, {args.connections} connections, best of {args.repeat} x {args.duration} s "
                    f"per endpoint and side; servers on core {SERVER_CORE}, load on core {LOAD_CORE}; "
                    f"load average before: {os.getloadavg()[0]:.1f}"
                )
                print()
                print(
                    f"{'endpoint':<26} {'ours rps':>9} {'p50 ms':>8} {'p99 ms':>8} "
                    f"{'node rps':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}"
                )
                for endpoint in args.endpoints:
                    mine_runs, their_runs = [], []
                    for _ in range(args.repeat):  # interleaved, so both sides share the machine's moods
                        mine_runs.append(measure(loads(mine, endpoint, pool_size), args, scratch))
                        if theirs is not None:
                            their_runs.append(measure(loads(theirs, endpoint, pool_size), args, scratch))
                    print(row(endpoint, best(mine_runs), best(their_runs) if their_runs else None), flush=True)
        print()
        print(
            f"password login: {login.cpu_seconds * 1000:.0f} ms CPU per POST /login; inside argon2 "
            f"{login.timed_share:.1%} (timed around the hasher), {login.profiled_share:.1%} (cProfile, a lower bound)"
        )
    finally:
        if args.keep:
            print(f"scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()


if __name__ == "__main__":
    main()
