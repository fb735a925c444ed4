"""``idp accounts``."""

from __future__ import annotations

import click


@click.group("accounts")
def command() -> None:
    pass
