"""Engines keep bound parameters out of logs and error texts: a failing query must not leak a PIN
into a log line, whether SQLAlchemy logs the statement or an error handler logs the exception
(ASVS 16.2.5, 16.5.1)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from identity.db import make_engine

PIN = "001190012345"


def look_up_and_log_the_failure(engine: Engine) -> None:
    """A query that fails with a PIN bound to it, logged the way the server's error handler logs."""
    with engine.connect() as connection:
        try:
            connection.execute(text("SELECT full_name FROM no_such_register WHERE pin = :pin"), {"pin": PIN})
        except DBAPIError:
            logging.getLogger("idp.errors").exception("unhandled error on GET /example")
            raise


def test_a_failing_query_leaves_no_pin_in_the_logs_or_the_error(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    engine = make_engine(database_url)
    try:
        with pytest.raises(DBAPIError) as caught:
            look_up_and_log_the_failure(engine)
    finally:
        engine.dispose()
    assert "no_such_register" in caplog.text  # the statement and the error were logged ...
    assert PIN not in caplog.text  # ... but not what was bound to them
    assert PIN not in str(caught.value)
