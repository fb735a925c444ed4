"""The per-address limit on the forms that check a secret (SECURITY.md decision 4, ASVS 2.4.1).

The per-account counters (``identity.throttle``) stop anyone guessing one citizen's secrets; this
limit stops one address trying many citizens' (credential stuffing), and spending a pending citizen's
activation code. Every POST to a page of ``idp.extensions.SECRET_FORMS`` that passed the CSRF and
same-origin checks (``idp.security``, which run first) counts against one budget per client address,
``IDP_FORM_RATE_LIMIT``, in a moving window; past it the page answers 429 with ``Retry-After`` through
the error mapper, before the secret is looked at, so the attempt counts against no account.

The address is ``request.remote_addr`` as the app sees it: the connection's, or with
``IDP_TRUSTED_PROXIES`` the one the proxies forwarded (``idp.app.setup_proxies``); nothing a client
writes changes it (ASVS 4.1.3). The counts live in this process, or in Redis (``IDP_REDIS_URL``) so
that every process of a deployment shares them; while Redis cannot be reached these forms answer 503
(``idp.errors``) rather than check secrets without the limit.

Each app has its own ``Limiter``: Flask-Limiter keeps its storage on the instance, so one instance bound
to two apps would count both in the storage of the last one bound.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, RequestLimit
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import TooManyRequests

from .config import Settings
from .extensions import SECRET_FORMS

security_log = logging.getLogger("idp.security")


def setup_rate_limit(app: Flask, settings: Settings) -> None:
    Limiter(
        key_func=_client_address,
        app=app,
        application_limits=[settings.form_rate_limit],
        application_limits_exempt_when=_not_a_secret_form,
        storage_uri=settings.redis_url or "memory://",
        strategy="moving-window",
        key_prefix="idp-forms",
        on_breach=_refuse,
    )


def form_limiter(app: Flask | None = None) -> Limiter:
    """This app's limiter (Flask-Limiter keeps its instances in ``app.extensions["limiter"]``)."""
    (limiter,) = (app or current_app).extensions["limiter"]
    return limiter  # type: ignore[no-any-return]


def storage_unavailable(error: BaseException) -> bool:
    """Whether *error* says the shared counters (Redis) cannot be reached just now."""
    return isinstance(error, RedisConnectionError | RedisTimeoutError)


def _client_address() -> str:
    return request.remote_addr or "unknown"  # never empty: Flask-Limiter skips a limit with an empty key


def _not_a_secret_form() -> bool:
    return request.method != "POST" or request.endpoint not in SECRET_FORMS


def _refuse(limit: RequestLimit) -> None:
    """Flask-Limiter's own refusal carries no ``Retry-After``: answer with the moment the window frees
    one attempt (raised from here, this exception is what Flask-Limiter passes on)."""
    wait = max(1, math.ceil(limit.window.reset_time - time.time()))
    security_log.warning("form rate limit %s reached from %s on %s", limit.limit, _client_address(), request.path)
    raise TooManyRequests(retry_after=wait)
