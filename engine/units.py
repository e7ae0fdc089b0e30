"""Quantities written for people."""

from __future__ import annotations


def format_bytes(count: int) -> str:
    """A byte count as people read it: 1.25 GB, 380 MB, 12 KB (a started kilobyte counts)."""
    if count >= 2**30:
        return f"{count / 2**30:.2f} GB"
    if count >= 2**20:
        return f"{count / 2**20:.0f} MB"
    return f"{-(-count // 1024)} KB"
