"""Alembic environment: the engine comes from the app, the metadata from every package's models."""

from __future__ import annotations

from typing import Any

from alembic import context

import idp.models  # noqa: F401  (registers every package's tables)
from identity.db import Base
from identity.types import UTCDateTime

config = context.config
engine = config.attributes["engine"]


def render_item(kind: str, item: Any, autogen_context: Any) -> str | bool:
    """Migrations spell the portable column type, not our Python-side decorator."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
