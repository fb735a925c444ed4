"""The per-address limit on the forms that check a secret (idp.rate_limit; SECURITY.md decision 4, ASVS
2.4.1, 4.1.3): one budget per client address for all of them, the address as the trusted proxies give it
and nothing a client writes, a localized 429 with ``Retry-After``, counts shared through Redis."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from identity.activation_codes import MAX_ATTEMPTS
from identity.authn import find_account
from identity.models import ActivationCode, Throttle
from idp import context, create_app
from idp.config import ConfigError
from idp.extensions import SECRET_FORMS
from tests import factories
from tests.conftest import make_settings
from tests.idp.conftest import Citizen, csrf_token
from tests.idp.flows import login_form
from tests.served import free_port

REDIS_URL = "redis://127.0.0.1:6379/15"
TOO_MANY = "Có quá nhiều lần thử từ mạng của bạn. Vui lòng đợi vài phút rồi thử lại."
NEW_PASSWORD = "trăng rằm tháng tám sáng tỏ"


@pytest.fixture
def make_app(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Apps of their own settings on the suite's database (``app`` migrated it and empties it after)."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        made.append(create_app(make_settings(database_url, tmp_path / f"instance{len(made)}", **overrides)))
        return made[-1]

    yield make
    for application in made:
        context.engine(application).dispose()


def browser(app: Flask, address: str = "127.0.0.1") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def post(client: FlaskClient, path: str = "/login", **headers: str) -> TestResponse:
    """A sign-in form sent with a valid token, as many times as an attacker likes."""
    _html, token, _ = login_form(client)
    data = {"csrf_token": token, "pin": "001190000000", "password": "a guess", "code": "123456"}
    return client.post(path, data=data, headers=headers)


def alert(response: TestResponse) -> str:
    return re.search(r'<p class="error" role="alert"[^>]*>([^<]*)</p>', response.text).group(1)


def test_every_declared_form_is_a_page_that_takes_posts(app: Flask) -> None:
    """A renamed endpoint would silently lose its limit."""
    for endpoint in SECRET_FORMS:
        (rule,) = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
        assert "POST" in (rule.methods or ()), endpoint


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/login/code",
        "/login/recovery",
        "/otp/enrol",
        "/activate",
        "/account/password",
        "/account/recovery-codes",
    ],
)
def test_the_forms_that_check_a_secret_share_one_budget_per_address(make_app: Callable[..., Flask], path: str) -> None:
    client = browser(make_app(form_rate_limit="3 per minute"))
    for step in (path, "/login", path):
        assert post(client, step).status_code != 429, step
    refused = post(client, path)
    assert refused.status_code == 429
    assert post(client, "/login").status_code == 429


def test_the_refusal_is_a_localized_page_saying_when_to_come_back(
    make_app: Callable[..., Flask], clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = browser(make_app(form_rate_limit="2 per minute;4 per hour"))
    clock.advance(0)
    post(client), post(client)
    refused = post(client)
    assert (refused.status_code, refused.mimetype) == (429, "text/html")
    assert '<html lang="vi"' in refused.text and alert(refused) == TOO_MANY
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert any("form rate limit" in r.getMessage() and "127.0.0.1" in r.getMessage() for r in caplog.records)
    english = client.post("/login?lang=en", data={"csrf_token": login_form(client)[1], "pin": "1", "password": "x"})
    assert english.status_code == 429 and "Too many attempts" in alert(english)
    clock.advance(61)
    assert [post(client).status_code, post(client).status_code] == [401, 401]  # a new minute: answered again
    clock.advance(61)
    longer = post(client)  # the hour's four are spent: wait until the first of them leaves the window
    assert longer.status_code == 429
    assert 3000 < int(longer.headers["Retry-After"]) <= 3600 - 120


def test_only_posts_of_those_forms_count(make_app: Callable[..., Flask], portal: Any) -> None:
    limited = make_app(form_rate_limit="2 per minute")
    client = browser(limited)
    for _ in range(5):
        assert client.get("/login").status_code == 200
        assert client.post("/consent", data={"csrf_token": login_form(client)[1]}).status_code != 429
        token = client.post("/token", data={"grant_type": "client_credentials"}, headers=portal.basic_auth())
        assert token.status_code != 429
    assert post(client).status_code == 401
    assert post(client).status_code == 401
    assert post(client).status_code == 429


def test_posts_refused_by_the_token_or_origin_checks_cost_nothing(make_app: Callable[..., Flask]) -> None:
    client = browser(make_app(form_rate_limit="1 per minute"))
    for _ in range(3):
        assert client.post("/login", data={"pin": "001190000000", "password": "x"}).status_code == 400
        assert post(client, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert post(client).status_code == 401
    assert post(client).status_code == 429


def test_a_refused_attempt_is_never_checked(make_app: Callable[..., Flask], app: Flask, citizen: Citizen) -> None:
    """Past the budget nothing is looked at: the right password does not sign in, a wrong one does not count."""
    client = browser(make_app(form_rate_limit="2 per hour"))
    _html, token, _ = login_form(client)
    for password in ("wrong", "wrong", "wrong", citizen.password):
        client.post("/login", data={"csrf_token": token, "pin": citizen.pin, "password": password})
    assert client.get_cookie("idp_sso") is None
    with context.session_factory(app)() as session:
        account = find_account(session, citizen.pin)
        assert account is not None
        assert session.get(Throttle, (account.id, "password")).failures == 2


def test_a_forwarded_address_changes_nothing_without_trusted_proxies(make_app: Callable[..., Flask]) -> None:
    client = browser(make_app(form_rate_limit="2 per minute"))
    spoofed = [f"203.0.113.{n}" for n in range(1, 6)]
    answers = [post(client, **{"X-Forwarded-For": address}).status_code for address in spoofed]
    assert answers == [401, 401, 429, 429, 429]


def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(make_app: Callable[..., Flask]) -> None:
    proxied = make_app(form_rate_limit="2 per minute", trusted_proxies=1)
    proxy = browser(proxied, "10.0.0.2")  # every request comes from the proxy's own address
    first = {"X-Forwarded-For": "203.0.113.7"}
    second = {"X-Forwarded-For": "198.51.100.23"}
    assert [post(proxy, **first).status_code for _ in range(3)] == [401, 401, 429]
    assert [post(proxy, **second).status_code for _ in range(3)] == [401, 401, 429]
    # A client cannot add an address in front of the one the proxy wrote (ProxyFix reads from the right).
    assert post(proxy, **{"X-Forwarded-For": "192.0.2.1, 203.0.113.7"}).status_code == 429


def test_one_address_cannot_spend_a_pending_citizens_activation_code(
    make_app: Callable[..., Flask], app: Flask
) -> None:
    """Someone who knows a pending citizen's PIN gets fewer tries from one address than the code allows,
    and the tries refused at the door do not count against the code."""
    budget = MAX_ATTEMPTS - 1
    limited = make_app(form_rate_limit=f"{budget} per hour")
    with context.session_factory(app)() as session:
        account, code = factories.opened_account(session, full_name="Hoàng Văn Đức", birth_date="1979-07-07")
        pin = account.person.pin

    def activate(client: FlaskClient, typed: str) -> TestResponse:
        token = csrf_token(client.get("/activate").text)
        form = {"csrf_token": token, "pin": pin, "code": typed, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        return client.post("/activate", data=form)

    stranger = browser(limited, "203.0.113.66")
    answers = [activate(stranger, "WRONG-CODE-0000").status_code for _ in range(MAX_ATTEMPTS + 3)]
    assert answers == [400] * budget + [429] * 4
    with context.session_factory(app)() as session:
        assert session.scalars(select(ActivationCode)).one().failed_attempts == budget
    activated = activate(browser(limited, "198.51.100.5"), code)
    assert activated.status_code == 303 and activated.headers["Location"].startswith("/otp/enrol")


@pytest.fixture
def shared_redis() -> Iterator[str]:
    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        connection.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    yield REDIS_URL
    connection.flushdb()
    connection.close()


def test_processes_share_the_counts_through_redis(make_app: Callable[..., Flask], shared_redis: str) -> None:
    first = make_app(form_rate_limit="3 per minute", redis_url=shared_redis)
    second = make_app(form_rate_limit="3 per minute", redis_url=shared_redis)
    address = f"198.51.100.{random.randrange(1, 255)}"
    one, other = browser(first, address), browser(second, address)
    assert [post(one).status_code, post(other).status_code, post(one).status_code] == [401, 401, 401]
    assert post(other).status_code == 429
    assert post(one).status_code == 429
    assert post(browser(second, "192.0.2.200")).status_code == 401  # another address, its own budget
    alone = make_app(form_rate_limit="3 per minute")  # in memory: a process of its own
    assert post(browser(alone, address)).status_code == 401


def test_an_unreachable_redis_refuses_the_forms_politely(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    """Secrets are not checked without the limit: 503 with Retry-After and one log line, no traceback."""
    client = browser(make_app(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    assert client.get("/login").status_code == 200  # pages that check nothing still show
    with caplog.at_level(logging.ERROR, logger="idp.errors"):
        response = post(client)
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert '<html lang="vi"' in response.text
    (line,) = [r for r in caplog.records if r.name == "idp.errors"]
    assert line.getMessage().startswith("rate-limit storage unavailable on POST /login: ConnectionError")
    assert line.exc_info is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("form_rate_limit", "30 per minut"),
        ("form_rate_limit", "thirty per minute"),
        ("form_rate_limit", "0 per minute"),
        ("form_rate_limit", ""),
        ("form_rate_limit", "30 per minute;"),
        ("redis_url", "127.0.0.1:6379"),
        ("redis_url", "http://127.0.0.1:6379/0"),
    ],
)
def test_a_mistyped_limit_or_store_stops_the_start(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"IDP_{variable.upper()}"):
        make_settings("sqlite://", tmp_path, **{variable: value})


@pytest.mark.parametrize("value", ["30 per minute;300 per hour", "5/second, 100/day", "1 per 2 minutes"])
def test_the_limit_is_written_in_flask_limiters_notation(tmp_path: Path, value: str) -> None:
    assert make_settings("sqlite://", tmp_path, form_rate_limit=value).form_rate_limit == value
