"""Builders for test data, with overridable defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from identity import PersonFacts, issue_person, person_facts
from identity.models import Person


def facts(**overrides: Any) -> PersonFacts:
    values: dict[str, Any] = {
        "full_name": "Nguyễn Văn An",
        "birth_date": "1984-03-12",
        "sex": "male",
        "birth_place": "001",
    }
    values.update(overrides)
    return person_facts(**values)


def person(session: Session, *, actor: str = "test", **overrides: Any) -> Person:
    """Issue a person and commit, as a registrar would."""
    created = issue_person(session, facts(**overrides), actor=actor)
    session.commit()
    return created
