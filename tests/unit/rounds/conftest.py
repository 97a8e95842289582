"""Fixtures of the rounds tests (the helpers live in rounds_fixtures.py)."""

from __future__ import annotations

import numpy as np
import pytest
from rounds_fixtures import village_matrices


@pytest.fixture
def village() -> tuple[np.ndarray, np.ndarray]:
    """(duration s, distance m): the kitchen at 0, eight houses within 3 km, a farm at 9."""
    return village_matrices()
