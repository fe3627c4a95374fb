"""Figures: light curves with class probabilities over time, learning curves, scores.

matplotlib is an optional dependency (the ``plot`` extra).
"""

import numpy as np

from ._optional import import_optional
from .bands import get_band, known_bands

__all__ = ["plot_confusion_matrices", "plot_learning_curve", "plot_lightcurve_probabilities",
           "plot_scores_over_time"]

#: How a reader names the score columns of :func:`skltransient.metrics.scores_over_time`.
SCORE_NAMES = {"f1_macro": "macro F1", "accuracy": "accuracy", "roc_auc_macro": "macro ROC AUC"}

#: Band colours, blue to red by wavelength.
BAND_COLOURS = {"lsstu": "#56b4e9", "ztfg": "#009e73", "lsstg": "#009e73", "ztfr": "#d55e00",
                "lsstr": "#d55e00", "ztfi": "#8b0000", "lssti": "#8b0000", "lsstz": "#6a3d9a",
                "lssty": "#000000"}


def _pyplot():
    return import_optional("matplotlib.pyplot", "Plotting", "plot")


def _axes(ax):
    """The given axes, or new ones of the package's default size."""
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(6, 4))
    return ax


def plot_lightcurve_probabilities(lightcurves, index, proba, times, classes, *, trigger=None,
                                  title=None, figsize=(7, 6)):
    """The RAPID figure: a light curve above its class probabilities over time.

    Parameters
    ----------
    lightcurves : LightCurves
    index : int
        Position of the object in ``lightcurves``.
    proba : ndarray of shape (n_objects, n_steps, n_classes)
        From :func:`skltransient.early.predict_proba_over_time`.
    times : ndarray of shape (n_objects, n_steps)
        Step times (MJD), from the same function.
    classes : array-like of shape (n_classes,)
    trigger : float or None, default=None
        Trigger time (MJD) marked on both panels; by default the object's
        first detection.
    title : str or None, default=None
    figsize : tuple, default=(7, 6)

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    plt = _pyplot()
    one = lightcurves[index]
    trigger = one.trigger_time[0] if trigger is None else trigger
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=figsize,
                                      gridspec_kw={"height_ratios": [1, 1]})
    for code in np.unique(one.band):
        name = known_bands()[code]
        rows = one.band == code
        top.errorbar(one.time[rows] - trigger, one.flux[rows], one.flux_err[rows], fmt="o", ms=4,
                     color=BAND_COLOURS.get(name), label=f"{name} ({get_band(name).wavelength:.0f} Å)")
    top.set_ylabel("Flux")
    top.legend(fontsize="small")
    steps = ~np.isnan(times[index])
    for k, label in enumerate(classes):
        bottom.plot(times[index, steps] - trigger, proba[index, steps, k], drawstyle="steps-post",
                    label=str(label))
    for ax in (top, bottom):
        ax.axvline(0.0, color="grey", ls=":", lw=1)
    bottom.set_ylim(0, 1)
    bottom.set_ylabel("Class probability")
    bottom.set_xlabel("Days since trigger")
    bottom.legend(fontsize="small", ncol=2)
    top.set_title(title or f"Object {one.object_ids[0]}")
    fig.tight_layout()
    return fig


def plot_learning_curve(curve, *, ax=None, title="Transfer against training from scratch",
                        ylabel="Macro F1 on the held-out set"):
    """Score against the fraction of training labels, one line per strategy, with spreads.

    Parameters
    ----------
    curve : DataFrame
        Output of :func:`skltransient.transfer_learning_curve`.
    ax : matplotlib Axes or None, default=None
    title, ylabel : str

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    for strategy, part in curve.groupby("strategy"):
        part = part.sort_values("train_size")
        ax.errorbar(100 * part["train_size"], part["score_mean"], yerr=part["score_std"].fillna(0),
                    marker="o", capsize=3, label=strategy)
    ax.set_xscale("log")
    ax.set_xlabel("Training labels used (%)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(title="strategy")
    ax.grid(alpha=0.3)
    return ax


def plot_scores_over_time(scores, *, ax=None, title="Scores after trigger"):
    """Scores as functions of days since trigger.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`skltransient.metrics.scores_over_time`.
    ax : matplotlib Axes or None, default=None
    title : str

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    for column, label in SCORE_NAMES.items():
        ax.plot(scores.index, scores[column], marker="o", label=label)
    ax.set_xlabel("Days since trigger")
    ax.set_ylabel("Score")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def plot_confusion_matrices(models, X, y, *, title=None, normalize="true"):
    """Row-normalised confusion matrices of fitted models side by side, readable at any class count.

    The figure is sized to the number of classes; cells show one decimal
    and zeros are left blank, so that eleven or fourteen classes stay legible.

    Parameters
    ----------
    models : list of (str, estimator)
        Labels and fitted classifiers, one panel each.
    X : LightCurves
        Test light curves.
    y : array-like of shape (n_objects,)
        Their true classes.
    title : str or None, default=None
        Prefix of each panel's title.
    normalize : {"true", "pred", "all"} or None, default="true"
        As :func:`sklearn.metrics.confusion_matrix`.

    Returns
    -------
    fig : matplotlib Figure
    """
    import numpy as np
    from sklearn.metrics import confusion_matrix

    plt = _pyplot()
    y = np.asarray(y)
    labels = np.unique(np.concatenate([y, *[np.asarray(m.classes_) for _, m in models]]))
    n = len(labels)
    side = max(4.0, 0.55 * n + 1.5)
    fig, axes = plt.subplots(1, len(models), figsize=(side * len(models), side), squeeze=False)
    for ax, (label, model) in zip(axes[0], models):
        matrix = confusion_matrix(y, model.predict(X), labels=labels, normalize=normalize)
        matrix = np.nan_to_num(matrix)
        ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if normalize else None)
        for i in range(n):
            for j in range(n):
                value = matrix[i, j]
                text = f"{value:.1f}" if normalize else f"{value:.0f}"
                if text.strip("0.") == "":
                    continue  # zero, or rounds to zero: leave the cell blank
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if value > 0.6 * (matrix.max() or 1) else "black")
        ax.set_xticks(range(n), labels, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(n), labels, fontsize=8)
        ax.set_xlabel("Predicted class")
        ax.set_ylabel("True class")
        suffix = " (rows normalised)" if normalize == "true" else ""
        ax.set_title(f"{title}: {label}{suffix}" if title else f"{label}{suffix}", fontsize=10)
    fig.tight_layout()
    return fig
