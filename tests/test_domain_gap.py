"""The domain-gap diagnostic: a classifier two-sample test on summaries and on the encoder."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skltransient import (
    FluxNormalizer,
    GRUClassifier,
    LightCurvePadder,
    LightCurves,
    MetadataScaler,
)
from skltransient.metrics import SUMMARIES, domain_gap, lightcurve_summaries
from skltransient.utils._testing import make_toy_lightcurves

SMALL = {"hidden_size": 8, "num_layers": 1, "head_size": 8, "metadata_size": 4, "random_state": 0}


def test_summaries_of_a_known_light_curve():
    """Check each summary on a light curve whose answers are known by hand."""
    X = LightCurves.from_arrays(["a"] * 4, [0.0, 10.0, 12.0, 30.0], ["ztfg", "ztfr", "ztfg", "ztfg"],
                                [1.0, 50.0, 200.0, 20.0], [10.0, 10.0, 20.0, 10.0],
                                detected=[False, True, True, False])
    row = lightcurve_summaries(X).loc["a"]
    assert list(row.index) == list(SUMMARIES)
    assert row.n_observations == 4 and row.n_detections == 2 and row.fraction_detected == 0.5
    assert row.time_span == 30 and row.days_before_trigger == 10 and row.detected_span == 2
    assert row.median_interval == 10 and row.n_bands == 2 and row.max_snr == 10
    assert row.log_peak_flux == pytest.approx(np.log10(200)) and row.log_median_error == 1.0


def test_two_draws_of_one_domain_are_indistinguishable_and_shifted_noise_is_found():
    """Check that the same generator gives AUC near 0.5, and noise twice as large is told apart
    with the error summary the most telling."""
    X_a, _ = make_toy_lightcurves(300, 3, random_state=0)
    X_b, _ = make_toy_lightcurves(300, 3, random_state=1)
    same = domain_gap(X_a, X_b)
    assert abs(same.auc - 0.5) < 0.1 and np.isnan(same.auc_encoder)
    noisy = LightCurves(X_b.object_ids, X_b.offsets, X_b.time, X_b.band, X_b.flux,
                        2 * X_b.flux_err, X_b.detected, X_b.metadata)
    gap = domain_gap(X_a, noisy)
    assert gap.auc > 0.95 and gap.summaries.index[0] == "log_median_error"
    assert gap.summaries.loc["log_median_error", "median_b"] == pytest.approx(
        gap.summaries.loc["log_median_error", "median_a"] + np.log10(2), abs=0.05)


def test_encoder_gap_uses_the_models_representation():
    """Check that with a model the encoder's representation is tested too: near 0.5 for another
    draw of the same domain, high when the uncertainties (a channel the network reads) double."""
    X_a, y = make_toy_lightcurves(200, 3, random_state=0)
    X_b, _ = make_toy_lightcurves(200, 3, random_state=1)
    model = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=2)).fit(X_a, y)
    same = domain_gap(X_a, X_b, model=model)
    assert abs(same.auc_encoder - 0.5) < 0.12
    noisy = LightCurves(X_b.object_ids, X_b.offsets, X_b.time, X_b.band, X_b.flux,
                        2 * X_b.flux_err, X_b.detected, X_b.metadata)
    assert domain_gap(X_a, noisy, model=model).auc_encoder > 0.8
    embedding = model[-1].embed(model[:-1].transform(X_a))
    assert embedding.shape == (200, 8) and embedding.dtype == np.float32


def test_domain_gap_refuses_too_few_light_curves():
    """Check that a set smaller than the number of folds is refused by name."""
    X, _ = make_toy_lightcurves(20, 3)
    with pytest.raises(ValueError, match="X_b needs at least cv=5 light curves; got 3"):
        domain_gap(X, X[:3])
    with pytest.raises(TypeError, match="lightcurve_summaries takes a LightCurves"):
        lightcurve_summaries(np.zeros((3, 4)))


def test_a_zero_uncertainty_is_unknown_not_infinite():
    """Check that a zero flux uncertainty makes its summaries NaN, and the test still runs."""
    X_a, _ = make_toy_lightcurves(40, 3, random_state=0)
    X_b, _ = make_toy_lightcurves(40, 3, random_state=1)
    err = X_b.flux_err.copy()
    err[X_b.offsets[0]:X_b.offsets[1]] = 0.0  # one object's every uncertainty
    zero = LightCurves(X_b.object_ids, X_b.offsets, X_b.time, X_b.band, X_b.flux, err,
                       X_b.detected, X_b.metadata)
    summaries = lightcurve_summaries(zero)
    assert np.isnan(summaries.iloc[0][["max_snr", "log_median_error"]]).all()
    assert np.isfinite(domain_gap(X_a, zero).auc)


def test_domain_gap_of_a_set_against_itself_or_its_subset_is_indistinguishable():
    """Check that overlapping sets read as indistinguishable: a set against itself exactly 0.5,
    against its first half about 0.5 (not the near-0 AUC of twins split across folds), and
    that the light curves shared are counted."""
    X, _ = make_toy_lightcurves(200, 3, random_state=0)
    itself = domain_gap(X, X)
    assert itself.auc == pytest.approx(0.5) and itself.n_shared == 200
    half = domain_gap(X, X[np.arange(100)])
    assert abs(half.auc - 0.5) < 0.1 and half.n_shared == 100
    renamed = LightCurves([f"copy{k}" for k in range(100)], X[np.arange(100)].offsets,
                          *(getattr(X[np.arange(100)], a) for a in ("time", "band", "flux",
                                                                     "flux_err", "detected")))
    assert domain_gap(X, renamed).n_shared == 100  # identical light curves under other ids


def test_domain_gap_auc_is_never_below_one_half():
    """Check that the AUC is read either way round: never below 0.5, even for two draws of one
    generator whose folds happen to score below chance."""
    aucs = [domain_gap(*(make_toy_lightcurves(60, 3, random_state=s)[0] for s in (seed, seed + 1)),
                       random_state=seed).auc for seed in range(4)]
    assert min(aucs) >= 0.5
