"""The relying-party register: portals allowed to log citizens in through the provider.

Clients are registered by a client administrator, never by themselves (no dynamic registration).
This package never imports Flask or the web layer; the provider reads clients through
:func:`get_client` / :func:`get_active_client` and the Authlib ``ClientMixin`` methods of
:class:`Client`.
"""

from .credentials import hash_secret, secret_matches
from .errors import ClientError, ClientStatusConflict, ClientSuspended, InvalidMetadata, UnknownClient
from .metadata import ClientMetadata, ClientSpec, validate_spec
from .models import AUTHENTICATED_ENDPOINTS, Client
from .redirect_uris import LOOPBACK_HOSTS, validate_uri
from .registry import (
    client_names,
    client_record,
    find_active_client,
    get_active_client,
    get_client,
    list_clients,
    register_client,
    restore_client,
    rotate_secret,
    suspend_client,
)
from .scopes import DEFAULT_SCOPES, RESTRICTED_SCOPES, SUPPORTED_SCOPES
from .vocabulary import AuthMethod, ClientStatus, GrantType, IdTokenAlg

__all__ = [
    "AUTHENTICATED_ENDPOINTS",
    "DEFAULT_SCOPES",
    "LOOPBACK_HOSTS",
    "RESTRICTED_SCOPES",
    "SUPPORTED_SCOPES",
    "AuthMethod",
    "Client",
    "ClientError",
    "ClientMetadata",
    "ClientSpec",
    "ClientStatus",
    "ClientStatusConflict",
    "ClientSuspended",
    "GrantType",
    "IdTokenAlg",
    "InvalidMetadata",
    "UnknownClient",
    "client_names",
    "client_record",
    "find_active_client",
    "get_active_client",
    "get_client",
    "hash_secret",
    "list_clients",
    "register_client",
    "restore_client",
    "rotate_secret",
    "secret_matches",
    "suspend_client",
    "validate_spec",
    "validate_uri",
]
