"""The national identity register: persons, PINs, citizen cards, lifecycle and the audit trail.

This package never imports Flask or the web layer, so it can be driven from the CLI, a batch job
or a test directly.
"""

from . import audit
from .accounts import (
    account_record,
    activate_account,
    change_account_status,
    change_password,
    get_account,
    open_account,
)
from .authn import authenticate_password
from .cards import bind_card, card_expiry
from .db import Base, make_engine, make_session_factory, unit_of_work
from .errors import (
    ActivationRejected,
    AuditChainBroken,
    CardConflict,
    CredentialRejected,
    IdentityError,
    IllegalTransition,
    ImportRefused,
    InvalidInput,
    InvalidPin,
    PrefixExhausted,
    TooManyAttempts,
    UnknownAccount,
    UnknownPerson,
    WeakPassword,
)
from .importer import ImportSummary, import_csv
from .lifecycle import TRANSITIONS, change_status
from .models import AccountStatus
from .password_policy import PasswordPolicy, check_password
from .passwords import PasswordHasher
from .person_facts import PersonFacts, parse_date, person_facts
from .pin import parse_pin, structural_problems
from .register import get_person, issue_person, person_record, reestablish_pin
from .search import find_people
from .verification import verify_in_person
from .vocabulary import CardStatus, PersonStatus, Sex

__all__ = [
    "TRANSITIONS",
    "AccountStatus",
    "ActivationRejected",
    "AuditChainBroken",
    "Base",
    "CardConflict",
    "CardStatus",
    "CredentialRejected",
    "IdentityError",
    "IllegalTransition",
    "ImportRefused",
    "ImportSummary",
    "InvalidInput",
    "InvalidPin",
    "PasswordHasher",
    "PasswordPolicy",
    "PersonFacts",
    "PersonStatus",
    "PrefixExhausted",
    "Sex",
    "TooManyAttempts",
    "UnknownAccount",
    "UnknownPerson",
    "WeakPassword",
    "account_record",
    "activate_account",
    "audit",
    "authenticate_password",
    "bind_card",
    "card_expiry",
    "change_account_status",
    "change_password",
    "change_status",
    "check_password",
    "find_people",
    "get_account",
    "get_person",
    "import_csv",
    "issue_person",
    "make_engine",
    "make_session_factory",
    "open_account",
    "parse_date",
    "parse_pin",
    "person_facts",
    "person_record",
    "reestablish_pin",
    "structural_problems",
    "unit_of_work",
    "verify_in_person",
]
