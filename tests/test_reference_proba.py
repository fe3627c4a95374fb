"""Predictions equal (to 1e-6) to those saved from the code before a refactoring.

``tests/data/reference_proba.npz`` was written by
``tests/data/make_reference_proba.py`` from main before issue 23 (public
seams) moved code between modules: the shipped ``ztf-sims`` model, small
freshly fitted pipelines (observations and grid, with and without early
stopping), ``predict_proba_at``, predictions over time, streaming, and
fine-tuning with and without domain adaptation. The arrays are those of the
CPU with one torch thread; another CPU family or torch build may differ in
the last bits, in which case regenerate the file from the commit before the
change under test and compare there.

The comparison allows 1e-6 in each probability: the development machines
of 2026-12-06 differ from the one that wrote the file by up to 5e-7
(the same on the code that wrote it, and with the order in which the
tests run), while any change of the computation moves them by far more.
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
def test_predictions_equal_the_saved_ones(computed, name):
    """Check that every prediction equals the one saved before the refactoring, to 1e-6."""
    np.testing.assert_allclose(computed[name], REFERENCE[name], rtol=0, atol=1e-6)
