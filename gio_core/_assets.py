"""Where the bundled demo data lives: ``assets/`` beside the package in a checkout."""

from __future__ import annotations

from pathlib import Path


def assets_folder() -> Path:
    """The folder of bundled data (``assets/`` of the checkout)."""
    return Path(__file__).resolve().parent.parent / "assets"
