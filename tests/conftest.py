"""Shared, seeded fixtures."""

import json
from pathlib import Path

import numpy as np
import pytest

# The reference vectors ship with the tests; a sibling ../shared/reference (if present) can add cases.
REFERENCE_DIRS = [
    Path(__file__).resolve().parent / "reference",
    Path(__file__).resolve().parents[2] / "shared" / "reference",
]


def reference_files() -> dict[str, Path]:
    """Case name -> file, the shared copy winning where both exist."""
    found: dict[str, Path] = {}
    for folder in REFERENCE_DIRS:
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                found[path.stem] = path
    return found


@pytest.fixture
def rng():
    return np.random.default_rng(20240116)


def load_reference(name: str) -> dict:
    with open(reference_files()[name]) as handle:
        return json.load(handle)


@pytest.fixture
def two_blobs(rng):
    """Pool: 600 rows in each of two blobs; target: 3 of 4 rows in the left blob."""
    pool = np.vstack([rng.normal(0.0, 1.0, size=(600, 4)), rng.normal(8.0, 1.0, size=(600, 4))])
    target = np.vstack([rng.normal(0.0, 1.0, size=(300, 4)), rng.normal(8.0, 1.0, size=(100, 4))])
    return pool, target
