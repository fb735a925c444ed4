"""Typed models of the register; importing this package registers them on the shared metadata."""

from .account import Account, AccountStatus, ActivationCode
from .audit import AuditEvent, AuditHead
from .card import CitizenCard
from .factor import OtpFactor, RecoveryCode, SignInAttempt, Throttle
from .person import Person, PinChange

__all__ = [
    "Account",
    "AccountStatus",
    "ActivationCode",
    "AuditEvent",
    "AuditHead",
    "CitizenCard",
    "OtpFactor",
    "Person",
    "PinChange",
    "RecoveryCode",
    "SignInAttempt",
    "Throttle",
]
