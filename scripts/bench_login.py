#!/usr/bin/env python3
"""Password sign-ins per second per core over real HTTP, the share of their CPU inside argon2, and the
one-time-code step's latency.

    .venv/bin/python scripts/bench_login.py                         # embedded SQLite
    .venv/bin/python scripts/bench_login.py --database postgresql://postgres@127.0.0.1/bench_login

Prints figures, asserts nothing.

Method
  * ``idp serve`` (granian, one worker process, its default threads) pinned to core 0 with ``taskset``,
    the default argon2 parameters of ``Settings`` and no per-address limit worth the name. The load
    comes from this process on core 1: ``--connections`` threads, each signing in again and again as
    a new browser would: GET /login (its form and CSRF token), POST /login with the right password,
    a 303 to the home page counted as one sign-in.
  * Every citizen has the same password hash, made once with the default parameters (so seeding
    thousands costs one hash); a sign-in verifies it as usual.
  * The argon2 share: the server's CPU time over the run (its process and workers, from /proc), against
    the CPU time of one verification measured here, on the server's core after it stopped, with the same
    parameters (median of 20), times the sign-ins served. Twice: browsers that load the form before every
    sign-in, and browsers that post again with the form they have (the credential check alone). The
    budget is at least 90 % (docs/performance.md). Run it on a quiet machine: another process on core 0
    moves both measurements apart.
  * The code step: citizens with an authenticator app (enrolled through the domain API) sign in with
    their password, then post a valid code; the code POST's latency, p50 and p99, one sign-in at a time.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyotp
import requests
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_oidc import free_port, running

from identity import issue_person, otp, person_facts
from identity.accounts import activate_account, open_account
from idp import context, create_app
from idp.config import Settings, load_settings
from idp.migrate import upgrade_database

PASSWORD = "hoa sen nở trên mặt hồ yên"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_GIVEN = ("An", "Bình", "Chi", "Dung", "Giang", "Hà", "Hoa", "Lan", "Mai", "Ngọc", "Phương", "Thảo", "Trang", "Vy")


def seed(app, citizens: int, with_app: int) -> tuple[list[str], list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    """*citizens* active accounts sharing one password hash; the last *with_app* of them with an app."""
    settings = context.settings(app)
    kek = settings.key_encryption_key_bytes()
    shared_hash = context.hasher(app).hash(PASSWORD)
    pins: list[str] = []
    apps: list[tuple[str, str]] = []
    with context.session_factory(app)() as session:
        for number in range(citizens):
            birth = f"19{50 + number % 50:02d}-0{1 + number % 9}-1{number % 9}"
            name = f"Công Dân {_GIVEN[number % len(_GIVEN)]} {_GIVEN[number // len(_GIVEN) % len(_GIVEN)]}"
            facts = person_facts(full_name=name, birth_date=birth, sex="female", birth_place="001")
            person = issue_person(session, facts, actor="bench")
            _account, code = open_account(session, person.pin, actor="bench", ttl_seconds=3600)
            account = activate_account(
                session, person.pin, code, PASSWORD, hasher=_Copy(shared_hash), policy=_AnyPassword()
            )
            if number >= citizens - with_app:
                enrolment = otp.start_enrolment(session, account, kek=kek, issuer=settings.otp_issuer)
                otp.confirm_enrolment(session, account, pyotp.TOTP(enrolment.secret).now(), kek=kek, actor="bench")
                apps.append((person.pin, enrolment.secret))
            else:
                pins.append(person.pin)
        session.commit()
    return pins, apps


class _Copy:
    """A hasher that 'hashes' to a hash made once: seeding thousands of accounts costs one argon2 run."""

    def __init__(self, made: str) -> None:
        self._made = made

    def hash(self, _password: str) -> str:
        return self._made


class _AnyPassword:
    min_length = 0

    def check(self, *_args: object, **_kwargs: object) -> None:
        return None


def sign_in(base: str, pin: str, browser: requests.Session | None = None, token: str | None = None) -> requests.Session:
    """A sign-in as a new browser makes it (the form, then the POST), or only the POST of a browser that
    already has the form (*browser* and its *token*)."""
    if browser is None or token is None:
        browser = requests.Session()
        token = TOKEN.search(browser.get(f"{base}/login", timeout=30).text).group(1)
    response = browser.post(
        f"{base}/login",
        data={"csrf_token": token, "pin": pin, "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 303:
        raise SystemExit(f"a sign-in was refused: {response.status_code}")
    return browser


def server_cpu_seconds(root: int) -> float:
    """User and system CPU time of *root* and all its descendants (granian's workers), from /proc."""
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def serving_pid(port: int) -> int:
    """The process listening on *port* (the ``idp serve`` command's granian main process)."""
    found = subprocess.run(["ss", "-ltnp", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"pid=(\d+)", found).group(1))


def argon2_cpu_seconds(settings: Settings) -> float:
    """One verification's CPU time, on the server's core once the server has stopped (same cache, same
    neighbours as the server had)."""
    os.sched_setaffinity(0, {0})
    app_hasher = create_app(settings)
    hasher = context.hasher(app_hasher)
    made = hasher.hash(PASSWORD)
    times = []
    for _ in range(20):
        start = time.process_time()
        hasher.verify(made, PASSWORD)
        times.append(time.process_time() - start)
    context.engine(app_hasher).dispose()
    return statistics.median(times)


def password_load(base: str, pins: list[str], connections: int, duration: float, *, with_form: bool) -> int:
    """Sign-ins from *connections* browsers at once for *duration* seconds; each loads the form first
    (*with_form*), or posts again with the form it loaded once."""
    done = [0] * connections
    stop = time.monotonic() + duration

    def worker(index: int) -> None:
        browser = requests.Session()
        token = TOKEN.search(browser.get(f"{base}/login", timeout=30).text).group(1)
        turn = index
        while time.monotonic() < stop:
            if with_form:
                sign_in(base, pins[turn % len(pins)])
            else:
                sign_in(base, pins[turn % len(pins)], browser, token)
            done[index] += 1
            turn += connections

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


def code_step_latencies(base: str, apps: list[tuple[str, str]]) -> list[float]:
    latencies = []
    for pin, secret in apps:
        browser = sign_in(base, pin)
        page = browser.get(f"{base}/login/code", timeout=30).text
        totp = pyotp.TOTP(secret)
        next_step = totp.timecode(time.time()) + 1  # the current step's code was used to confirm the app
        form = {"csrf_token": TOKEN.search(page).group(1), "code": totp.generate_otp(next_step)}
        start = time.perf_counter()
        answer = browser.post(f"{base}/login/code", data=form, allow_redirects=False, timeout=30)
        latencies.append(time.perf_counter() - start)
        if answer.status_code != 303:
            raise SystemExit(f"a code was refused: {answer.status_code}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", help="URL, or 'sqlite' (a scratch file)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of password sign-ins")
    parser.add_argument("--connections", type=int, default=2, help="browsers signing in at the same time")
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--codes", type=int, default=100, help="sign-ins with a one-time code, for its latency")
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    with tempfile.TemporaryDirectory(prefix="bench_login_") as scratch_dir:
        scratch = Path(scratch_dir)
        port = free_port()
        url = f"sqlite:///{scratch / 'bench.sqlite3'}" if args.database == "sqlite" else args.database
        if url.startswith("postgresql"):
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        env = {
            "IDP_DATABASE_URL": url,
            "IDP_ISSUER": f"http://127.0.0.1:{port}",
            "IDP_INSTANCE_PATH": str(scratch / "instance"),
            "IDP_LOG_LEVEL": "WARNING",
            "IDP_FORM_RATE_LIMIT": "1000000 per minute",
        }
        settings = load_settings(environ=env)
        app = create_app(settings)
        upgrade_database(app)
        pins, apps = seed(app, args.citizens + args.codes, args.codes)
        context.engine(app).dispose()
        base = env["IDP_ISSUER"]
        environ = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")} | env
        command = [sys.executable, "-c", "from idp.cli import main; main()", "serve", "--port", str(port)]
        with running(command, environ, f"{base}/.well-known/openid-configuration", scratch / "serve.log"):
            for pin in pins[:3]:
                sign_in(base, pin)  # warm up: the key ring, the argon2 memory
            pid = serving_pid(port)
            phases = {}
            for with_form in (True, False):
                before, started = server_cpu_seconds(pid), time.monotonic()
                served = password_load(base, pins, args.connections, args.duration, with_form=with_form)
                phases[with_form] = (served, time.monotonic() - started, server_cpu_seconds(pid) - before)
            latencies = sorted(code_step_latencies(base, apps))
        argon2 = argon2_cpu_seconds(settings)
    where = "SQLite" if args.database == "sqlite" else args.database
    print(
        f"database: {where}; argon2id t={settings.argon2_time_cost}, m={settings.argon2_memory_cost} KiB, "
        f"p={settings.argon2_parallelism}; server on core 0, load on core 1"
    )
    print(f"one argon2 verification: {1000 * argon2:.1f} ms of CPU; {args.connections} browsers at a time")
    for with_form, (served, elapsed, cpu) in phases.items():
        what = "form + POST /login" if with_form else "POST /login only "
        print(
            f"{what}: {served / elapsed:.2f} sign-ins per second per core; server CPU per sign-in "
            f"{1000 * cpu / served:.1f} ms, inside argon2 {100 * served * argon2 / cpu:.1f} % (budget: at least 90 %)"
        )
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"one-time-code step (POST /login/code), {len(latencies)} sign-ins: p50 {1000 * p50:.1f} ms, "
          f"p99 {1000 * p99:.1f} ms")


if __name__ == "__main__":
    main()
