"""One immutable view of the keys, built per refresh: everything a request needs, precomputed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from joserfc.jwk import Key, KeySet

from .material import private_key, public_key
from .models import Algorithm, KeyState, SigningKey

_JWKS_ORDER = {KeyState.CURRENT: 0, KeyState.NEXT: 1, KeyState.RETIRED: 2}


@dataclass(frozen=True, slots=True)
class KeySnapshot:
    """The keys as of ``loaded_at``: signing keys by algorithm, published keys by kid, the JWKS bytes and ETag."""

    loaded_at: dt.datetime
    signing: Mapping[Algorithm, Key]
    signing_set: KeySet
    published: Mapping[str, Key]
    jwks: bytes
    etag: str


def build_snapshot(
    keys: Iterable[SigningKey], *, kek: bytes, now: dt.datetime, previous: KeySnapshot | None
) -> KeySnapshot:
    """A snapshot of the live *keys*; keys already parsed in *previous* are reused, so a refresh rarely unseals.

    Published: next, current, and retired keys before their ``remove_after`` (even if no process has
    marked them removed yet). Signing: current keys only. The JWKS shows public members only.
    """
    old_public = previous.published if previous else {}
    old_private = {key.kid: key for key in previous.signing.values()} if previous else {}
    live = sorted((k for k in keys if _published(k, now)), key=lambda k: (k.alg.value, _JWKS_ORDER[k.state], k.kid))
    published = {k.kid: old_public.get(k.kid) or public_key(k) for k in live}
    signing = {k.alg: old_private.get(k.kid) or private_key(kek, k) for k in live if k.state is KeyState.CURRENT}
    document = {"keys": [published[k.kid].as_dict(private=False) for k in live]}
    jwks = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    etag = f'"{hashlib.sha256(jwks).hexdigest()[:32]}"'
    return KeySnapshot(now, signing, KeySet(list(signing.values())), published, jwks, etag)


def _published(key: SigningKey, now: dt.datetime) -> bool:
    if key.state is KeyState.RETIRED:
        return key.remove_after is not None and key.remove_after > now
    return key.state in (KeyState.NEXT, KeyState.CURRENT)
