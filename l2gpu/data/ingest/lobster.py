"""LOBSTER reader (placeholder while it is written)."""
