"""The Alembic history and the models describe the same schema, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from identity.db import Base
from idp import context
from idp.migrate import current_revision


def test_migrations_reach_head_and_match_the_models(app: Flask) -> None:
    engine = context.engine(app)
    with engine.connect() as connection:
        migration = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(migration, Base.metadata)
    assert differences == []
    assert current_revision(app) is not None
