"""Where the bundled demo data live: ``assets/`` of a checkout, or ``gio_core/assets`` in an installed wheel."""

from __future__ import annotations

from pathlib import Path


def assets_folder() -> Path:
    """The folder of bundled data.

    The wheel installs the checkout's ``assets/`` as ``gio_core/assets`` (pyproject.toml's package-dir), so
    an installed package looks inside itself; a checkout finds ``assets/`` beside the package.
    """
    package = Path(__file__).resolve().parent.parent  # gio_core/
    installed = package / "assets"
    return installed if installed.is_dir() else package.parent / "assets"
