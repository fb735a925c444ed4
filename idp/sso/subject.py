"""Pairwise subject identifiers (OIDC Core 8.1): one ``sub`` per citizen per sector, never the PIN.

Portals of different sectors cannot correlate a citizen by ``sub``. The person's surrogate key is
used, so a re-established PIN does not change any ``sub`` and a ``sub`` is never reassigned.
"""

from __future__ import annotations

import base64
import hashlib


def pairwise_subject(sector: str, person_id: int, salt: str) -> str:
    material = f"{sector}\x1f{person_id}\x1f{salt}".encode()
    return base64.urlsafe_b64encode(hashlib.sha256(material).digest()).rstrip(b"=").decode()
