"""Bad inputs to the metrics give errors that say what is wrong, never a silent number."""

import numpy as np
import pytest

from skltransient.metrics import earliness, expected_calibration_error, scores_over_time


@pytest.mark.parametrize("y, proba, match", [
    (["a", "c"], [[0.5, 0.5], [1.0, 0.0]], r"labels \['c'\] that are not among the classes"),
    (["a"], [[0.5, 0.5], [1.0, 0.0]], r"1 labels for 2 rows of probabilities"),
    (["a", "b"], [[np.nan, np.nan], [1.0, 0.0]], r"NaN or infinite.*row 0"),
    (["a", "b"], [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]], r"3 columns of probabilities for 2 classes"),
    (["a", "b"], [0.5, 0.5], r"2-D"),
])
def test_expected_calibration_error_refuses_bad_input(y, proba, match):
    """Check that mismatched labels, shapes and non-finite probabilities are refused by name."""
    with pytest.raises(ValueError, match=match):
        expected_calibration_error(y, np.asarray(proba, dtype=float), ["a", "b"])


def test_earliness_refuses_unknown_labels():
    """Check that a true label the model does not know is named, not a bare list.index error."""
    proba = np.full((1, 2, 2), 0.5)
    with pytest.raises(ValueError, match=r"labels \['z'\] that are not among the classes"):
        earliness(["z"], proba, np.zeros((1, 2)), [0.0], ["a", "b"])


def test_scores_over_time_refuses_mismatched_shapes():
    """Check that proba_at must have one row per label and one column per class."""
    with pytest.raises(ValueError, match=r"3 columns of probabilities for 2 classes"):
        scores_over_time(["a"], np.full((1, 1, 3), 1 / 3), ["a", "b"], [0])
    with pytest.raises(ValueError, match=r"2 days but proba_at has 1"):
        scores_over_time(["a"], np.full((1, 1, 2), 0.5), ["a", "b"], [0, 1])
