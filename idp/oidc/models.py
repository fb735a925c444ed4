"""Protocol state of the provider: authorization codes, tokens, consents, SSO sessions."""
