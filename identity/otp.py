"""The second factor: a TOTP seed (RFC 6238) enrolled by QR code, and ten single-use recovery codes.

* The seed has 160 random bits (RFC 4226 §4), is sealed at rest with the key-encryption key
  (``identity.sealing``, the account id as context), and counts only once the holder confirmed it
  with one code.
* A code is six ASCII digits, checked with ``^[0-9]{6}$`` *before* pyotp sees it: pyotp compares with
  NFKC normalisation, which would let full-width digits through (SECURITY.md §6.8). It may be one time
  step early or late (30 s of drift either way) and its step must be later than the last accepted one:
  a conditional UPDATE moves ``last_step`` forward, so a code is accepted once, even by two processes
  at the same moment (ASVS 6.5.1, decision-free replay protection pyotp does not give).
* Recovery codes carry 80 random bits each and are stored as SHA-256 digests; one is spent by a
  conditional UPDATE. Using one means the device is gone: the holder is asked to enrol again.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass

import pyotp
from pyotp.utils import build_uri
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from . import audit
from .errors import IdentityError
from .models import Account, OtpFactor, RecoveryCode
from .pin import mask_pin
from .register import subject_of
from .sealing import seal, unseal
from .types import utcnow

DIGITS = 6
PERIOD_SECONDS = 30
#: Steps of clock drift accepted either way: at most one (RFC 6238 §5.2, ASVS 6.5.5).
DRIFT_STEPS = 1
SEED_BYTES = 20
RECOVERY_CODES = 10
_RECOVERY_BYTES = 10
_CODE = re.compile(r"[0-9]{6}", re.ASCII)
_RECOVERY = re.compile(r"[A-Z2-7]{16}", re.ASCII)


class WrongCode(IdentityError):
    """The one-time code is not the app's code for this moment (or was already used)."""

    code = "wrong_code"


