"""The paper's experiment: targets and a tiny end-to-end reproduce run."""

import importlib.util

import numpy as np
import pytest

from skltransient import _experiment, recipes
from skltransient.datasets import BTS_CLASS_MAP, CLASSES


def test_load_target_ztf_bts_maps_classes():
    """Check that the BTS-like target uses the five BTS classes and the map from the base's."""
    X, y, class_map = _experiment.load_target("ztf-bts", 200, CLASSES, 0)
    assert len(X) == len(y) == 200
    assert set(y) <= set(BTS_CLASS_MAP.values()) and class_map == BTS_CLASS_MAP


@pytest.mark.skipif(importlib.util.find_spec("snmachine") is None,
                    reason="snmachine (which ships the PLAsTiCC training set) is not installed")
def test_load_target_plasticc():
    """Check the real PLAsTiCC target: extragalactic classes the base knows, SN II merged."""
    X, y, class_map = _experiment.load_target("plasticc", 400, CLASSES, 0)
    assert len(X) == 400
    assert set(y) <= {"SN Ia", "SN Ia-91bg", "SN Iax", "SN II", "SN Ib/c", "SLSN-I", "TDE", "KN", "AGN"}
    assert class_map["SN IIP"] == class_map["SN IIn"] == "SN II"
    # A base that knows the sky keeps PLAsTiCC's Galactic classes (the same names) as targets.
    X, y, class_map = _experiment.load_target("plasticc", 1000, _experiment.SKY_CLASSES, 0)
    assert {"Eclipsing binary", "RR Lyrae", "Mira", "M-dwarf flare", "Microlens"} <= set(y)
    assert class_map["RR Lyrae"] == "RR Lyrae" and len(set(y)) == 14


