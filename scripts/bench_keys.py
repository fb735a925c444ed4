#!/usr/bin/env python3
"""Benchmark of the signing keys: sign and verify per algorithm, key generation, the cached JWKS.

Prints figures, asserts nothing. Works in a scratch SQLite database in a temporary folder.

    .venv/bin/python scripts/bench_keys.py              # 2000 tokens per algorithm
    .venv/bin/python scripts/bench_keys.py --tokens 200

Measured, single thread:
  sign      ``keys.sign_jwt`` of an ID-token-sized claims set (the key ring's cached key), and the
            bare ``joserfc.jwt.encode`` with the same key, to show what the ring adds;
  verify    ``keys.verify_jwt`` of that token (all checks, cached public key);
  generate  one new key pair (paid once per rotation, in the process that rotates);
  jwks      ``KeyRing.jwks_document()`` between refreshes (what the JWKS endpoint pays per request).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from joserfc import jwt
from joserfc.errors import SecurityWarning

from idp import context, create_app
from idp.config import load_settings
from idp.context import session_factory
from idp.migrate import upgrade_database
from keys import Algorithm, KeyPolicy, KeyRing, sign_jwt, verify_jwt
from keys.generate import generate_key


def _per_call(function: Callable[[], object], count: int) -> float:
    """Median over five rounds of the mean time per call, in microseconds."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            function()
        rounds.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(rounds)


def _claims() -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": "https://sso.dichvucong.gov.vn",
        "sub": "Zr1xk3V9m3o2g0nQ2yJ6f1rZK4i0s8sR9XU2aGQwPqE",
        "aud": ["portal-hanoi"],
        "exp": now + 3600,
        "iat": now,
        "auth_time": now - 30,
        "nonce": "n-0S6_WzA2Mj",
        "acr": "urn:vn:eid:loa:2",
        "amr": ["pwd", "otp"],
        "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=2000, help="tokens per round and algorithm")
    args = parser.parse_args()
    warnings.simplefilter("ignore", SecurityWarning)  # the bare joserfc call warns on EdDSA (RFC 9864)
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(environ={}, database_url=f"sqlite:///{folder}/bench.sqlite3", instance_path=folder)
        app = create_app(settings)
        upgrade_database(app)
        policy = KeyPolicy(rotation_interval=30 * 24 * 3600, max_token_ttl=3600, cache_ttl=3600)
        ring = KeyRing(session_factory(app), kek=settings.key_encryption_key_bytes(), policy=policy)
        ring.refresh()
        columns = ("sign µs", 9), ("sign/s", 8), ("bare µs", 9), ("verify µs", 10), ("verify/s", 9), ("keygen ms", 10)
        print(f"{'alg':<6}" + "".join(f" {name:>{width}}" for name, width in columns))
        for alg in Algorithm:
            claims, key = _claims(), ring.current(alg)
            token = sign_jwt(ring, claims, alg=alg)
            sign = _per_call(lambda alg=alg, claims=claims: sign_jwt(ring, claims, alg=alg), args.tokens)
            bare = _per_call(
                lambda alg=alg, claims=claims, key=key: jwt.encode({"alg": alg.value}, claims, key, [alg.value]),
                args.tokens,
            )
            verify = _per_call(lambda alg=alg, token=token: verify_jwt(ring, token, algorithms=[alg]), args.tokens)
            keygen = _per_call(lambda alg=alg: generate_key(alg), 5) / 1000
            print(
                f"{alg.value:<6} {sign:>9.1f} {1e6 / sign:>8.0f} {bare:>9.1f} {verify:>10.1f} {1e6 / verify:>9.0f}"
                f" {keygen:>10.1f}"
            )
        jwks = _per_call(ring.jwks_document, 100_000)
        print(f"jwks_document() between refreshes: {jwks:.2f} µs per call; token length {len(token)} bytes (EdDSA)")
        context.engine(app).dispose()


if __name__ == "__main__":
    main()
