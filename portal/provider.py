"""The portal's only way to the provider: OpenID Connect through Authlib's Flask client.

Discovery (``server_metadata_url``), the code flow with PKCE S256, ``state`` and ``nonce`` (Authlib
makes and checks them), ID token validation against the provider's JWKS, userinfo, refresh, and
RP-initiated logout. What Authlib leaves to the application is done here: the discovery document must
name exactly the configured issuer (OIDC Discovery §4.3), the authorization response's ``iss`` must be
the issuer (RFC 9207, before the code is used), tokens are accepted only with an asymmetric algorithm,
userinfo must be about the ID token's ``sub``, and a refreshed ID token about the same citizen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, Response, redirect, request, session
from joserfc.errors import JoseError

from . import logout_token
from .config import Settings
from .login import Login, expiry

NAME = "eid"
#: A forged logout token with an unknown ``kid`` makes the portal fetch the JWKS again at most this often.
JWKS_REFETCH_INTERVAL = 10.0


class ProviderUnavailable(Exception):
    """The provider could not be reached, or said something inconsistent about itself."""


class SignInFailed(Exception):
    """The authorization response or the tokens cannot be accepted; ``error`` is a short code for the page."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


class Provider:
    def __init__(self, app: Flask, settings: Settings) -> None:
        self.settings = settings
        oauth = OAuth(app)
        self.client: Any = oauth.register(
            NAME,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": settings.scope,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_basic",
                "default_timeout": settings.provider_timeout,
            },
        )
        self._jwks_lock = threading.Lock()
        self._jwks_fetched_at = 0.0

    # -- what the provider publishes ------------------------------------------------------------------

    def metadata(self) -> Mapping[str, Any]:
        """The discovery document, read once and checked every time it is used."""
        try:
            metadata = self.client.load_server_metadata()
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailable(f"discovery failed: {error}") from error
        if metadata.get("issuer") != self.settings.issuer:
            raise ProviderUnavailable(f"discovery names the issuer {metadata.get('issuer')!r}")
        advertised = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        # Authlib verifies ID tokens with the algorithms listed here: keep only those with a public key
        # (an empty list would let joserfc fall back to its defaults, HS256 among them).
        usable = [alg for alg in advertised if alg in logout_token.ASYMMETRIC_ALGORITHMS]
        if not usable:
            raise ProviderUnavailable(f"the provider signs with no asymmetric algorithm: {advertised}")
        metadata["id_token_signing_alg_values_supported"] = usable
        return metadata

    def keys(self, refresh: bool = False) -> Mapping[str, Any]:
        """The provider's JWKS; fetched again on request, but not more often than every few seconds."""
        self.metadata()
        with self._jwks_lock:
            now = time.monotonic()
            force = refresh and now - self._jwks_fetched_at >= JWKS_REFETCH_INTERVAL
            try:
                jwks = self.client.fetch_jwk_set(force=force)
            except (requests.RequestException, ValueError) as error:
                raise ProviderUnavailable(f"the JWKS could not be read: {error}") from error
            if force:
                self._jwks_fetched_at = now
            return jwks

    def logout_expectations(self) -> logout_token.Expectations:
        return logout_token.Expectations(
            issuer=self.settings.issuer,
            client_id=self.settings.client_id,
            algorithms=frozenset(self.metadata()["id_token_signing_alg_values_supported"]),
            max_age=self.settings.logout_token_max_age,
            leeway=self.settings.clock_leeway,
        )

    # -- signing in -----------------------------------------------------------------------------------

    def authorization_redirect(self, *, then: str, language: str, acr: str | None = None) -> Response:
        """Send the browser to the provider; *then* (a page of the portal) is where it comes back to."""
        self.metadata()
        params = {"ui_locales": language}
        if acr is not None:
            params["acr_values"] = acr
        authorization = self.client.create_authorization_url(self.settings.redirect_uri, **params)
        self.client.save_authorize_data(redirect_uri=self.settings.redirect_uri, then=then, acr=acr, **authorization)
        return redirect(authorization["url"])

    def complete(self, *, now: float) -> tuple[Login, Mapping[str, Any]]:
        """The sign-in the provider's answer at the redirect URI brings, and what this request asked for
        (``then``, ``acr``). Raises :class:`SignInFailed` when anything does not check out."""
        metadata = self.metadata()
        issuer = request.args.get("iss")
        announced = metadata.get("authorization_response_iss_parameter_supported")
        if issuer != self.settings.issuer and (issuer is not None or announced):
            raise SignInFailed("wrong_issuer", "the authorization response comes from another issuer (RFC 9207)")
        asked = self.client.framework.get_state_data(session, request.args.get("state")) or {}
        try:
            token = self.client.authorize_access_token(claims_options=self._id_token_claims())
        except (OAuthError, JoseError) as error:
            raise SignInFailed(getattr(error, "error", None) or "invalid_id_token", str(error)) from None
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailable(f"the token endpoint failed: {error}") from error
        claims = token.get("userinfo")
        if not claims:
            raise SignInFailed("invalid_id_token", "the token response carries no ID token")
        userinfo = self._userinfo(token, dict(claims))
        login = Login(
            id_token=token["id_token"],
            claims=dict(claims),
            userinfo=userinfo,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            access_expires_at=expiry(token, now),
            ends_at=now + self.settings.session_lifetime,
        )
        return login, asked

    def _id_token_claims(self) -> dict[str, Any]:
        return {
            "iss": {"essential": True, "value": self.settings.issuer},
            "aud": {"essential": True, "value": self.settings.client_id},
        }

    def _userinfo(self, token: Mapping[str, Any], claims: Mapping[str, Any]) -> dict[str, Any]:
        try:
            userinfo = dict(self.client.userinfo(token=token))
        except requests.HTTPError as error:
            raise SignInFailed("userinfo_refused", str(error)) from None
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailable(f"userinfo failed: {error}") from error
        if userinfo.get("sub") != claims["sub"]:  # OIDC Core 5.3.2: a substituted response
            raise SignInFailed("userinfo_mismatch", "userinfo is about another subject than the ID token")
        return userinfo

    # -- keeping the sign-in fresh ----------------------------------------------------------------------

    def refresh(self, login: Login, *, now: float) -> Login:
        """*login* with new tokens. Raises :class:`SignInFailed` when the provider refuses (the citizen's
        session there has ended), :class:`ProviderUnavailable` when it cannot be asked."""
        if not login.refresh_token:
            raise SignInFailed("no_refresh_token")
        self.metadata()
        try:
            token = self.client.fetch_access_token(grant_type="refresh_token", refresh_token=login.refresh_token)
        except OAuthError as error:
            raise SignInFailed(error.error or "invalid_grant", str(error)) from None
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailable(f"the refresh failed: {error}") from error
        claims = None
        if token.get("id_token"):
            try:
                claims = dict(self.client.parse_id_token(token, nonce=None, claims_options=self._id_token_claims()))
            except JoseError as error:
                raise SignInFailed("invalid_id_token", str(error)) from None
            if claims["sub"] != login.sub:  # OIDC Core 12.2
                raise SignInFailed("invalid_id_token", "the refreshed ID token is about another subject")
        return login.refreshed(dict(token), claims, now=now)

    # -- signing out ----------------------------------------------------------------------------------

    def logout_redirect(self, login: Login, *, language: str) -> Response | None:
        """RP-initiated logout at the provider, or None when it publishes no ``end_session_endpoint``."""
        if not self.metadata().get("end_session_endpoint"):
            return None
        response: Response = self.client.logout_redirect(
            post_logout_redirect_uri=self.settings.post_logout_redirect_uri,
            id_token_hint=login.id_token,
            client_id=self.settings.client_id,
            ui_locales=language,
        )
        return response

    def returned_from_logout(self) -> bool:
        """The browser came back from the provider's logout with the ``state`` this session sent."""
        try:
            self.client.validate_logout_response()
        except OAuthError:
            return False
        return True
