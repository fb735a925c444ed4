"""The blueprint all interaction pages register on."""

from flask import Blueprint

bp = Blueprint("interaction", __name__)
