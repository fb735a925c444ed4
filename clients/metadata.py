"""Client metadata as an administrator asks for it, and its validation; pure, no database.

Every rule refuses with :class:`InvalidMetadata` naming the field, so a bad registration changes
nothing and says what to fix.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from .errors import InvalidMetadata
from .jwks import validate_jwks
from .redirect_uris import uri_host, validate_host, validate_uri
from .scopes import DEFAULT_SCOPES, RESTRICTED_SCOPES, SUPPORTED_SCOPES
from .vocabulary import AuthMethod, GrantType, IdTokenAlg

MAX_URIS = 20
MAX_NAME_LENGTH = 200
DEFAULT_GRANT_TYPES: tuple[str, ...] = (GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)
_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """What a client administrator asks for. Field names follow RFC 7591 / OIDC Registration."""

    name: str
    redirect_uris: Sequence[str] = ()
    post_logout_redirect_uris: Sequence[str] = ()
    scopes: Sequence[str] = DEFAULT_SCOPES
    token_endpoint_auth_method: str = AuthMethod.CLIENT_SECRET_BASIC
    grant_types: Sequence[str] = DEFAULT_GRANT_TYPES
    #: Public keys for ``private_key_jwt``: JWKS as JSON text or a mapping.
    jwks: str | Mapping[str, Any] | None = None
    id_token_signed_response_alg: str = IdTokenAlg.RS256
    #: Sector for pairwise subjects; see :func:`resolve_sector`.
    sector: str | None = None
    backchannel_logout_uri: str | None = None
    #: Front-channel logout: for a portal without a back channel, loaded in an iframe at logout.
    frontchannel_logout_uri: str | None = None
    #: A portal of the provider's own operator: the citizen is not asked for consent.
    first_party: bool = False
    #: Switching PKCE off is the conformance-testing exception, for confidential clients only.
    require_pkce: bool = True
    #: The administrator approves the restricted scopes (``pin``, ``citizen_card``) asked for.
    approve_restricted: bool = False


@dataclass(frozen=True, slots=True)
class ClientMetadata:
    """A validated :class:`ClientSpec`, ready to be stored."""

    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    auth_method: AuthMethod
    grant_types: tuple[GrantType, ...]
    jwks: str | None
    id_token_alg: IdTokenAlg
    sector: str | None
    backchannel_logout_uri: str | None
    frontchannel_logout_uri: str | None
    first_party: bool
    require_pkce: bool
    #: True when restricted scopes are allowed, and so an approval must be recorded.
    restricted_approved: bool


def validate_spec(spec: ClientSpec, *, allow_http_loopback: bool) -> ClientMetadata:
    """Check every field and the rules between them; raise InvalidMetadata naming the first bad field."""
    auth_method = _choice(AuthMethod, spec.token_endpoint_auth_method, "token_endpoint_auth_method")
    grant_types = _grant_types(spec.grant_types, auth_method)
    redirect_uris = _uris(spec.redirect_uris, "redirect_uris", allow_http_loopback)
    if GrantType.AUTHORIZATION_CODE in grant_types and not redirect_uris:
        raise InvalidMetadata("A client that logs citizens in needs at least one redirect URI.", field="redirect_uris")
    scopes = _scopes(spec.scopes, grant_types, approved=spec.approve_restricted)
    if not spec.require_pkce and auth_method is AuthMethod.NONE:
        raise InvalidMetadata(
            "PKCE may be switched off only for a confidential client; a public client must always use it "
            "(RFC 9700 §2.1.1).",
            field="require_pkce",
        )
    post_logout = _uris(spec.post_logout_redirect_uris, "post_logout_redirect_uris", allow_http_loopback)
    return ClientMetadata(
        name=_name(spec.name),
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout,
        scopes=scopes,
        auth_method=auth_method,
        grant_types=grant_types,
        jwks=_jwks(spec.jwks, auth_method),
        id_token_alg=_choice(IdTokenAlg, spec.id_token_signed_response_alg, "id_token_signed_response_alg"),
        sector=resolve_sector(spec.sector, redirect_uris),
        backchannel_logout_uri=_optional_uri(spec, "backchannel_logout_uri", allow_http_loopback),
        frontchannel_logout_uri=_optional_uri(spec, "frontchannel_logout_uri", allow_http_loopback),
        first_party=bool(spec.first_party),
        require_pkce=bool(spec.require_pkce),
        restricted_approved=bool(RESTRICTED_SCOPES.intersection(scopes)),
    )


def _optional_uri(spec: ClientSpec, field: str, allow_http_loopback: bool) -> str | None:
    uri = getattr(spec, field)
    return None if uri is None else validate_uri(uri, field=field, allow_http_loopback=allow_http_loopback)


def resolve_sector(sector: str | None, redirect_uris: Sequence[str]) -> str | None:
    """The sector identifier for pairwise ``sub`` values (OIDC Core §8.1).

    A citizen gets the same ``sub`` at every client of one sector and a different one elsewhere, so
    portals of different sectors cannot correlate citizens. By default the sector is the host of the
    redirect URIs, as OIDC Core prescribes. When the redirect URIs span several hosts there is no
    such default: OIDC would then need a ``sector_identifier_uri`` listing them, and here the
    administrator names the sector explicitly instead. That is a deliberate, audited decision,
    because clients that share a sector can link their users; it also keeps ``sub`` stable when a
    portal later moves its redirect URIs to another host. A client without redirect URIs (client
    credentials only) never receives a ``sub`` and may have no sector.
    """
    if sector is not None:
        return validate_host(sector, field="sector")
    hosts = sorted({uri_host(uri) for uri in redirect_uris})
    if len(hosts) > 1:
        raise InvalidMetadata(
            f"The redirect URIs span several hosts ({', '.join(hosts)}); name the sector for pairwise "
            "subjects explicitly, because clients of one sector can link their users.",
            field="sector",
        )
    return hosts[0] if hosts else None


def _name(name: object) -> str:
    text = " ".join(unicodedata.normalize("NFC", name).split()) if isinstance(name, str) else ""
    if not text or not text.isprintable():
        raise InvalidMetadata("The client's name must be printable text, shown to citizens.", field="name")
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidMetadata(f"The client's name is longer than {MAX_NAME_LENGTH} characters.", field="name")
    return text


def _choice(enum: type[_E], value: object, field: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidMetadata(f"{field} {value!r} is not supported; choose one of {allowed}.", field=field) from None


def _grant_types(values: Sequence[str], auth_method: AuthMethod) -> tuple[GrantType, ...]:
    field = "grant_types"
    if any(value in ("implicit", "password") for value in values):
        raise InvalidMetadata("The implicit and password grants are not offered (RFC 9700 §2.1.2, §2.4).", field=field)
    chosen = {_choice(GrantType, value, field) for value in values}
    if not chosen:
        raise InvalidMetadata("A client needs at least one grant type.", field=field)
    if GrantType.REFRESH_TOKEN in chosen and GrantType.AUTHORIZATION_CODE not in chosen:
        raise InvalidMetadata("refresh_token is only given together with authorization_code.", field=field)
    if GrantType.CLIENT_CREDENTIALS in chosen and auth_method is AuthMethod.NONE:
        raise InvalidMetadata(
            "A public client cannot use client_credentials: it has no credentials to present.", field=field
        )
    return tuple(grant for grant in GrantType if grant in chosen)


def _uris(values: Sequence[str], field: str, allow_http_loopback: bool) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if len(values) > MAX_URIS:
        raise InvalidMetadata(f"At most {MAX_URIS} URIs may be registered in {field}.", field=field)
    checked = [validate_uri(uri, field=field, allow_http_loopback=allow_http_loopback) for uri in values]
    return tuple(dict.fromkeys(checked))


def _scopes(values: Sequence[str], grant_types: tuple[GrantType, ...], *, approved: bool) -> tuple[str, ...]:
    field = "scopes"
    chosen = set(values.split() if isinstance(values, str) else values)
    unknown = sorted(str(scope) for scope in chosen - set(SUPPORTED_SCOPES))
    if unknown:
        raise InvalidMetadata(
            f"Unknown scope(s) {', '.join(unknown)}; supported: {' '.join(SUPPORTED_SCOPES)}.", field=field
        )
    if GrantType.AUTHORIZATION_CODE in grant_types and "openid" not in chosen:
        raise InvalidMetadata("A client that logs citizens in must be allowed the openid scope.", field=field)
    if "offline_access" in chosen and GrantType.REFRESH_TOKEN not in grant_types:
        raise InvalidMetadata("offline_access needs the refresh_token grant.", field=field)
    restricted = sorted(RESTRICTED_SCOPES & chosen)
    if restricted and not approved:
        raise InvalidMetadata(
            f"The restricted scope(s) {', '.join(restricted)} may be allowed only with a client "
            "administrator's recorded approval (idp clients add --approve-restricted).",
            field=field,
        )
    return tuple(scope for scope in SUPPORTED_SCOPES if scope in chosen)


def _jwks(jwks: str | Mapping[str, Any] | None, auth_method: AuthMethod) -> str | None:
    if auth_method is AuthMethod.PRIVATE_KEY_JWT:
        if jwks is None:
            raise InvalidMetadata("A private_key_jwt client must register its public keys (jwks).", field="jwks")
        return validate_jwks(jwks)
    if jwks is not None:
        raise InvalidMetadata("Public keys (jwks) are registered only for private_key_jwt clients.", field="jwks")
    return None
