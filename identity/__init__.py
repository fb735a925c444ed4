"""The national identity register: persons, PINs, citizen cards, lifecycle and the audit trail.

This package never imports Flask or the web layer, so it can be driven from the CLI, a batch job
or a test directly.
"""

from . import audit
from .cards import bind_card, card_expiry
from .db import Base, make_engine, make_session_factory, unit_of_work
from .errors import (
    AuditChainBroken,
    CardConflict,
    IdentityError,
    IllegalTransition,
    ImportRefused,
    InvalidInput,
    InvalidPin,
    PrefixExhausted,
    UnknownPerson,
)
from .importer import ImportSummary, import_csv
from .lifecycle import TRANSITIONS, change_status
from .person_facts import PersonFacts, parse_date, person_facts
from .pin import parse_pin, structural_problems
from .register import get_person, issue_person, person_record, reestablish_pin
from .search import find_people
from .vocabulary import CardStatus, PersonStatus, Sex

__all__ = [
    "TRANSITIONS",
    "AuditChainBroken",
    "Base",
    "CardConflict",
    "CardStatus",
    "IdentityError",
    "IllegalTransition",
    "ImportRefused",
    "ImportSummary",
    "InvalidInput",
    "InvalidPin",
    "PersonFacts",
    "PersonStatus",
    "PrefixExhausted",
    "Sex",
    "UnknownPerson",
    "audit",
    "bind_card",
    "card_expiry",
    "change_status",
    "find_people",
    "get_person",
    "import_csv",
    "issue_person",
    "make_engine",
    "make_session_factory",
    "parse_date",
    "parse_pin",
    "person_facts",
    "person_record",
    "reestablish_pin",
    "structural_problems",
    "unit_of_work",
]
