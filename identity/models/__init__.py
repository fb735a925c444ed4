"""Typed models of the register; importing this package registers them on the shared metadata."""

from .audit import AuditEvent, AuditHead
from .card import CitizenCard
from .person import Person, PinChange

__all__ = ["AuditEvent", "AuditHead", "CitizenCard", "Person", "PinChange"]
