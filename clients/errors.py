"""Errors of the relying-party register.

They subclass :class:`identity.errors.IdentityError`, so they carry a stable ``code`` and a sentence for
the client administrator, and the ``idp`` command prints them like every other domain error. Raising
one always means nothing was changed.
"""

from __future__ import annotations

from identity.errors import IdentityError


class ClientError(IdentityError):
    """Base class: a request the relying-party register refuses."""

    code = "client_error"


class InvalidMetadata(ClientError):
    """A registration value is refused; ``field`` names it (the RFC 7591 error code is reused)."""

    code = "invalid_client_metadata"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field

    def as_dict(self) -> dict[str, str]:
        return {**super().as_dict(), "field": self.field}


class UnknownClient(ClientError):
    """No registered client has this client_id."""

    code = "unknown_client"


class ClientSuspended(ClientError):
    """The client is suspended and may not be used until it is restored."""

    code = "client_suspended"


class ClientStatusConflict(ClientError):
    """A status change that the client's current status does not allow (suspend twice, restore an active one)."""

    code = "client_status_conflict"
