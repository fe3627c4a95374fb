import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skltransient import (GRUClassifier, LightCurvePadder, MetadataScaler, TransferClassifier)
from skltransient.utils import apply_transformers, split_model
from skltransient.utils._testing import make_toy_lightcurves


@pytest.fixture(scope="module")
def model():
    X, y = make_toy_lightcurves(30, random_state=0)
    pipeline = make_pipeline(LightCurvePadder(), MetadataScaler(),
                             GRUClassifier(hidden_size=4, max_epochs=1, random_state=0)).fit(X, y)
    return pipeline, X, y


def test_split_model_unwraps_every_nesting(model):
    """Check that a pipeline, a bare classifier and a TransferClassifier (bare or in a pipeline)
    split into their fitted transformers and their GRUClassifier."""
    pipeline, X, y = model
    steps, clf = split_model(pipeline)
    assert [name for name, _ in steps] == ["lightcurvepadder", "metadatascaler"]
    assert clf is pipeline[-1] and split_model(clf) == ([], clf)
    tuned = TransferClassifier(pipeline, max_epochs=1, random_state=0).fit(X, y)
    steps, inner = split_model(tuned)
    assert [name for name, _ in steps] == ["lightcurvepadder", "metadatascaler"]
    assert inner is tuned.classifier_
    np.testing.assert_array_equal(inner.predict_proba(apply_transformers(steps, X)),
                                  tuned.predict_proba(X))


def test_split_model_refuses_other_models_and_unfitted_ones(model):
    """Check that a model without a GRU classifier, or an unfitted one, is refused by name."""
    pipeline, _, _ = model
    with pytest.raises(TypeError, match="got LightCurvePadder"):
        split_model(pipeline[0])
    with pytest.raises(Exception, match="not fitted"):
        split_model(GRUClassifier())
    with pytest.raises(Exception, match="not fitted"):
        split_model(TransferClassifier(pipeline))


def test_apply_transformers_without_steps_is_the_input(model):
    """Check that no transformers leave the input as it is, and steps run in order."""
    pipeline, X, _ = model
    assert apply_transformers([], X) is X
    np.testing.assert_array_equal(apply_transformers(pipeline.steps[:-1], X).values,
                                  pipeline[:-1].transform(X).values)
