#!/usr/bin/env python3
"""Where an OpenID Connect request's time goes, in-process: CPU per request, statements, a profile.

    .venv/bin/python scripts/profile_oidc.py                               # PostgreSQL (database prof_oidc)
    .venv/bin/python scripts/profile_oidc.py --database sqlite --endpoints code refresh
    .venv/bin/python scripts/profile_oidc.py --endpoints userinfo --profile userinfo.txt   # pyinstrument
    py-spy record --gil -o code.svg -- .venv/bin/python scripts/profile_oidc.py --endpoints code -n 5000

The served app (Flask behind the published-documents middleware, as ``idp.wsgi`` builds it) is
called directly as a WSGI callable, one request after another, with the same seeded data, codes and
refresh tokens as ``scripts/bench_oidc.py`` (``bench_oidc_ours``). No HTTP server, no load
generator: what is left is the request's own work in this process. Prints per endpoint the CPU time
of this thread per request (libpq's and the kernel's share of a round trip included), the wall time
per request, and the SQL statements per request (COMMIT not counted; BEGIN only on SQLite, where it
is the statement BEGIN IMMEDIATE). The machine's other work moves these figures by 10-20 %: compare
versions interleaved, several times. Asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_oidc_ours as ours

from idp import context
from idp.config import load_settings
from idp.published_documents import install

ENDPOINTS = ("client_credentials", "code", "refresh", "userinfo")
ISSUER = "http://127.0.0.1:5999"
WARM_UP = 50


def prepare(database: str, scratch: Path) -> tuple[Any, ours.Seeded]:
    """A migrated, seeded app on an emptied database, as the benchmark's server would have it."""
    if database == "sqlite":
        database = f"sqlite:///{scratch / 'profile.sqlite3'}"
    else:
        engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    environ = {
        "IDP_DATABASE_URL": database,
        "IDP_ISSUER": ISSUER,
        "IDP_INSTANCE_PATH": str(scratch / "instance"),
        "IDP_AUTHORIZATION_CODE_TTL": "600",
        "IDP_LOG_LEVEL": "WARNING",
    }
    app = ours.prepare(load_settings(environ=environ))
    seeded = ours.seed(app)
    install(app)
    return app, seeded


def environ_of(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5999",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:5999",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    return environ


def requests_for(app: Any, seeded: ours.Seeded, endpoint: str, count: int) -> list[dict[str, Any]]:
    """*count* request environments; codes and refresh tokens are minted fresh, one per request."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def basic(client_id: str, secret: str) -> dict[str, str]:
        return {**form, "Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}

    portal = basic(seeded.portal_id, seeded.portal_secret)
    if endpoint == "client_credentials":
        body = b"grant_type=client_credentials"
        backend = basic(seeded.backend_id, seeded.backend_secret)
        return [environ_of("POST", "/token", backend, body) for _ in range(count)]
    if endpoint == "code":
        tail = f"&redirect_uri={ours.REDIRECT_URI}&code_verifier={ours.CODE_VERIFIER}"
        return [
            environ_of("POST", "/token", portal, f"grant_type=authorization_code&code={code}{tail}".encode())
            for code in ours.mint_codes(app, seeded, count)
        ]
    if endpoint == "refresh":
        return [
            environ_of("POST", "/token", portal, f"grant_type=refresh_token&refresh_token={token}".encode())
            for token in ours.mint_refresh_tokens(app, seeded, count)
        ]
    bearer = {"Authorization": f"Bearer {seeded.access_token}"}
    return [environ_of("GET", "/userinfo", bearer) for _ in range(count)]


def run(wsgi: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> str:
    status: list[str] = []
    chunks = wsgi(environ, lambda line, _headers, _exc=None: status.append(line))
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    if not status[0].startswith("200"):
        raise SystemExit(f"{environ['PATH_INFO']}: {status[0]} {body[:300]!r}")
    return status[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1/prof_oidc", help="URL, or 'sqlite'")
    parser.add_argument("-n", type=int, default=2000, help="measured requests per endpoint")
    parser.add_argument("--endpoints", nargs="*", default=list(ENDPOINTS), choices=ENDPOINTS)
    parser.add_argument("--profile", metavar="FILE", help="write a pyinstrument profile (text) per endpoint")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profile_oidc_") as instance:
        profile(args, Path(instance))


def profile(args: argparse.Namespace, instance: Path) -> None:
    app, seeded = prepare(args.database, instance)
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    event.listen(context.engine(app), "before_cursor_execute", count)
    for endpoint in args.endpoints:
        environs = requests_for(app, seeded, endpoint, WARM_UP + args.n)
        for environ in environs[:WARM_UP]:
            run(app, environ)
        profiler = None
        if args.profile:
            try:
                from pyinstrument import Profiler
            except ImportError:
                raise SystemExit("--profile needs pyinstrument: .venv/bin/pip install pyinstrument") from None

            profiler = Profiler(interval=0.0005)
            profiler.start()
        statements[0] = 0
        cpu, wall = time.thread_time(), time.perf_counter()
        for environ in environs[WARM_UP:]:
            run(app, environ)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        print(
            f"{endpoint:<20} CPU {cpu / args.n * 1e6:7.0f} us  wall {wall / args.n * 1e6:7.0f} us  "
            f"statements {statements[0] / args.n:.2f} per request",
            flush=True,
        )
        if profiler is not None:
            profiler.stop()
            Path(f"{args.profile}.{endpoint}").write_text(profiler.output_text(unicode=False, color=False))
    context.engine(app).dispose()


if __name__ == "__main__":
    main()
