"""The authorization endpoint (OIDC Core 3.1.2) as a short chain of named steps.

validate (Authlib + our parameter rules) → find the citizen's session → policy (login? consent?)
→ interact, or issue the code and redirect with ``iss``. A refusal is raised as
:class:`~idp.oidc.responses.AuthorizationRefused`; ``idp.errors`` sends it to the portal or shows it.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, InteractionRequiredError, LoginRequiredError
from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from identity.models import Account

from .. import context
from ..browser import current_sso_session, set_ui_locale
from ..db import db_session
from ..sso import acr
from ..sso.consent import consent_covers
from ..sso.models import SsoSession
from ..sso.principal import Principal
from . import interactions
from .id_token_hint import hinted_subject
from .par import expand_pushed_request
from .policy import Situation, first_required
from .request_params import RequestOptions, parse_options, refuse_malformed, refuse_request_objects
from .responses import AuthorizationRefused, redirect_to_client, registered_redirect_uri
from .stored_request import oauth_request

bp = Blueprint("authorize", __name__)
#: OpenID Connect Unmet Authentication Requirements 1.0: the OP cannot authenticate as the RP requires.
UNMET_AUTHENTICATION = "unmet_authentication_requirements"
#: OIDC Core 3.1.2.6: what prompt=none answers instead of each step (a code or the level page: interaction).
_PROMPT_NONE_ERRORS = {"login": LoginRequiredError, "consent": ConsentRequiredError}


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    """OIDC Core 3.1.2.1: GET and POST (form-encoded) are both supported."""
    return run(MultiDict(request.values.items(multi=True)), interaction=None)


@bp.route("/authorize/continue")
def resume() -> Response:
    """Back from sign-in or consent: replay the stored request with what the citizen just did."""
    interaction = interactions.load(request.args.get("interaction"))
    if interaction is None:
        raise AuthorizationRefused(OAuth2Error("This sign-in request has expired.", error="expired_request"))
    return run(interaction.params, interaction=interaction)


def run(params: MultiDict[str, str], *, interaction: interactions.Interaction | None) -> Response:
    server = context.provider()
    after_post = request.method == "POST"
    try:
        refuse_malformed(params)
        refuse_request_objects(params)
        params = expand_pushed_request(params)
        oauth = oauth_request(params)
        grant = server.get_consent_grant(oauth, end_user=None)
        options = parse_options(params, grant.redirect_uri)
        hinted_sub = hinted_subject(
            server.keyring,
            params.get("id_token_hint"),
            client_id=grant.client.client_id,
            settings=server.settings,
            redirect_uri=grant.redirect_uri,
        )
    except OAuth2Error as error:
        set_ui_locale((params.get("ui_locales") or "").split())  # a refusal shown to the citizen speaks it too
        raise _refusal(error, params, after_post=after_post) from None
    set_ui_locale(options.ui_locales)
    sso = current_sso_session()
    account = db_session().get(Account, sso.account_id) if sso else None
    scopes = grant.request.scope.split() if grant.request.scope else []
    situation = Situation(
        sso=sso,
        person=account.person if account else None,
        prompts=options.prompts,
        max_age=options.max_age,
        login_hint=options.login_hint,
        hinted_sub=hinted_sub,
        session_sub=server.token_issuer.subject_of(grant.client, account.person_id) if account else None,
        first_party=grant.client.first_party,
        consent_covers=bool(account) and consent_covers(db_session(), account.id, grant.client.client_id, scopes),
        logged_in_during_interaction=_logged_in_during(interaction, sso),
        consented_during_interaction=bool(interaction and interaction.consented),
        amr=frozenset(sso.amr.split()) if sso else frozenset(),
        identity_level=account.identity_level if account else 1,
        wanted_acr=tuple(acr.wanted(options.acr_values, options.claims_request)),
        otp_required_by_level=bool(account) and account.identity_level == 2 and server.settings.level2_requires_otp,
        level_acknowledged=bool(interaction and interaction.level_acknowledged),
    )
    state = params.get("state")
    needed = first_required(situation)
    if needed is not None:
        if "none" in options.prompts:
            error = _PROMPT_NONE_ERRORS.get(needed.step, InteractionRequiredError)()
            raise AuthorizationRefused(error, redirect_uri=grant.redirect_uri, state=state, after_post=after_post)
        pending = interaction or interactions.save(params)
        return redirect(url_for(f"interaction.{needed.step}", interaction=pending.id), code=303)
    assert sso is not None
    assert account is not None
    if interaction is not None:
        interactions.finish(interaction.id)
    if not acr.meets_essential(sso.acr, options.claims_request):
        error = OAuth2Error("The essential acr cannot be met by any sign-in method.", error=UNMET_AUTHENTICATION)
        raise AuthorizationRefused(error, redirect_uri=grant.redirect_uri, state=state, after_post=after_post)
    principal = _principal(sso, account, options)
    response = server.create_authorization_response(oauth, grant_user=principal, grant=grant)
    return redirect_to_client(response.location, after_post=after_post)


def _refusal(error: OAuth2Error, params: MultiDict[str, str], *, after_post: bool) -> AuthorizationRefused:
    """To a redirect URI registered for an active client, or else to the citizen's page."""
    redirect_uri = error.redirect_uri
    if redirect_uri is None and params.get("client_id"):
        redirect_uri = registered_redirect_uri(params, context.provider().query_client(params["client_id"]))
    return AuthorizationRefused(error, redirect_uri=redirect_uri, state=params.get("state"), after_post=after_post)


def _logged_in_during(interaction: interactions.Interaction | None, sso: SsoSession | None) -> bool:
    return bool(
        interaction
        and interaction.logged_in_at
        and sso is not None
        and sso.auth_time.timestamp() >= interaction.started_at
    )


def _principal(sso: SsoSession, account: Account, options: RequestOptions) -> Principal:
    return Principal(
        account_id=account.id,
        person_id=account.person_id,
        identity_level=account.identity_level,
        auth_time=sso.auth_time,
        acr=sso.acr or acr.PASSWORD.value,
        amr=tuple(sso.amr.split()),
        sid=sso.sid,
        session_id=sso.id,
        claims_request=options.claims_request,
    )
