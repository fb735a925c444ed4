"""Portals that take part in single logout, and what the outbox holds for them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from idp.context import session_factory
from idp.sso.models import LogoutNotice
from tests.idp.conftest import Portal, register_portal

PORTAL_A_HOME = "http://127.0.0.1:8765/"
BACKCHANNEL_A = "http://127.0.0.1:8765/backchannel-logout"
BACKCHANNEL_B = "http://127.0.0.1:8766/backchannel-logout"
FRONTCHANNEL_C = "http://127.0.0.1:8767/frontchannel-logout"


@pytest.fixture
def portal_a(app: Flask) -> Portal:
    """A first-party portal with a back channel and a page to come back to after logout."""
    return register_portal(
        app, first_party=True, post_logout_redirect_uris=[PORTAL_A_HOME], backchannel_logout_uri=BACKCHANNEL_A
    )


@pytest.fixture
def portal_b(app: Flask) -> Portal:
    return register_portal(
        app,
        name="Cổng Dịch vụ công tỉnh Hải Dương",
        first_party=True,
        redirect_uris=["http://127.0.0.1:8766/callback"],
        backchannel_logout_uri=BACKCHANNEL_B,
    )


@pytest.fixture
def portal_c(app: Flask) -> Portal:
    """A portal with only a front channel."""
    return register_portal(
        app,
        name="Cổng C",
        first_party=True,
        redirect_uris=["http://127.0.0.1:8767/callback"],
        frontchannel_logout_uri=FRONTCHANNEL_C,
    )


def notices(app: Flask, **where: Any) -> list[LogoutNotice]:
    with session_factory(app)() as session:
        query = select(LogoutNotice).filter_by(**where).order_by(LogoutNotice.id)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows
