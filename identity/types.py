"""Column types and aliases shared by the models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """Current time as an aware UTC datetime, truncated to what every database keeps."""
    return dt.datetime.now(dt.UTC)


created_at = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]
timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime())]
optional_timestamp = Annotated[dt.datetime | None, mapped_column(UTCDateTime())]
short_text = Annotated[str, mapped_column(String(200))]
reason_text = Annotated[str, mapped_column(String(500))]
