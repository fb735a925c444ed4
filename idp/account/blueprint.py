"""The blueprint every account page registers on."""

from flask import Blueprint

bp = Blueprint("account", __name__)
