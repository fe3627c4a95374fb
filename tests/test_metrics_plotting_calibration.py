import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler, TransferClassifier
from skltransient.calibration import calibrate
from skltransient.early import predict_proba_over_time
from skltransient.metrics import earliness, expected_calibration_error, scores_over_time
from skltransient.utils._testing import make_toy_lightcurves

SMALL = dict(hidden_size=12, num_layers=1, head_size=12, metadata_size=4, random_state=0)


def test_scores_over_time_skips_objects_without_prediction():
    """Check per-day scores and counts, leaving out NaN rows."""
    proba = np.full((3, 2, 2), np.nan)
    proba[0] = [[0.9, 0.1], [0.9, 0.1]]
    proba[1, 1] = [0.2, 0.8]
    proba[2] = [[0.6, 0.4], [0.3, 0.7]]
    scores = scores_over_time(["a", "b", "b"], proba, ["a", "b"], [1, 5])
    assert scores["n_objects"].tolist() == [2, 3]
    assert scores.loc[1, "accuracy"] == 0.5 and scores.loc[5, "accuracy"] == 1.0
    assert scores.loc[5, "roc_auc_macro"] == 1.0
    assert scores.loc[5, "f1_macro"] == 1.0


def test_earliness():
    """Check the first time the true class passes the threshold, relative to trigger."""
    proba = np.array([[[0.6, 0.4], [0.2, 0.8], [np.nan, np.nan]], [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]]])
    times = np.array([[10.0, 12.0, np.nan], [0.0, 1.0, 2.0]])
    days = earliness(["b", "b"], proba, times, [10.0, 0.0], ["a", "b"])
    assert days[0] == 2.0 and np.isnan(days[1])


def test_expected_calibration_error():
    """Check ECE on perfectly calibrated and on overconfident predictions."""
    y = np.array(["a"] * 8 + ["b"] * 2)
    calibrated = np.tile([0.8, 0.2], (10, 1))
    assert expected_calibration_error(y, calibrated, ["a", "b"]) == pytest.approx(0.0)
    overconfident = np.tile([0.99, 0.01], (10, 1))
    assert expected_calibration_error(y, overconfident, ["a", "b"]) == pytest.approx(0.19)


def test_temperature_scaling_lowers_calibration_error():
    """Check that temperature scaling on held-out simulated data lowers the ECE of an overconfident network."""
    import torch

    from skltransient.datasets import simulate

    X, y = simulate("ztf", 600, classes=["SN Ia", "SN IIP", "SN Ib/c", "SLSN-I"],
                    class_fractions=[0.25] * 4, random_state=3, return_X_y=True)
    train, hold, test = np.arange(0, 200), np.arange(200, 400), np.arange(400, 600)
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
                          GRUClassifier(**{**SMALL, "hidden_size": 16, "head_size": 16}, max_epochs=30,
                                        lr=1e-2)).fit(X[train], y[train])
    with torch.no_grad():  # make the network overconfident: logits ten times too large
        model[-1].module_.head[-1].weight.mul_(10.0)
        model[-1].module_.head[-1].bias.mul_(10.0)
    before = expected_calibration_error(y[test], model.predict_proba(X[test]), model.classes_)
    calibrated = calibrate(model, X[hold], y[hold])
    after = expected_calibration_error(y[test], calibrated.predict_proba(X[test]), calibrated.classes_)
    assert before > 0.2 and after < 0.5 * before
    np.testing.assert_array_equal(calibrated.predict(X[test]), model.predict(X[test]))


def test_calibrated_classifier_cv_with_cross_validation():
    """Check GRUClassifier and TransferClassifier inside CalibratedClassifierCV with cv."""
    X, y = make_toy_lightcurves(60, 3, random_state=1)
    model = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=2))
    calibrated = CalibratedClassifierCV(model, method="sigmoid", cv=StratifiedKFold(2)).fit(X, y)
    np.testing.assert_allclose(calibrated.predict_proba(X).sum(axis=1), 1.0)
    base = model.fit(X, y)
    transfer = TransferClassifier(base, max_epochs=1, random_state=0)
    calibrated = CalibratedClassifierCV(transfer, method="temperature", cv=StratifiedKFold(2)).fit(X, y)
    assert calibrated.predict_proba(X).shape == (60, 3)
    frozen = CalibratedClassifierCV(FrozenEstimator(base), method="isotonic").fit(X, y)
    assert frozen.predict_proba(X).shape == (60, 3)


