"""Signing keys: generation, encryption at rest, rotation and the published key set."""
