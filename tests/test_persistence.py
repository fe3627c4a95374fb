import json

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler, TransferClassifier
from skltransient.persistence import FORMAT_VERSION, load_model, save_model
from skltransient.utils._testing import make_toy_lightcurves


@pytest.fixture(scope="module")
def fitted():
    X, y = make_toy_lightcurves(40, 3, random_state=0)
    model = make_pipeline(LightCurvePadder("grid", max_length=20), FluxNormalizer("median"), MetadataScaler(),
                          GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=2, random_state=0))
    return model.fit(X, y), X, y


def test_save_load_round_trip(fitted, tmp_path):
    """Check that a saved and loaded pipeline predicts identically and keeps its parameters."""
    model, X, _ = fitted
    save_model(model, tmp_path / "m", card="# card")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded[0].bands_ == model[0].bands_ and loaded[0].metadata_columns == ("redshift", "mwebv")
    assert loaded[-1].get_params()["hidden_size"] == 8
    assert (tmp_path / "m" / "MODEL_CARD.md").read_text() == "# card"
    description = json.loads((tmp_path / "m" / "model.json").read_text())
    assert description["format_version"] == FORMAT_VERSION
    assert [s["class"] for s in description["steps"]] == ["LightCurvePadder", "FluxNormalizer",
                                                           "MetadataScaler", "GRUClassifier"]


def test_loaded_model_can_be_transferred(fitted, tmp_path):
    """Check that a loaded model serves as a TransferClassifier base, and a transfer saves."""
    model, X, y = fitted
    save_model(model, tmp_path / "m")
    tuned = TransferClassifier(load_model(tmp_path / "m"), max_epochs=1, random_state=0).fit(X, y)
    save_model(tuned, tmp_path / "t")
    np.testing.assert_array_equal(load_model(tmp_path / "t").predict_proba(X), tuned.predict_proba(X))


def test_format_version_mismatch(fitted, tmp_path):
    """Check clear messages for newer and older format versions and a missing folder."""
    model, _, _ = fitted
    save_model(model, tmp_path / "m")
    path = tmp_path / "m" / "model.json"
    description = json.loads(path.read_text())
    description["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(description))
    with pytest.raises(ValueError, match="Upgrade skltransient"):
        load_model(tmp_path / "m")
    description["format_version"] = 0
    path.write_text(json.dumps(description))
    with pytest.raises(ValueError, match="format version 0"):
        load_model(tmp_path / "m")
    with pytest.raises(FileNotFoundError, match="not a saved skltransient model"):
        load_model(tmp_path / "nothing")


def test_save_refuses_unknown_steps(tmp_path):
    """Check that a pipeline with a foreign step is refused with its name."""
    from sklearn.preprocessing import FunctionTransformer

    X, y = make_toy_lightcurves(20, 2)
    model = make_pipeline(LightCurvePadder(), FunctionTransformer(), MetadataScaler(),
                          GRUClassifier(hidden_size=4, max_epochs=1)).fit(X, y)
    with pytest.raises(TypeError, match="'functiontransformer' is a FunctionTransformer"):
        save_model(model, tmp_path / "m")