def test_reproduce_tiny_end_to_end(tmp_path, monkeypatch):
    """Check that reproduce writes tables with intervals, the zero-shot arm and one row per fit."""
    pytest.importorskip("matplotlib")
    import pandas as pd

    tiny = dict(_experiment.SETTINGS["quick"], n_target=120, train_sizes=(0.3, 1.0), n_repeats=2,
                max_epochs=1, n_base_per_class=8, n_base_test_per_class=2, base_epochs=1, days=(5, 20))
    monkeypatch.setitem(_experiment.SETTINGS, "tiny", tiny)
    monkeypatch.setattr(recipes, "FEATURES_GRID", {"learning_rate": [0.1, 0.2]})
    sections = _experiment.reproduce(["lsst"], mode="tiny", out=tmp_path, device="cpu", n_jobs=1)
    for name in ("results.md", "results.csv", "lsst_learning_curve.png", "lsst_confusion.png",
                 "lsst_early.png", "lsst_lightcurve.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    report = (tmp_path / "results.md").read_text()
    assert "| 30% |" in report and "temperature scaling" in report
    assert "epochs to converge" not in report and "over 2 repeats" in report
    curve = sections[0]["curve"]
    assert set(curve["strategy"]) == {"zero-shot", "scratch", "transfer", "features"}
    assert np.isfinite(curve["score_mean"]).all() and (curve["score_low"] <= curve["score_high"]).all()
    # One row per fit: repeat x fraction x strategy.
    rows = pd.read_csv(tmp_path / "results.csv")
    assert len(rows) == 2 * 2 * 4 and set(rows["repeat"]) == {0, 1}
    # The zero-shot arm uses no label: the same score in every repeat and fraction.
    assert rows.loc[rows.strategy == "zero-shot", "score"].nunique() == 1
    assert "zero-shot (no target label)" in report and "features + boosting (tuned)" in report
    assert set(sections[0]["early"]) == {"zero-shot", "scratch", "transfer", "features"}
    assert "| 5 |" in report and "macro F1 after trigger" in report.replace("Macro", "macro")
    assert "The share at 30% is measured" in report
    # The target's caveat is in its section.
    assert "an upper bound" in report
    assert "| share of scratch on all labels, at 30% of the labels |" in report


def test_reproduce_gives_each_arm_its_own_recipe(tmp_path, monkeypatch):
    """Check that scratch is the default pipeline (its window, no early stopping below 10,000, the
    augmentation), transfer TransferClassifier's recipe with the augmentation, the baseline tuned."""
    pytest.importorskip("matplotlib")
    import skltransient.transfer as transfer

    captured, original = {}, transfer.transfer_learning_curve

    def capture(*args, **kwargs):
        captured.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(transfer, "transfer_learning_curve", capture)
    tiny = dict(_experiment.SETTINGS["quick"], n_target=100, train_sizes=(1.0,), n_repeats=1,
                max_epochs=1, n_base_per_class=8, n_base_test_per_class=2, base_epochs=1, days=(5,))
    monkeypatch.setitem(_experiment.SETTINGS, "tiny", tiny)
    monkeypatch.setattr(recipes, "FEATURES_GRID", {"learning_rate": [0.1, 0.2]})
    _experiment.reproduce(["lsst"], mode="tiny", out=tmp_path, device="cpu", n_jobs=1)
    augmentation = {"flux_noise": 1.0, "observation_dropout": 0.2}
    assert captured["transfer_params"]["classifier_params"] == augmentation
    scratch = captured["scratch_estimator"].get_params()
    assert {key: scratch[f"gruclassifier__{key}"] for key in augmentation} == augmentation
    assert scratch["gruclassifier__early_stopping"] == "auto"
    assert scratch["lightcurvepadder__window"] is None
    assert type(captured["baselines"]["features"][-1]).__name__ == "GridSearchCV"
    report = (tmp_path / "results.md").read_text()
    assert "lr 3e-3" in report and "lr 1e-3" in report and "cross-validation" in report


def test_default_targets_are_external(monkeypatch, tmp_path):
    """Check that reproduce runs PLAsTiCC and the real BTS (when cached) by default."""
    from skltransient import datasets

    monkeypatch.setattr(datasets, "get_data_home", lambda: str(tmp_path))
    assert _experiment.default_targets() == ["plasticc", "ztf-bts"]
    (tmp_path / "bts").mkdir()
    (tmp_path / "bts" / "catalogue.csv").write_text("ZTFID\n")
    assert _experiment.default_targets() == ["plasticc", "bts"]


def test_reproduce_table_does_not_depend_on_n_jobs(tmp_path, monkeypatch):
    """Check that a seed gives the same scores whether the fits run in one process or two."""
    pytest.importorskip("matplotlib")
    tiny = dict(_experiment.SETTINGS["quick"], n_target=100, train_sizes=(0.5, 1.0), n_repeats=1,
                max_epochs=2, n_base_per_class=8, n_base_test_per_class=2, base_epochs=1, days=(5,))
    monkeypatch.setitem(_experiment.SETTINGS, "tiny", tiny)
    monkeypatch.setattr(recipes, "FEATURES_GRID", {"learning_rate": [0.1, 0.2]})
    tables = []
    for n_jobs in (1, 2):
        sections = _experiment.reproduce(["lsst"], mode="tiny", out=tmp_path / str(n_jobs),
                                         device="cpu", n_jobs=n_jobs)
        early = sections[0]["early"]
        tables.append((sections[0]["curve"][["train_size", "strategy", "score_mean", "score_low"]],
                       early["scratch"], early["transfer"], sections[0]["ece"]))
    for one, two in zip(*tables):
        assert one.equals(two) if hasattr(one, "equals") else one == two, (one, two)


def test_reproduce_n_jobs_default_is_what_the_help_says():
    """Check that --n-jobs' default (None) means one fit per core on CPU, as --help says."""
    import os

    from skltransient.cli import _parser

    assert _experiment._n_jobs(None, "cpu") == os.cpu_count()
    assert _experiment._n_jobs(None, "cuda") == 1 and _experiment._n_jobs(3, "cpu") == 3
    reproduce = _parser()._subparsers._group_actions[0].choices["reproduce"]
    help_text = " ".join(reproduce.format_help().split())
    assert "default: on CPU one per core" in help_text and "on a GPU 1" in help_text


def test_share_note_says_measured_or_interpolated():
    """Check that the report says how the share at 30% of the labels was obtained."""
    assert "measured" in _experiment._share_note((0.05, 0.3, 1.0))
    assert "interpolated linearly between the measured 25% and 50%" in _experiment._share_note(
        (0.05, 0.1, 0.25, 0.5, 1.0))


def test_reproduce_figures_use_the_models_the_table_scored(tmp_path, monkeypatch):
    """Check that each GRU of the table is trained once: the confusion matrices, early scores and
    calibration reuse the first repeat's models on all the labels instead of training again."""
    pytest.importorskip("matplotlib")
    from skltransient.neural import GRUClassifier

    trained = []
    original = GRUClassifier.train_module

    def count(self, *args, **kwargs):
        trained.append(len(args[1]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(GRUClassifier, "train_module", count)
    tiny = dict(_experiment.SETTINGS["quick"], n_target=100, train_sizes=(1.0,), n_repeats=1,
                max_epochs=1, n_base_per_class=8, n_base_test_per_class=2, base_epochs=1, days=(5,))
    monkeypatch.setitem(_experiment.SETTINGS, "tiny", tiny)
    monkeypatch.setattr(recipes, "FEATURES_GRID", {"learning_rate": [0.1, 0.2]})
    sections = _experiment.reproduce(["lsst"], mode="tiny", out=tmp_path, device="cpu", n_jobs=1)
    # The base (88 simulated light curves), then scratch and transfer once each on the 70
    # training light curves.
    assert trained == [88, 70, 70]
    assert set(sections[0]["early"]) == {"zero-shot", "scratch", "transfer", "features"}
    assert 0 <= sections[0]["ece"]["after"] <= 1


def test_calibration_error_before_and_after_are_scored_on_the_same_halves(monkeypatch):
    """Check that the calibration comparison is like for like: the error before temperature
    scaling is scored on the same halves as the error after it. With a "calibration" that
    changes nothing the two must be equal (the binned error of half a test set is larger than
    that of the whole, so scoring "before" on the whole set favoured it)."""
    from sklearn.linear_model import LogisticRegression

    from skltransient import calibration

    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    y = np.where(X[:, 0] + rng.normal(scale=1.5, size=120) > 0, "SN Ia", "SN II")
    model = LogisticRegression().fit(X, y)
    monkeypatch.setattr(calibration, "calibrate", lambda estimator, X, y: estimator)
    errors = _experiment._calibration_errors(model, X, y, seed=0)
    assert errors["before"] == pytest.approx(errors["after"], abs=1e-12)


def test_sky_base_knows_the_galactic_classes_and_the_plasticc_target_keeps_them(monkeypatch):
    """Check train_base_model(galactic=True): the Galactic classes in training, test and card; PLAsTiCC's Galactic classes kept as the target."""
    from skltransient.datasets import GALACTIC_CLASSES

    model, report = _experiment.train_base_model(4, survey="lsst", max_epochs=1, n_test_per_class=2,
                                                 galactic=True, hidden_size=4, num_layers=1)
    assert set(model.classes_) == set(CLASSES) | set(GALACTIC_CLASSES)
    assert report["classes"] == _experiment.SKY_CLASSES
    assert set(report["train"][1]) <= set(_experiment.SKY_CLASSES)
    card = _experiment.model_card(report, n_per_class=4, random_state=0, command="c", name="lsst-sky")
    assert f"Classes ({len(_experiment.SKY_CLASSES)}): " in card and "RR Lyrae" in card
    assert f'simulate("lsst", {4 * len(_experiment.SKY_CLASSES)},' in card


def test_simulate_base_of_several_surveys_splits_each_class_and_keeps_ids_unique():
    """Check a multi-survey training set: each class's light curves split evenly across the
    surveys, each survey's part the simulation of that survey alone, ids prefixed."""
    X, y = _experiment.simulate_base(5, 3, ("ztf", "lsst"))
    assert len(X) == len(y) == 5 * len(CLASSES)
    ids = np.asarray(X.object_ids).astype(str)
    assert len(set(ids)) == len(ids)
    is_ztf = np.char.startswith(ids, "ztf:")
    assert is_ztf.sum() == 2 * len(CLASSES) and np.char.startswith(ids[~is_ztf], "lsst:").all()
    for survey, rows, n in (("ztf", is_ztf, 2), ("lsst", ~is_ztf, 3)):
        alone, y_alone = _experiment.simulate_base(n, 3, survey)
        np.testing.assert_array_equal(y[rows], y_alone)
        np.testing.assert_array_equal(X[np.flatnonzero(rows)].flux, alone.flux)
        assert list(X.metadata.index[rows]) == [f"{survey}:{i}" for i in alone.object_ids]
    assert {"ztfg", "ztfr", "lsstu", "lssty"} <= set(X.band_names)  # both surveys' bands


@pytest.mark.parametrize("survey, n_per_class", [(("ztf",), 4), (("ztf", "ztf"), 4),
                                                 (("ztf", "lsst"), 1)])
def test_simulate_base_refuses_a_bad_set_of_surveys(survey, n_per_class):
    """Check that one survey in a tuple, a repeated survey or too few light curves to give each
    survey one of each class is refused, naming the surveys."""
    with pytest.raises(ValueError, match=r"several surveys .*survey=\("):
        _experiment.simulate_base(n_per_class, 0, survey)


def test_multi_survey_base_is_scored_on_each_surveys_own_test_set():
    """Check train_base_model(survey=("ztf", "lsst")): by-survey scores on the test sets a
    single-survey base gets, overall scores on both, and a card that names both surveys."""
    from sklearn.metrics import f1_score

    model, report = _experiment.train_base_model(4, survey=("ztf", "lsst"), max_epochs=1,
                                                 n_test_per_class=2, hidden_size=4, num_layers=1)
    assert report["survey"] == "ztf+lsst" and report["surveys"] == ("ztf", "lsst")
    assert report["n_train"] == 4 * len(CLASSES) and report["n_test"] == 2 * 2 * len(CLASSES)
    for survey in ("ztf", "lsst"):
        X_test, y_test = _experiment.simulate_base(2, 1000, survey)
        expected = f1_score(y_test, model.predict(X_test), average="macro")
        assert report["by_survey"][survey]["f1_macro"] == pytest.approx(expected)
        assert set(report["by_survey"][survey]["f1_by_day"]) == set(_experiment.BASE_DAYS)
    X_all, y_all = report["test"]
    assert report["f1_macro"] == pytest.approx(f1_score(y_all, model.predict(X_all), average="macro"))
    card = _experiment.model_card(report, n_per_class=4, random_state=0, command="c",
                                  name="ztf+lsst-sims")
    assert "simulated ZTF and simulated Rubin LSST" in card
    assert "simulated Rubin LSST test set only" in card and "simulated ZTF test set only" in card
    assert 'simulate("lsst", 22, class_fractions=<equal>, random_state=1000)' in card
    _, single = _experiment.train_base_model(4, survey="ztf", max_epochs=1, n_test_per_class=2,
                                             hidden_size=4, num_layers=1)
    assert single["by_survey"] is None and single["surveys"] == ("ztf",)


def test_the_recipes_scale_by_signal_to_noise_and_the_card_says_which_scaling():
    """Check that default_pipeline and hybrid_pipeline use FluxNormalizer("snr") (the ablation's
    winner), and that a base model's card names the scaling its pipeline used."""
    assert recipes.default_pipeline().named_steps["fluxnormalizer"].method == "snr"
    assert recipes.hybrid_pipeline().named_steps["fluxnormalizer"].method == "snr"
    model, report = _experiment.train_base_model(2, survey="ztf", max_epochs=1, n_test_per_class=1,
                                                 hidden_size=4, num_layers=1)
    assert report["flux_method"] == "snr"
    card = _experiment.model_card(report, n_per_class=2, random_state=0, command="c")
    assert "`FluxNormalizer(\"snr\")` (each observation's `arcsinh(flux / flux_err)`" in card
    old = _experiment.model_card({**report, "flux_method": "running_peak"}, n_per_class=2,
                                 random_state=0, command="c")
    assert "causal `running_peak` scaling" in old and "arcsinh(flux / flux_err)" not in old


def test_a_multi_survey_card_compares_with_the_single_survey_models_on_the_same_test_sets():
    """Check that references (scores read back from JSON, days as strings) become the card's
    table, one row each, in the order given, after the model's own rows."""
    import json

    model, report = _experiment.train_base_model(2, survey=("ztf", "lsst"), max_epochs=1,
                                                 n_test_per_class=1, hidden_size=4, num_layers=1)
    scores = {"f1_macro": 0.5, "f1_by_day": {d: 0.1 * i for i, d in enumerate(_experiment.BASE_DAYS)}}
    from_json = json.loads(json.dumps(scores))
    card = _experiment.model_card(report, n_per_class=2, random_state=0, command="c",
                                  references={"`ztf-sims`, ZTF test set": from_json,
                                              "baseline, LSST test set": scores})
    section = card[card.index("## Against the single-survey models"):]
    assert section.index("`ztf-sims`, ZTF test set") < section.index("baseline, LSST test set")
    assert "| `ztf-sims`, ZTF test set | 0.500 | 0.000 | 0.100 | 0.200 | 0.300 | 0.400 | 0.500 |" in section
    assert card.index("simulated ZTF test set only") < card.index("## Against the single-survey")
    assert "## Against" not in _experiment.model_card(report, n_per_class=2, random_state=0,
                                                       command="c")


def test_train_base_model_scaling_overrides_the_recipes_and_the_card_follows():
    """Check that scaling="running_peak" trains the shipped models' scaling (the recipe's is
    "snr"), that the report and card say so, and that a bad method is refused by the scaler."""
    model, report = _experiment.train_base_model(2, survey="lsst", max_epochs=1, n_test_per_class=1,
                                                 hidden_size=4, num_layers=1, scaling="running_peak")
    assert model.named_steps["fluxnormalizer"].method == report["flux_method"] == "running_peak"
    assert "causal `running_peak` scaling" in _experiment.model_card(
        report, n_per_class=2, random_state=0, command="c")
    with pytest.raises(ValueError, match="method"):
        _experiment.train_base_model(2, survey="lsst", max_epochs=1, n_test_per_class=1,
                                     hidden_size=4, num_layers=1, scaling="loudest")
