"""Helpers shared by the review tests (a module of its own name, so test directories never clash)."""

from __future__ import annotations


def headers(keys: dict[str, dict[str, str]], name: str) -> dict[str, str]:
    """Only the Authorization header of key ``name``."""
    return {"Authorization": keys[name]["Authorization"]}
