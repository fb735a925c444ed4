"""The OpenID Connect provider: Authlib's server wired to the register, clients and keys."""
