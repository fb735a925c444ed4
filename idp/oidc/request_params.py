"""Authorization-request parameters that Authlib leaves to the application (OIDC Core 3.1.2.1).

``request`` and ``request_uri`` objects are refused explicitly (never silently ignored); PAR's
request_uri is the one exception, handled in par.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError
from werkzeug.datastructures import MultiDict

from identity.pin import is_pin_shaped

from .claims import parse_claims_request

PROMPTS = frozenset({"none", "login", "consent"})
#: RFC 6749 §3.1: parameters that must not repeat (Authlib checks the first five itself).
SINGLE_VALUED = (
    "nonce",
    "prompt",
    "max_age",
    "claims",
    "login_hint",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "id_token_hint",
)
PAR_URN_PREFIX = "urn:ietf:params:oauth:request_uri:"
#: Parameters whose values Authlib puts into error descriptions.
QUOTED_IN_ERRORS = ("redirect_uri", "response_type")


@dataclass(frozen=True, slots=True)
class RequestOptions:
    prompts: frozenset[str]
    max_age: int | None
    claims_request: dict[str, dict[str, Any]] | None
    login_hint: str | None
    acr_values: str | None
    ui_locales: tuple[str, ...]


def refuse_malformed(params: MultiDict[str, str]) -> None:
    """Refuse what would otherwise become a server error instead of a refusal.

    * A NUL character anywhere: PostgreSQL cannot store or even compare text that holds one.
    * Values that Authlib quotes in its error descriptions but that RFC 6749 §4.1.2.1 forbids there
      (anything but printable ASCII without '"' and '\\'): Authlib raises instead of escaping. No such
      value can be registered or valid anyway."""
    if any("\x00" in name or "\x00" in value for name, value in params.items(multi=True)):
        raise InvalidRequestError("Parameters may not contain NUL characters.")
    for name in QUOTED_IN_ERRORS:
        if any(invalid_error_characters(value) for value in params.getlist(name)):
            raise InvalidRequestError(f"The '{name}' parameter contains characters that are not allowed.")


def refuse_request_objects(params: MultiDict[str, str]) -> None:
    """SECURITY.md decision 6: request objects are not supported, and saying so is mandatory."""
    if "request" in params:
        raise RequestNotSupportedError("Request objects ('request') are not supported.")
    request_uri = params.get("request_uri")
    if request_uri is not None and not request_uri.startswith(PAR_URN_PREFIX):
        raise RequestURINotSupportedError("Only request_uri values from pushed authorization requests are supported.")


def parse_options(params: MultiDict[str, str], redirect_uri: str | None) -> RequestOptions:
    """Validate the OpenID parameters; errors here may be redirected to the (validated) redirect URI."""
    for name in SINGLE_VALUED:
        if len(params.getlist(name)) > 1:
            raise InvalidRequestError(f"Multiple '{name}' parameters.", redirect_uri=redirect_uri)
    mode = params.get("response_mode")
    if mode is not None and mode != "query":
        raise InvalidRequestError("Only response_mode=query is supported.", redirect_uri=redirect_uri)
    prompts = frozenset((params.get("prompt") or "").split())
    if "select_account" in prompts:
        prompts = (prompts - {"select_account"}) | {"login"}  # one account per citizen: choosing means signing in
    if not prompts <= PROMPTS:
        raise InvalidRequestError(  # the values are not quoted back: they may hold any character
            f"Unsupported prompt value; supported: {' '.join(sorted(PROMPTS))}.", redirect_uri=redirect_uri
        )
    if "none" in prompts and len(prompts) > 1:
        raise InvalidRequestError("prompt=none cannot be combined with other values.", redirect_uri=redirect_uri)
    return RequestOptions(
        prompts=prompts,
        max_age=_max_age(params.get("max_age"), redirect_uri),
        claims_request=_claims(params.get("claims"), redirect_uri),
        login_hint=hint if (hint := (params.get("login_hint") or "").strip()) and is_pin_shaped(hint) else None,
        acr_values=params.get("acr_values"),
        ui_locales=tuple((params.get("ui_locales") or "").split()),
    )


def _max_age(raw: str | None, redirect_uri: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit():
        raise InvalidRequestError(
            "'max_age' must be a non-negative whole number of seconds.", redirect_uri=redirect_uri
        )
    return int(raw)


def _claims(raw: str | None, redirect_uri: str | None) -> dict[str, dict[str, Any]] | None:
    try:
        return parse_claims_request(raw)
    except InvalidRequestError as error:
        error.redirect_uri = redirect_uri
        raise
