"""Each transformer checks its own fitted state (what load_model relies on)."""

import numpy as np
import pytest

from skltransient import FluxNormalizer, LightCurvePadder, MetadataScaler
from skltransient.preprocessing._padding import channel_names
from skltransient.utils._testing import make_toy_lightcurves


@pytest.fixture(scope="module")
def fitted():
    X, _ = make_toy_lightcurves(12, random_state=0)
    padder = LightCurvePadder().fit(X)
    padded = padder.transform(X)
    normalizer = FluxNormalizer().fit(padded)
    scaler = MetadataScaler().fit(normalizer.transform(padded))
    return padder, normalizer, scaler


def test_fitted_states_give_what_flows_to_the_next_step(fitted):
    """Check that each step returns the channels or metadata width it gives, chained."""
    padder, normalizer, scaler = fitted
    gives = padder.check_fitted_state()
    assert gives == {"channels": tuple(padder.channels_), "metadata": len(padder.metadata_columns)}
    out = normalizer.check_fitted_state(gives["channels"], gives["metadata"])
    assert out == {"channels": normalizer.output_channels(padder.channels_)}
    assert scaler.check_fitted_state(None, gives["metadata"]) == {
        "metadata": len(scaler.get_feature_names_out())}


def test_padder_state_that_disagrees_is_named(fitted):
    """Check that a padder's channels, width or bands that disagree are refused by name."""
    padder = fitted[0]
    for attr, value, message in [
            ("channels_", list(reversed(padder.channels_)), "are not those of representation"),
            ("n_channels_", padder.n_channels_ + 1, "n_channels_ is"),
            ("bands_", [padder.bands_[0]] * len(padder.bands_), r"unknown or repeated bands \(repeated\)"),
    ]:
        damaged = LightCurvePadder(**padder.get_params())
        damaged.__dict__.update({k: v for k, v in padder.__dict__.items() if k.endswith("_")})
        setattr(damaged, attr, value)
        if attr == "bands_":  # the channels are checked first: keep them consistent
            damaged.channels_ = channel_names(padder.representation, value)
        with pytest.raises(ValueError, match=message):
            damaged.check_fitted_state()
    del_state = LightCurvePadder()
    with pytest.raises(ValueError, match="no fitted state 'channels_'"):
        del_state.check_fitted_state()


def test_normalizer_width_and_scaler_values_are_checked(fitted):
    """Check that a normaliser's input width and a scaler's values and width are checked."""
    _, normalizer, scaler = fitted
    with pytest.raises(ValueError, match=r"n_channels_ is \d+ but its input has 1 channels"):
        normalizer.check_fitted_state(("flux_ztfg",))
    assert normalizer.check_fitted_state(None) == {}
    damaged = MetadataScaler()
    damaged.__dict__.update({k: v for k, v in scaler.__dict__.items() if k.endswith("_")})
    damaged.scale_ = np.where(np.arange(damaged.scale_.size) == 0, 0.0, damaged.scale_)
    with pytest.raises(ValueError, match=r"scale_ holds 0\.0 at position 0 .* finite and positive"):
        damaged.check_fitted_state()
    with pytest.raises(ValueError, match="but the steps before it give 99 metadata columns"):
        scaler.check_fitted_state(None, 99)
