"""The citizen-facing steps of an authorization: sign in, consent, account activation."""
