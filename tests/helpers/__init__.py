"""Builders, assertions and helpers that several test modules share."""