class NoFactor(IdentityError):
    """The account has no confirmed one-time-code app."""

    code = "no_factor"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the holder needs to add the seed to an app: the secret to type, and the URI a QR code carries."""

    secret: str
    uri: str

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, easier to type without a mistake."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def has_factor(session: Session, account_id: int) -> bool:
    confirmed = select(OtpFactor.id).where(OtpFactor.account_id == account_id, OtpFactor.seed_sealed.is_not(None))
    return session.scalar(confirmed) is not None


def start_enrolment(
    session: Session, account: Account, *, kek: bytes, issuer: str, secret: str | None = None
) -> Enrolment:
    """A new seed for *account*, pending until confirmed; a working seed keeps working meanwhile.

    The seed comes from the CSPRNG (ASVS 6.5.3); only the demonstration data passes its published one."""
    secret = secret or base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode()
    factor = _factor(session, account.id) or OtpFactor(account_id=account.id)
    factor.pending_seed_sealed = seal(kek, secret.encode(), context=_context(account.id))
    factor.pending_since = utcnow()
    session.add(factor)
    session.flush()
    return _enrolment(secret, account, issuer)


def pending_enrolment(session: Session, account: Account, *, kek: bytes, issuer: str) -> Enrolment | None:
    """The enrolment under way, to show its QR code again (a reload, a language switch)."""
    factor = _factor(session, account.id)
    if factor is None or factor.pending_seed_sealed is None:
        return None
    return _enrolment(unseal(kek, factor.pending_seed_sealed, context=_context(account.id)).decode(), account, issuer)


def confirm_enrolment(session: Session, account: Account, code: str, *, kek: bytes, actor: str) -> list[str]:
    """Make the pending seed the account's factor, proved by *code*; returns ten new recovery codes
    (shown once). WrongCode when the code does not match; nothing changes then."""
    factor = _factor(session, account.id)
    if factor is None or factor.pending_seed_sealed is None:
        raise NoFactor("There is no enrolment under way; start again.")
    secret = unseal(kek, factor.pending_seed_sealed, context=_context(account.id)).decode()
    step = _matching_step(secret, code)
    factor.seed_sealed, factor.last_step, factor.confirmed_at = factor.pending_seed_sealed, step, utcnow()
    factor.pending_seed_sealed = factor.pending_since = None
    session.flush()
    codes = _replace_recovery_codes(session, account.id)
    audit.record(session, audit.Event("account.otp_enrolled", actor, subject_of(account.person)))
    return codes


def verify_code(session: Session, account_id: int, code: str, *, kek: bytes) -> None:
    """Accept *code* for the account's confirmed seed once, or raise WrongCode (also for a replay)."""
    factor = _factor(session, account_id)
    if factor is None or factor.seed_sealed is None:
        raise NoFactor("This account has no one-time-code app.")
    step = _matching_step(unseal(kek, factor.seed_sealed, context=_context(account_id)).decode(), code)
    advanced = session.execute(
        update(OtpFactor)
        .where(
            OtpFactor.id == factor.id,
            or_(OtpFactor.last_step.is_(None), OtpFactor.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    if advanced.rowcount != 1:
        raise WrongCode("This code was already used; wait for the next one.")


def use_recovery_code(session: Session, account_id: int, code: str) -> None:
    """Spend one recovery code, or raise WrongCode."""
    normalised = re.sub(r"[\s-]", "", code).upper()
    if not _RECOVERY.fullmatch(normalised):
        raise WrongCode("A recovery code is 16 letters and digits.")
    spent = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account_id,
            RecoveryCode.code_hash == _digest(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise WrongCode("This recovery code is not valid or was already used.")


def new_recovery_codes(session: Session, account: Account, *, actor: str) -> list[str]:
    """Ten fresh recovery codes; the old ones stop working."""
    if not has_factor(session, account.id):
        raise NoFactor("Recovery codes belong to a one-time-code app; enrol one first.")
    codes = _replace_recovery_codes(session, account.id)
    audit.record(session, audit.Event("account.recovery_codes_replaced", actor, subject_of(account.person)))
    return codes


def recovery_codes_left(session: Session, account_id: int) -> int:
    unused = select(RecoveryCode.id).where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
    return len(session.scalars(unused).all())


def remove_factor(session: Session, account: Account, *, reason: str, actor: str) -> None:
    """Forget the seed, any enrolment under way and the recovery codes (a registrar's reset)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    session.execute(delete(OtpFactor).where(OtpFactor.account_id == account.id))
    audit.record(session, audit.Event("account.otp_reset", actor, subject_of(account.person), reason))


def _enrolment(secret: str, account: Account, issuer: str) -> Enrolment:
    """The key URI apps read (``otpauth://totp/ISSUER:LABEL?secret=…&issuer=…``): the PIN masked in the label."""
    uri = build_uri(secret, mask_pin(account.person.pin), issuer=issuer, digits=DIGITS, period=PERIOD_SECONDS)
    return Enrolment(secret, uri)


def _matching_step(secret: str, code: str) -> int:
    if not _CODE.fullmatch(code):
        raise WrongCode("A one-time code is six digits 0 to 9.")
    try:
        return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD_SECONDS).verify_and_get_timecode(
            code, for_time=utcnow(), valid_window=DRIFT_STEPS
        )
    except pyotp.exceptions.OTPVerificationError:
        raise WrongCode("This is not the code your app shows now.") from None


def _replace_recovery_codes(session: Session, account_id: int) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    codes = [base64.b32encode(secrets.token_bytes(_RECOVERY_BYTES)).decode() for _ in range(RECOVERY_CODES)]
    session.execute(insert(RecoveryCode), [{"account_id": account_id, "code_hash": _digest(c)} for c in codes])
    return [f"{c[:4]}-{c[4:8]}-{c[8:12]}-{c[12:]}" for c in codes]


def _factor(session: Session, account_id: int) -> OtpFactor | None:
    return session.scalars(select(OtpFactor).where(OtpFactor.account_id == account_id)).one_or_none()


def _context(account_id: int) -> bytes:
    return f"otp-seed:{account_id}".encode()


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
