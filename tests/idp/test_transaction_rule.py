"""The one transaction rule (idp.db): a request's writes are committed once, after a view that did not
refuse; a refusal or a failure leaves nothing half-written."""

from __future__ import annotations

import re

import pytest
from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from identity.models import AuditEvent
from idp.context import session_factory
from idp.oidc.responses import AuthorizationRefused
from idp.sso.models import Consent
from tests.idp.conftest import Citizen, csrf_token, register_portal
from tests.idp.flows import sign_in_directly, start


def stored(app: Flask) -> tuple[int, int]:
    with session_factory(app)() as session:
        consents = session.scalar(select(func.count()).select_from(Consent)) or 0
        given = session.scalar(select(func.count()).where(AuditEvent.action == "consent.given")) or 0
        return consents, given


def allow_on_the_consent_page(app: Flask, client: FlaskClient, citizen: Citizen):  # type: ignore[no-untyped-def]
    third_party = register_portal(app, name="Cổng bên thứ ba")
    sign_in_directly(client, citizen)
    html = client.get(start(client, third_party).headers["Location"]).get_data(as_text=True)
    interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)
    return client.post("/consent", data={"csrf_token": csrf_token(html), "interaction": interaction, "allow": "Allow"})


def test_the_writes_of_a_view_that_answers_are_committed(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    assert allow_on_the_consent_page(app, client, citizen).status_code == 303
    assert stored(app) == (1, 1)


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (RuntimeError("the disk is on fire"), 500),
        (AuthorizationRefused(OAuth2Error("changed my mind", error="expired_request")), 400),
    ],
    ids=["failure", "refusal"],
)
def test_a_view_that_fails_or_refuses_after_writing_leaves_nothing_written(
    app: Flask,
    client: FlaskClient,
    citizen: Citizen,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    status: int,
) -> None:
    """The consent row and its audit event are written, then the view fails: neither stands."""

    def fail(_interaction_id: str) -> None:
        raise failure

    monkeypatch.setattr("idp.interaction.consent.interactions.mark_consented", fail)
    assert allow_on_the_consent_page(app, client, citizen).status_code == status
    assert stored(app) == (0, 0)
