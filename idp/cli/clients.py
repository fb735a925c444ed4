"""``idp clients``: the client administrator's commands over the relying-party register."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from clients import (
    DEFAULT_SCOPES,
    RESTRICTED_SCOPES,
    SUPPORTED_SCOPES,
    ClientSpec,
    InvalidMetadata,
    client_record,
    get_client,
    list_clients,
    register_client,
    restore_client,
    rotate_secret,
    suspend_client,
)
from clients.jwks import MAX_JWKS_LENGTH
from clients.metadata import DEFAULT_GRANT_TYPES
from identity import unit_of_work

from ..context import session_factory, settings
from .options import actor_option, emit, json_option, reason_option

STORE_SECRET_NOW = "Store this client secret now: it is shown only this once, and the provider keeps only a hash of it."


@click.group("clients", help="Relying-party portals allowed to log citizens in.")
def command() -> None:
    pass


@command.command("add", help="Register a client; prints its client_id and, this once only, its secret.")
@click.option("--name", required=True, help="Name shown to citizens.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, metavar="URI", help="Exact redirect URI; repeatable.")
@click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True, metavar="URI")
@click.option("--backchannel-logout-uri", metavar="URI", help="Where logout tokens are POSTed.")
@click.option(
    "--frontchannel-logout-uri", metavar="URI", help="Loaded in an iframe at logout by a portal without a back channel."
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="SCOPE",
    help=f"Allowed scope; repeatable (default {' '.join(DEFAULT_SCOPES)}). Supported: {' '.join(SUPPORTED_SCOPES)}.",
)
@click.option("--auth-method", default="client_secret_basic", show_default=True, metavar="METHOD")
@click.option(
    "--grant-type",
    "grant_types",
    multiple=True,
    metavar="GRANT",
    help=f"Repeatable (default {' '.join(DEFAULT_GRANT_TYPES)}); client_credentials only when asked.",
)
@click.option("--jwks", metavar="FILE|JSON", help="Public keys of a private_key_jwt client: a JWKS file or JSON text.")
@click.option("--id-token-alg", default="RS256", show_default=True, metavar="ALG", help="RS256, ES256 or EdDSA.")
@click.option("--sector", metavar="HOST", help="Sector for pairwise subjects; needed when redirect hosts differ.")
@click.option("--first-party", is_flag=True, help="A portal of the provider's operator: no consent screen.")
@click.option("--no-pkce", is_flag=True, help="Conformance testing only, confidential clients only: PKCE not required.")
@click.option(
    "--approve-restricted",
    is_flag=True,
    help=f"Approve the restricted scopes ({', '.join(sorted(RESTRICTED_SCOPES))}); recorded with --actor.",
)
@json_option
@actor_option
@with_appcontext
def add(
    *,
    name: str,
    redirect_uris: tuple[str, ...],
    post_logout_redirect_uris: tuple[str, ...],
    backchannel_logout_uri: str | None,
    frontchannel_logout_uri: str | None,
    scopes: tuple[str, ...],
    auth_method: str,
    grant_types: tuple[str, ...],
    jwks: str | None,
    id_token_alg: str,
    sector: str | None,
    first_party: bool,
    no_pkce: bool,
    approve_restricted: bool,
    as_json: bool,
    actor: str,
) -> None:
    spec = ClientSpec(
        name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        scopes=[s for value in scopes for s in value.split()] or DEFAULT_SCOPES,
        token_endpoint_auth_method=auth_method,
        grant_types=grant_types or DEFAULT_GRANT_TYPES,
        jwks=None if jwks is None else _read_jwks(jwks),
        id_token_signed_response_alg=id_token_alg,
        sector=sector,
        backchannel_logout_uri=backchannel_logout_uri,
        frontchannel_logout_uri=frontchannel_logout_uri,
        first_party=first_party,
        require_pkce=not no_pkce,
        approve_restricted=approve_restricted,
    )
    allow_http_loopback = settings().allows_http_loopback_redirects
    with unit_of_work(session_factory()) as session:
        client, secret = register_client(session, spec, actor=actor, allow_http_loopback=allow_http_loopback)
        record = client_record(client)
    lines = [f"Registered client {record['name']!r}.", f"client_id:     {record['client_id']}"]
    if secret is None:
        lines.append(f"This client has no secret: it authenticates with {record['token_endpoint_auth_method']}.")
    else:
        lines += [f"client_secret: {secret}", STORE_SECRET_NOW]
    _emit_with_secret({**record, "client_secret": secret}, secret, as_json=as_json, text="\n".join(lines))


@command.command("list", help="Every registered client, suspended ones included.")
@json_option
@with_appcontext
def list_command(as_json: bool) -> None:
    with unit_of_work(session_factory()) as session:
        records = [client_record(client) for client in list_clients(session)]
    lines = [f"{r['client_id']}  {r['status']:<9}  {r['name']}" for r in records]
    lines.append(f"{len(records)} client(s).")
    emit({"clients": records}, as_json=as_json, text="\n".join(lines))


@command.command("show", help="One client's registration (never its secret).")
@click.argument("client_id")
@json_option
@with_appcontext
def show(client_id: str, as_json: bool) -> None:
    with unit_of_work(session_factory()) as session:
        record = client_record(get_client(session, client_id))
    emit(record, as_json=as_json, text=_describe(record))


def _status_command(name: str, change: Any, help_text: str) -> click.Command:
    @click.argument("client_id")
    @reason_option
    @json_option
    @actor_option
    @with_appcontext
    def run(client_id: str, reason: str, as_json: bool, actor: str) -> None:
        with unit_of_work(session_factory()) as session:
            record = client_record(change(session, client_id, reason=reason, actor=actor))
        text = f"Client {record['client_id']} ({record['name']}) is now {record['status']}."
        emit(record, as_json=as_json, text=text)

    return click.command(name, help=help_text)(run)


command.add_command(_status_command("suspend", suspend_client, "Suspend a client: no logins, no tokens."))
command.add_command(_status_command("restore", restore_client, "Restore a suspended client."))


@command.command("rotate-secret", help="Replace a client's secret; the old one stops working at once.")
@click.argument("client_id")
@json_option
@actor_option
@with_appcontext
def rotate(client_id: str, as_json: bool, actor: str) -> None:
    with unit_of_work(session_factory()) as session:
        secret = rotate_secret(session, client_id, actor=actor)
    lines = [f"New secret for client {client_id}; the old one no longer works.", f"client_secret: {secret}"]
    text = "\n".join([*lines, STORE_SECRET_NOW])
    _emit_with_secret({"client_id": client_id, "client_secret": secret}, secret, as_json=as_json, text=text)


def _emit_with_secret(data: dict[str, Any], secret: str | None, *, as_json: bool, text: str) -> None:
    """Print the result; with --json the warning to store the secret goes to stderr, keeping stdout one object."""
    emit(data, as_json=as_json, text=text)
    if as_json and secret is not None:
        click.echo(STORE_SECRET_NOW, err=True)


def _read_jwks(value: str) -> str:
    """JSON text as given, or the contents of the named file."""
    if value.lstrip().startswith("{"):
        return value
    try:
        with Path(value).open(encoding="utf-8") as file:
            return file.read(MAX_JWKS_LENGTH + 1)
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not UTF-8 text"
        raise InvalidMetadata(f"The JWKS file {value!r} cannot be read: {reason}.", field="jwks") from None


def _describe(record: dict[str, Any]) -> str:
    status = record["status"] + (f" ({record['status_reason']})" if record["status_reason"] else "")
    secret = "has a secret" if record["has_secret"] else "no secret"
    scopes = " ".join(record["scopes"])
    if record["restricted_scopes_approved_by"]:
        scopes += (
            f" (restricted scopes approved by {record['restricted_scopes_approved_by']}"
            f" at {record['restricted_scopes_approved_at']})"
        )
    lines = [
        f"{record['client_id']}  {record['name']}",
        f"  status: {status}",
        f"  authentication: {record['token_endpoint_auth_method']} ({'public' if record['public'] else secret})",
        f"  redirect URIs: {' '.join(record['redirect_uris']) or '-'}",
        f"  post-logout redirect URIs: {' '.join(record['post_logout_redirect_uris']) or '-'}",
        f"  back-channel logout URI: {record['backchannel_logout_uri'] or '-'}",
        f"  front-channel logout URI: {record['frontchannel_logout_uri'] or '-'}",
        f"  scopes: {scopes}",
        f"  grant types: {' '.join(record['grant_types'])}",
        f"  ID token algorithm: {record['id_token_signed_response_alg']}; PKCE required: "
        f"{'yes' if record['require_pkce'] else 'no (conformance testing)'}; "
        f"first party: {'yes' if record['first_party'] else 'no'}",
        f"  sector: {record['sector'] or '-'}",
    ]
    return "\n".join(lines)
