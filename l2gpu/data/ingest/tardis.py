"""Tardis reader."""
