"""``idp clients``."""

from __future__ import annotations

import click


@click.group("clients")
def command() -> None:
    pass
