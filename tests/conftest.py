"""Shared fixtures: tiny deterministic light-curve collections."""

from pathlib import Path

import pytest
import torch

# One torch thread for the whole suite: on a shared 2-core machine several
# threads per process contend and slow training down many times over, and
# one thread gives the same floating-point results on any machine.
torch.set_num_threads(1)

from skltransient.utils._testing import make_toy_lightcurves

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def make_lightcurves(n_objects=60, n_classes=3, seed=0, **kwargs):
    return make_toy_lightcurves(n_objects, n_classes, random_state=seed, **kwargs)


@pytest.fixture
def lightcurves():
    return make_lightcurves()


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA
