"""What the views need from the app, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .provider import Provider
from .store import SessionStore


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: SessionStore
    provider: Provider
