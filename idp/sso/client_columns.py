"""The columns of the relying-party register that sign-in state reads, as a lightweight table.

``clients.models.Client`` is an Authlib ``ClientMixin``; importing it would bring the protocol library
into ``idp.sso``. The logout paths only need a few columns, read by name.
"""

from __future__ import annotations

from sqlalchemy import String, column, table

CLIENTS = table(
    "clients",
    column("client_id", String),
    column("sector", String),
    column("id_token_signed_response_alg", String),
    column("backchannel_logout_uri", String),
    column("frontchannel_logout_uri", String),
)