def test_plots(tmp_path):
    """Check that each figure draws with titles, labels and legends."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from skltransient.plotting import plot_learning_curve, plot_lightcurve_probabilities, plot_scores_over_time

    X, y = make_toy_lightcurves(30, 3)
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=1)).fit(X, y)
    proba, times = predict_proba_over_time(model, X)
    fig = plot_lightcurve_probabilities(X, 3, proba, times, model.classes_)
    top, bottom = fig.axes
    assert top.get_title() == "Object obj3"
    assert bottom.get_xlabel() == "Days since trigger (first detection)"
    assert len(bottom.get_lines()) >= 3 and top.get_legend() is not None
    fig.savefig(tmp_path / "lc.png")
    curve = pd.DataFrame({"train_size": [0.1, 1.0, 0.1, 1.0], "strategy": ["scratch"] * 2 + ["transfer"] * 2,
                          "score_mean": [0.3, 0.8, 0.6, 0.85], "score_std": [0.05, 0.02, 0.04, 0.01]})
    ax = plot_learning_curve(curve)
    assert ax.get_xlabel() == "Training labels used" and len(ax.get_legend().texts) == 2
    scores = pd.DataFrame({"f1_macro": [0.2, 0.6], "accuracy": [0.3, 0.7], "roc_auc_macro": [0.6, 0.9]},
                          index=pd.Index([0, 10], name="days_since_trigger"))
    assert plot_scores_over_time(scores).get_ylabel() == "Score"


def test_calibrate_with_a_single_example_of_a_class():
    """Check that calibration on held-out data works when a class has one example."""
    X, y = make_toy_lightcurves(40, 3, random_state=1)
    model = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=1)).fit(X, y)
    hold = np.concatenate([np.flatnonzero(y == "SN Ia")[:1], np.flatnonzero(y != "SN Ia")[:10]])
    calibrated = calibrate(model, X[hold], y[hold])
    assert len(calibrated.calibrated_classifiers_) == 1
    np.testing.assert_allclose(calibrated.predict_proba(X).sum(axis=1), 1.0)


def test_plot_confusion_matrices_sized_to_classes_one_decimal_blank_zeros():
    """Check the confusion figure: grows with the classes, one decimal, zeros left blank."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.dummy import DummyClassifier

    from skltransient.plotting import plot_confusion_matrices

    def model_of(classes):
        model = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(classes), 1)), classes)
        model.predict = lambda X: np.full(len(X), classes[0])
        return model

    small = np.array(["a", "b", "a"])
    big = np.array([f"class {i}" for i in range(11)])
    fig_small = plot_confusion_matrices([("m", model_of(small))], np.zeros(3), small)
    fig_big = plot_confusion_matrices([("m", model_of(big)), ("n", model_of(big))], np.zeros(11), big)
    assert fig_big.get_size_inches()[1] > fig_small.get_size_inches()[1]
    assert fig_big.get_size_inches()[0] == pytest.approx(2 * fig_big.get_size_inches()[1])
    texts = [t.get_text() for t in fig_small.axes[0].texts]
    assert sorted(texts) == ["1.0", "1.0"]  # a -> a (1.0) and b -> a (1.0); zeros blank
    assert all(len(t.get_text().split(".")[1]) == 1 for t in fig_big.axes[0].texts)
    plt.close("all")


def test_plot_scores_over_time_legend_reads_as_words():
    """Check that the legend says "macro F1", not the column name f1_macro."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from skltransient.plotting import plot_scores_over_time

    scores = pd.DataFrame({"f1_macro": [0.2, 0.5], "accuracy": [0.3, 0.6],
                           "roc_auc_macro": [0.6, 0.8]}, index=[2, 10])
    ax = plot_scores_over_time(scores)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["macro F1", "accuracy",
                                                                   "macro ROC AUC"]
    plt.close("all")


def test_lightcurve_figure_reads_at_its_size():
    """Check the light-curve figure: flux unit, a line at 1.0 inside the frame, one colour per
    class among eleven, legends off the data."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skltransient.plotting import plot_lightcurve_probabilities

    X, _ = make_toy_lightcurves(3, 3)
    classes = [f"class {k}" for k in range(11)]
    times = np.where(np.arange(10)[None, :] < 5, X.time[X.offsets[:-1]][:, None] + np.arange(10), np.nan)
    proba = np.zeros((3, 10, 11))
    proba[:, :, 0] = 1.0  # one class certain throughout: its line lies along y = 1
    fig = plot_lightcurve_probabilities(X, 1, proba, times, classes)
    top, bottom = fig.axes
    assert "FLUXCAL" in top.get_ylabel()
    low, high = bottom.get_ylim()
    assert low < 0 and high > 1
    styles = {(line.get_color(), line.get_linestyle()) for line in bottom.get_lines()[:11]}
    assert len(styles) == 11
    fig.canvas.draw()
    for legend in (top.get_legend(), bottom.get_legend()):  # to the right of the panels
        assert legend.get_window_extent().x0 >= bottom.get_window_extent().x1
    plt.close(fig)


def test_learning_curve_axis_in_percent_and_legend_in_words():
    """Check the learning curve's ticks (5%, 100%: not 10^1) and strategy names in the legend."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skltransient.plotting import plot_learning_curve

    curve = pd.DataFrame({"train_size": [0.05, 1.0] * 4,
                          "strategy": ["features"] * 2 + ["frozen"] * 2 + ["scratch"] * 2
                          + ["transfer"] * 2,
                          "score_mean": np.linspace(0.2, 0.9, 8), "score_std": 0.01})
    ax = plot_learning_curve(curve)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5%", "100%"]
    assert [t.get_text() for t in ax.get_legend().texts] == [
        "GRU from scratch", "transfer (all layers)", "transfer (frozen encoder)",
        "features + boosting"]
    plt.close(ax.figure)


def test_confusion_panels_titles_do_not_overlap():
    """Check that the figure title is written once above the panels, which carry their labels."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.dummy import DummyClassifier

    from skltransient.plotting import plot_confusion_matrices

    y = np.array(["SN II", "SN Ia", "SN Ib/c"] * 3)
    model = DummyClassifier().fit(np.zeros((9, 1)), y)
    fig = plot_confusion_matrices([("GRU from scratch (164 labels)", model),
                                   ("transfer, all layers (164 labels)", model)],
                                  np.zeros((9, 1)), y, title="BTS-like simulated ZTF: 89 held out")
    fig.canvas.draw()
    first, second = (ax.title.get_window_extent() for ax in fig.axes)
    assert first.x1 < second.x0
    assert fig._suptitle.get_window_extent().y0 >= max(first.y1, second.y1) - 1
    assert fig.get_suptitle().startswith("BTS-like simulated ZTF: 89 held out")
    plt.close(fig)
