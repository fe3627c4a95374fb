"""Figures: light curves with class probabilities over time, learning curves, scores.

matplotlib is an optional dependency (the ``plot`` extra).
"""

import numpy as np

from ._optional import import_optional
from .bands import get_band, known_bands

__all__ = ["plot_confusion_matrices", "plot_learning_curve", "plot_lightcurve_probabilities",
           "plot_scores_over_time", "plot_survey_statistics"]

#: How a reader names the score columns of :func:`skltransient.metrics.scores_over_time`.
SCORE_NAMES = {"f1_macro": "macro F1", "accuracy": "accuracy", "roc_auc_macro": "macro ROC AUC"}

#: How a reader names the strategies of :func:`skltransient.transfer_learning_curve`, in
#: the order the legend lists them; other strategies (baselines) keep their own names.
STRATEGY_NAMES = {"zero-shot": "zero-shot (base model, no target label)",
                  "scratch": "GRU from scratch", "transfer": "transfer (all layers)",
                  "frozen": "transfer (frozen encoder)", "features": "features + boosting"}

#: The flux unit of the package's light curves (readers and simulator alike).
FLUX_LABEL = "Flux (FLUXCAL: AB zero point 27.5)"

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


def _class_styles(n):
    """A distinct (colour, line style) per class: tab10's ten strong colours solid, then dashed, ..."""
    palette = _pyplot().get_cmap("tab10").colors
    dashes = ["-", "--", ":", "-."]
    return [(palette[k % len(palette)], dashes[(k // len(palette)) % len(dashes)]) for k in range(n)]


def plot_lightcurve_probabilities(lightcurves, index, proba, times, classes, *, trigger=None,
                                  title=None, figsize=(9, 6), flux_label=FLUX_LABEL):
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
        By default the object's id.
    figsize : tuple, default=(9, 6)
    flux_label : str, default=FLUX_LABEL
        Label of the flux axis, with its unit.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Legends sit to the right of the panels, off the data; each class has
        its own colour (and line style beyond 20 classes); the probability
        axis runs a little past 0 and 1 so that a line at either edge shows.
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
    top.set_ylabel(flux_label)
    top.legend(fontsize="small", title="band", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    steps = ~np.isnan(times[index])
    for (colour, dash), (k, label) in zip(_class_styles(len(classes)), enumerate(classes)):
        bottom.plot(times[index, steps] - trigger, proba[index, steps, k], drawstyle="steps-post",
                    color=colour, ls=dash, lw=1.6, label=str(label))
    for ax in (top, bottom):
        ax.axvline(0.0, color="grey", ls=":", lw=1)
    bottom.set_ylim(-0.03, 1.03)
    bottom.set_ylabel("Class probability")
    bottom.set_xlabel("Days since trigger (first detection)")
    bottom.legend(fontsize="small", title="class", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  ncol=1 if len(classes) <= 12 else 2)
    top.set_title(title or f"Object {one.object_ids[0]}")
    fig.tight_layout()
    return fig


def plot_learning_curve(curve, *, ax=None, title="Transfer against training from scratch",
                        ylabel="Macro F1 on the held-out set"):
    """Score against the fraction of training labels, one line per strategy, with intervals.

    Error bars are the curve's 95 % confidence interval of the mean over
    repeats where it has one (``score_low``, ``score_high``), else its
    standard deviation; a ``"zero-shot"`` strategy, which uses no label, is
    a dashed level.

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
    from matplotlib.ticker import FixedLocator, NullLocator, PercentFormatter

    ax = _axes(ax)
    present = list(curve["strategy"].unique())
    order = [s for s in STRATEGY_NAMES if s in present] + [s for s in present
                                                           if s not in STRATEGY_NAMES]
    for strategy in order:
        part = curve[curve["strategy"] == strategy].sort_values("train_size")
        label = STRATEGY_NAMES.get(strategy, strategy)
        if strategy == "zero-shot":  # no label used: a level, the same at every fraction
            ax.axhline(part["score_mean"].mean(), color="0.3", linestyle="--", label=label)
            continue
        if "score_low" in part and part["score_low"].notna().any():
            yerr = [part["score_mean"] - part["score_low"], part["score_high"] - part["score_mean"]]
        else:
            yerr = part["score_std"].fillna(0)
        ax.errorbar(100 * part["train_size"], part["score_mean"], yerr=yerr, marker="o", capsize=3,
                    label=label)
    ax.set_xscale("log")
    # Ticks at the measured fractions, written as percentages (not 10^1, 10^2).
    ax.xaxis.set_major_locator(FixedLocator(100 * np.unique(curve["train_size"])))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("Training labels used")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
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
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
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
        Title of the figure, above the panels (each panel is titled by its label).
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
    # Constrained layout makes room for the figure title above the panels' own.
    fig, axes = plt.subplots(1, len(models), figsize=(side * len(models), side), squeeze=False,
                             layout="constrained")
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
        ax.set_title(label, fontsize=10)
    suffix = "rows normalised: each true class sums to 1" if normalize == "true" else ""
    heading = "; ".join(part for part in (title, suffix) if part)
    if heading:
        fig.suptitle(heading, fontsize=11)
    return fig


def plot_survey_statistics(statistics, *, title=None):
    """Cadence, depth and noise of several sets of light curves, side by side.

    Parameters
    ----------
    statistics : dict of str to Bunch
        Each set's name and its :func:`skltransient.datasets.survey_statistics`,
        e.g. real alerts, the default simulator and the calibrated one. The
        first is drawn in black as the reference.
    title : str or None, default=None
        The figure's title.

    Returns
    -------
    fig : matplotlib Figure
        Three panels: the single-visit 5-sigma depth of each band (median,
        with bars over the 16-84 percentile range), the median magnitude error
        of detections against magnitude, and the fractions of gaps between
        observed nights; the legend gives each set's visits per observed
        night and fraction of detections.
    """
    if not isinstance(statistics, dict) or not statistics:
        raise ValueError("plot_survey_statistics takes a non-empty dict of name: survey_statistics(X).")
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    colours = ["black", *plt.get_cmap("tab10").colors]
    bands = sorted({b for stats in statistics.values() for b in stats.depth.index},
                   key=lambda b: get_band(b).wavelength)
    width = 0.7 / len(statistics)
    for k, (name, stats) in enumerate(statistics.items()):
        colour = colours[k % len(colours)]
        depth = stats.depth.reindex(bands)
        x = np.arange(len(bands)) + (k - (len(statistics) - 1) / 2) * width
        axes[0].errorbar(x, depth["median"], yerr=depth["scatter"], fmt="o", color=colour, capsize=2)
        errors = stats.errors[stats.errors["n"] >= 5]
        axes[1].plot(errors.index, errors["median"], marker=".", color=colour)
        gaps = stats.night_gaps
        axes[2].step(np.arange(1, len(gaps) + 1), gaps.to_numpy(), where="mid", color=colour,
                     label=f"{name}: {stats.n_objects:,} light curves, {stats.visits_per_night:.2f} "
                           f"visits a night, {100 * stats.fraction_detected:.0f}% detected")
    axes[0].set_xticks(np.arange(len(bands)), bands)
    axes[0].set_ylabel("Single-visit 5-sigma depth (AB mag)")
    axes[0].set_title("Depth of non-detections", fontsize="medium")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("Magnitude (AB) of detections")
    axes[1].set_ylabel("Median magnitude error")
    axes[1].set_title("Errors against brightness", fontsize="medium")
    labels = statistics[next(iter(statistics))].night_gaps.index
    axes[2].set_xticks(np.arange(1, len(labels) + 1)[::2], labels[::2])
    axes[2].set_xlabel("Nights between observed nights")
    axes[2].set_ylabel("Fraction of gaps")
    axes[2].set_title("Cadence", fontsize="medium")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncols=1, fontsize="small", frameon=False)
    if title:
        fig.suptitle(title)
    return fig
