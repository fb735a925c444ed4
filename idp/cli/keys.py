"""``idp keys``."""

from __future__ import annotations

import click


@click.group("keys")
def command() -> None:
    pass
