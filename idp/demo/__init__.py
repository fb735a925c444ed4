"""Demonstration data for a fresh checkout: persons, one activated citizen, one portal."""
