"""``idp keys``: list the signing keys and rotate them on demand.

Rotation also runs by itself on the schedule of ``IDP_KEY_ROTATION_INTERVAL`` inside every running
process (``keys.KeyRing``); these commands are for bootstrap, inspection and emergencies.
"""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext

from identity import unit_of_work
from identity.types import utcnow
from keys import Algorithm, KeyPolicy, SigningKey, ensure_keys, list_keys, rotate_keys

from ..context import keyring, session_factory, settings
from .options import actor_option, emit, json_option


def _policy() -> KeyPolicy:
    """The lifecycle timing of the app's own key ring, so a manual rotation retires keys exactly as the service does."""
    policy: KeyPolicy = keyring().policy
    return policy


@click.group("keys", help="Signing keys: next, current, retired and removed; the published JWKS.")
def command() -> None:
    pass


def _record(key: SigningKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "alg": key.alg.value,
        "state": key.state.value,
        "created_at": key.created_at.isoformat(),
        "activated_at": key.activated_at and key.activated_at.isoformat(),
        "retired_at": key.retired_at and key.retired_at.isoformat(),
        "remove_after": key.remove_after and key.remove_after.isoformat(),
        "removed_at": key.removed_at and key.removed_at.isoformat(),
    }


def _describe(record: dict[str, Any]) -> str:
    when = {
        "next": f"published since {record['created_at']}",
        "current": f"signing since {record['activated_at']}",
        "retired": f"retired {record['retired_at']}, published until {record['remove_after']}",
        "removed": f"removed {record['removed_at']}",
    }[record["state"]]
    return f"{record['alg']:<6} {record['state']:<8} {record['kid']}  {when}"


@command.command("list", help="List every signing key; creates the first keys when there are none.")
@json_option
@actor_option
@with_appcontext
def list_command(as_json: bool, actor: str) -> None:
    with unit_of_work(session_factory()) as session:
        created = ensure_keys(session, kek=settings().key_encryption_key_bytes(), actor=actor, now=utcnow())
        records = [_record(key) for key in list_keys(session)]
    lines = [_describe(record) for record in records]
    if created:
        lines.append(f"Created {len(created)} key(s) that were missing.")
    emit({"keys": records, "created": list(created)}, as_json=as_json, text="\n".join(lines))


@command.command("rotate", help="Rotate now: the next key signs, the current one retires, a new next key is made.")
@click.option("--alg", type=click.Choice([alg.value for alg in Algorithm]), help="Only this algorithm (default: all).")
@click.option("--reason", help="Why, for the audit trail (e.g. suspected compromise).")
@click.option(
    "--force",
    is_flag=True,
    help="Rotate even though relying parties may not have fetched the next key yet (a compromised key).",
)
@json_option
@actor_option
@with_appcontext
def rotate_command(alg: str | None, reason: str | None, force: bool, as_json: bool, actor: str) -> None:
    algorithms = (Algorithm(alg),) if alg else tuple(Algorithm)
    with unit_of_work(session_factory()) as session:
        report = rotate_keys(
            session,
            kek=settings().key_encryption_key_bytes(),
            policy=_policy(),
            actor=actor,
            now=utcnow(),
            algorithms=algorithms,
            reason=reason,
            force=force,
        )
    lines = [
        f"{r.alg.value}: {r.promoted} signs now; {r.retired} retired, published until {r.remove_after.isoformat()}; "
        f"next key {r.next} published."
        for r in report.rotations
    ]
    lines += [f"Removed {kid}: every token it signed has expired." for kid in report.removed]
    emit(report.as_dict(), as_json=as_json, text="\n".join(lines))
