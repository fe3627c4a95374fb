import numpy as np
import pandas as pd
import pytest

from skltransient.datasets import read_alert_history, read_lsst_alerts, read_ztf_alerts, ztf_fluxes

pytest.importorskip("pyarrow")


def _ztf_history(**changes):
    """Three good ZTF alerts as history arrays; ``changes`` replace whole columns."""
    history = pd.DataFrame({
        "jd": [[2459500.5, 2459498.5], [2459501.5], [2459502.5, 2459503.5]],
        "fid": [[1, 2], [2], [1, 1]],
        "magpsf": [[20.0, None], [19.5], [19.0, 18.5]],
        "sigmapsf": [[0.1, None], [0.05], [0.1, 0.1]],
        "diffmaglim": [[20.5, 20.0], [20.5], [20.0, 20.0]],
        "isdiffpos": [["t", None], ["f"], ["1", "t"]],
    })
    for name, values in changes.items():
        history[name] = values
    return history


def _as_packets(history):
    """The same alerts as packets for read_ztf_alerts: the first epoch is the candidate."""
    fields = list(history.columns)
    rows = [[dict(zip(fields, epoch)) for epoch in zip(*(row[f] for f in fields))]
            for _, row in history.iterrows()]
    return pd.DataFrame({"objectId": [str(i) for i in range(len(rows))],
                         "candidate": [epochs[0] for epochs in rows],
                         "prv_candidates": [epochs[1:] for epochs in rows]})


def test_ztf_fluxes_match_the_reader_conversion():
    """Check that ztf_fluxes gives the fluxes, errors and flags of read_ztf_alerts."""
    history = _ztf_history()
    lc = read_ztf_alerts(_as_packets(history))
    flat = {name: np.concatenate([np.asarray(v, dtype=object) for v in history[name]])
            for name in history.columns}
    flux, flux_err, detected, keep = ztf_fluxes(flat["magpsf"], flat["sigmapsf"],
                                                flat["diffmaglim"], flat["isdiffpos"])
    assert keep.all()
    assert sorted(flux.tolist()) == pytest.approx(sorted(lc.flux.tolist()))
    assert sorted(flux_err.tolist()) == pytest.approx(sorted(lc.flux_err.tolist()))
    assert detected.sum() == lc.detected.sum()
    assert flux[1] == 0.0 and not detected[1]  # the upper limit


def test_ztf_fluxes_mark_what_the_reader_refuses():
    """Check that a bad isdiffpos gives a NaN flux and a missing sigmapsf a NaN error."""
    flux, flux_err, _, keep = ztf_fluxes([20.0, 20.0, None], [0.1, None, None],
                                         [21.0, 21.0, None], ["x", "t", None])
    assert np.isnan(flux[0]) and np.isfinite(flux[1]) and np.isnan(flux_err[1])
    assert keep.tolist() == [True, True, False]


def test_read_alert_history_equals_the_ztf_reader():
    """Check that each accepted alert's light curve is the one read_ztf_alerts reads."""
    history = _ztf_history()
    lc, rejected = read_alert_history(history, survey="ztf")
    expected = read_ztf_alerts(_as_packets(history))
    assert all(reason is None for reason in rejected)
    assert lc.object_ids.tolist() == [0, 1, 2]
    for name in ("offsets", "time", "band", "flux", "flux_err", "detected"):
        np.testing.assert_array_equal(getattr(lc, name), getattr(expected, name), err_msg=name)
    assert np.isnan(lc.metadata["redshift"]).all()


@pytest.mark.parametrize("column, value, reason", [
    ("jd", [], "no usable epoch"),
    ("fid", [7], "unknown band"),
    ("isdiffpos", ["x"], "isdiffpos"),
    ("sigmapsf", [None], "sigmapsf"),
    ("jd", None, "jd is null"),
    ("magpsf", "19.5", "magpsf is null or not an array"),
    ("fid", [2, 2], "differ in length"),
    ("jd", [None], "without a time"),
])
def test_read_alert_history_rejects_one_bad_ztf_alert(column, value, reason):
    """Check that a bad alert is rejected with its reason and the others are read unchanged."""
    history = _ztf_history()
    history.at[1, column] = value
    if column == "jd" and value == []:
        history.loc[1, ["fid", "magpsf", "sigmapsf", "diffmaglim", "isdiffpos"]] = [[]] * 5
    lc, rejected = read_alert_history(history, survey="ztf")
    assert rejected[0] is None and rejected[2] is None
    assert reason in rejected[1]
    assert lc.object_ids.tolist() == [0, 2]
    expected = read_ztf_alerts(_as_packets(_ztf_history().iloc[[0, 2]]))
    np.testing.assert_array_equal(lc.flux, expected.flux)


