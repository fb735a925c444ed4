"""Signing-key models."""
