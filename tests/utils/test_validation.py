import numpy as np
import pytest

from skltransient.utils._validation import (as_padded, check_labels, check_lightcurves,
                                            check_padded, has_channel_names, name_mismatch)
from skltransient.utils._testing import make_toy_lightcurves


def test_check_lightcurves_refuses_other_types_and_empty_collections():
    """Check that anything but a non-empty LightCurves is refused, naming the estimator."""
    X, _ = make_toy_lightcurves(3)
    assert check_lightcurves(X, "Est") is X
    with pytest.raises(TypeError, match="Est expects a skltransient.LightCurves, got ndarray"):
        check_lightcurves(np.zeros(3), "Est")
    with pytest.raises(ValueError, match="Est got an empty LightCurves"):
        check_lightcurves(X[np.zeros(3, bool)], "Est")


def test_check_padded_and_as_padded():
    """Check that check_padded refuses arrays, and as_padded turns a finite 3-D array into one."""
    values = np.zeros((2, 3, 4), np.float32)
    padded = as_padded(values, "Est")
    assert check_padded(padded, "Est") is padded and padded.lengths.tolist() == [3, 3]
    assert not has_channel_names(padded.channels) and has_channel_names(("time", "flux"))
    with pytest.raises(TypeError, match="Est expects a PaddedLightCurves"):
        check_padded(values, "Est")
    with pytest.raises(ValueError, match="NaN or infinite"):
        as_padded(np.full((1, 2, 2), np.nan), "Est")
    with pytest.raises(TypeError, match="3-D array"):
        as_padded(np.zeros((2, 3)), "Est")


@pytest.mark.parametrize("given, expected, message", [
    (["a", "b"], ["a", "b"], None),
    (["a"], ["a", "b"], "missing ['b']"),
    (["a", "c"], ["a"], "unexpected ['c']"),
    (["b", "a"], ["a", "b"], "the same names in another order"),
])
def test_name_mismatch_says_how_names_differ(given, expected, message):
    """Check each way that two lists of names can differ."""
    assert name_mismatch(given, expected) == message


def test_check_labels_names_the_missing_and_the_mixed_label():
    """Check that a missing label and mixed label types are refused, naming position and object."""
    ids = np.array(["x", "y", "z"])
    check_labels(np.array(["a", "b", "a"], dtype=object), ids)
    with pytest.raises(ValueError, match="missing label .* position 1 .*'y'"):
        check_labels(np.array(["a", None, "a"], dtype=object), ids)
    with pytest.raises(ValueError, match="mixes label types.*position 2 .*'z'"):
        check_labels(np.array(["a", "b", 3], dtype=object), ids)