def test_read_alert_history_keeps_a_repeated_epoch_once_as_a_detection():
    """Check that an epoch given twice (limit and detection) is kept once, as the detection."""
    history = _ztf_history(jd=[[2459500.5, 2459500.5], [2459501.5], [2459502.5]],
                           fid=[[1, 1], [2], [1]])
    history.at[0, "magpsf"] = [None, 20.0]
    history.at[0, "sigmapsf"] = [None, 0.1]
    history.at[0, "isdiffpos"] = [None, "t"]
    history.at[2, "magpsf"], history.at[2, "sigmapsf"] = [19.0], [0.1]
    history.at[2, "diffmaglim"], history.at[2, "isdiffpos"] = [20.0], ["t"]
    lc, _ = read_alert_history(history, survey="ztf")
    assert lc.lengths.tolist() == [1, 1, 1]
    assert lc.detected[0] and lc.flux[0] == pytest.approx(1000.0)


def test_read_alert_history_reads_rubin_alerts_as_the_reader():
    """Check Rubin histories: nJy to FLUXCAL, forced photometry as non-detections, metadata."""
    history = pd.DataFrame({
        "midPointTai": [[60001.0, 60000.0], [60002.0]],
        "filterName": [["Y", "g"], ["q"]],
        "psFlux": [[3630.78, -36.31], [100.0]],
        "psFluxErr": [[36.31, 36.31], [1.0]],
        "detected": [[True, False], [True]],
        "z_final": [-9.0, 0.1], "mwebv": [0.02, 0.03],
    })
    lc, rejected = read_alert_history(history, survey="lsst")
    source = {"diaObjectId": 0, "midPointTai": 60001.0, "filterName": "Y", "psFlux": 3630.78,
              "psFluxErr": 36.31}
    forced = {"diaObjectId": 0, "midPointTai": 60000.0, "filterName": "g", "psFlux": -36.31,
              "psFluxErr": 36.31}
    expected = read_lsst_alerts(pd.DataFrame({
        "diaSource": [source], "prvDiaSources": [[]], "prvDiaForcedSources": [[forced]],
        "diaObject": [{"diaObjectId": 0, "z_final": -9.0, "mwebv": 0.02}]}))
    assert rejected[0] is None and "unknown band" in rejected[1]
    np.testing.assert_array_equal(lc.flux, expected.flux)
    np.testing.assert_array_equal(lc.detected, expected.detected)
    assert np.isnan(lc.metadata["redshift"].iloc[0]) and lc.metadata["mwebv"].iloc[0] == 0.02


@pytest.mark.parametrize("band", [None, float("nan"), "", "gg"])
def test_read_alert_history_rejects_a_rubin_alert_with_a_null_or_unknown_band(band):
    """Check that a null or unknown band rejects its alert only, the others' bands resolved."""
    history = pd.DataFrame({
        "midPointTai": [[60000.0, 60001.0], [60002.0, 60003.0], [60004.0]],
        "filterName": [["g", "r"], ["i", band], ["Y"]],
        "psFlux": [[100.0, 200.0], [100.0, 100.0], [50.0]],
        "psFluxErr": [[1.0, 1.0], [1.0, 1.0], [1.0]],
        "detected": [[True, True], [True, True], [True]],
    })
    lc, rejected = read_alert_history(history, survey="lsst")
    assert rejected[0] is None and rejected[2] is None and "unknown band" in rejected[1]
    assert lc.object_ids.tolist() == [0, 2]
    assert lc.band_names.tolist() == ["lsstg", "lsstr", "lssty"]


def test_read_alert_history_refuses_a_wrong_schema():
    """Check that a missing column or an unknown survey raises, naming it."""
    with pytest.raises(ValueError, match="has no column 'isdiffpos'"):
        read_alert_history(_ztf_history().drop(columns="isdiffpos"), survey="ztf")
    with pytest.raises(ValueError, match="survey must be one of"):
        read_alert_history(_ztf_history(), survey="ptf")
