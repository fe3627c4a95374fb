"""Predictions equal to the bit to those saved from the code before a refactoring.

``tests/data/reference_proba.npz`` was written by
``tests/data/make_reference_proba.py`` from main before issue 23 (public
seams) moved code between modules: the shipped ``ztf-sims`` model, small
freshly fitted pipelines (observations and grid, with and without early
stopping), ``predict_proba_at``, predictions over time, streaming, and
fine-tuning with and without domain adaptation. The arrays are those of the
CPU with one torch thread; another CPU family or torch build may differ in
the last bits, in which case regenerate the file from the commit before the
change under test and compare there.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).with_name("data") / "make_reference_proba.py"


def _script():
    spec = importlib.util.spec_from_file_location("make_reference_proba", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = dict(np.load(_script().PATH))


@pytest.fixture(scope="module")
def computed():
    with pytest.warns(UserWarning):  # the window's and the grid's lookahead, as when saved
        return _script().compute()


def test_reference_file_covers_every_computed_array(computed):
    """Check that the saved file and the script name the same arrays."""
    assert sorted(computed) == sorted(REFERENCE)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_predictions_equal_the_saved_ones_to_the_bit(computed, name):
    """Check that every prediction equals the one saved before the refactoring, bit for bit."""
    np.testing.assert_array_equal(computed[name], REFERENCE[name])
