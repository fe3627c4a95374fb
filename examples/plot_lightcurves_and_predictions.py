"""
=======================================
Looking at light curves and predictions
=======================================

A classifier's scores summarise thousands of objects; this example looks at
a few of them. It plots simulated ZTF light curves of five classes, shows
the two ways :class:`~skltransient.LightCurvePadder` turns them into network
input, and puts a trained model's class probabilities next to the light
curves they came from.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and a model
# ----------------
#
# As in :ref:`sphx_glr_auto_examples_plot_first_pipeline.py`, we simulate
# ZTF light curves of five classes and train a small recurrent classifier on
# 70% of them.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler
from skltransient.datasets import simulate

classes = ["SN Ia", "SN IIP", "SN Ib/c", "SLSN-I", "TDE"]
X, y = simulate("ztf", 900, classes=classes, class_fractions=[0.2] * 5,
                random_state=0, return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)

model = make_pipeline(
    LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
    GRUClassifier(hidden_size=32, num_layers=1, max_epochs=40, lr=1e-2, random_state=0))
model.fit(X_train, y_train)
proba = model.predict_proba(X_test)

# %%
# One light curve of each class
# -----------------------------
#
# Each panel shows the best-sampled test object of a class: its flux in the ZTF ``g`` and ``r``
# bands against days since its trigger (the first detection at
# signal-to-noise 5 or more), with 1-sigma error bars. Fluxes are in the
# SNANA ``FLUXCAL`` unit (zero point 27.5). Observations before the trigger
# are forced photometry at the transient's position, consistent with zero.
# The title gives the model's most probable class and its probability.
BAND_STYLE = {"ztfg": ("tab:green", "g"), "ztfr": ("tab:red", "r")}
# The best-sampled test object of each class.
examples = [max(np.flatnonzero(y_test == label), key=lambda i: X_test.lengths[i])
            for label in classes]


def plot_lightcurve(ax, lightcurves, index):
    """Flux against days since trigger, one colour per band."""
    one = lightcurves[index]
    days = one.time - one.trigger_time[0]
    for band, (colour, letter) in BAND_STYLE.items():
        rows = one.band_names == band
        ax.errorbar(days[rows], one.flux[rows], one.flux_err[rows], fmt="o", ms=3,
                    color=colour, elinewidth=0.8, label=letter)
    ax.axvline(0, color="grey", ls=":", lw=1)
    ax.set_xlabel("Days since trigger")


fig, axes = plt.subplots(1, 5, figsize=(15, 3.4), sharex=True)
for ax, index in zip(axes, examples):
    plot_lightcurve(ax, X_test, index)
    best = np.argmax(proba[index])
    ax.set_title(f"true {y_test[index]}\npredicted {model.classes_[best]} "
                 f"({proba[index, best]:.2f})", fontsize="medium")
axes[0].set_ylabel("Flux (FLUXCAL)")
axes[0].legend(title="band")
fig.suptitle("Simulated ZTF light curves and the model's most probable class")
fig.tight_layout()

# %%
# The full probability vectors of the same five objects show more than the
# most probable class: whether the model is confident, hesitates between
# two classes, or spreads its belief over several.
fig, ax = plt.subplots(figsize=(9, 3.8))
width = 0.8 / len(model.classes_)
positions = np.arange(len(examples))
for k, label in enumerate(model.classes_):
    ax.bar(positions + (k - 2) * width, proba[examples, k], width, label=label)
ax.set_xticks(positions, [f"true {y_test[i]}" for i in examples])
ax.set_ylabel("Predicted probability")
ax.set_ylim(0, 1)
ax.set_title("Class probabilities of the five objects above")
ax.legend(title="class", fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
fig.tight_layout()

# %%
# What the network sees
# ---------------------
#
# :class:`~skltransient.LightCurvePadder` offers two representations. With
# ``"observations"`` (used above) each observation is one step of the
# sequence, and its band enters as its pivot wavelength: nothing is
# invented between observations, and the same network reads any survey's
# bands. With ``"grid"``, the representation of RAPID, each band is
# linearly interpolated onto a regular grid (here every 3 days), giving one
# flux and one uncertainty channel per band at every step. The dashed lines
# show the grid values of the first object above on top of its
# observations.
padder = LightCurvePadder("grid", grid_step=3.0, metadata_columns=()).fit(X_train)
grid = padder.transform(X_test[[examples[0]]])
print(grid)

one = X_test[examples[0]]
fig, ax = plt.subplots(figsize=(7, 3.8))
plot_lightcurve(ax, X_test, examples[0])
steps = np.arange(grid.lengths[0])
for channel, band in enumerate(padder.bands_):
    colour, letter = BAND_STYLE[band]
    ax.plot(grid.times[0, steps] - one.trigger_time[0], grid.values[0, steps, channel], "--",
            color=colour, lw=1.2, label=f"{letter}, grid")
ax.set_ylabel("Flux (FLUXCAL)")
ax.set_title(f"Observations and the 3-day grid ({y_test[examples[0]]})")
ax.legend(ncol=2)
fig.tight_layout()

# %%
# How confident is the model?
# ---------------------------
#
# The highest probability of each test object, split by whether the
# prediction is right. A useful classifier is confident when it is right
# and hesitant when it is wrong, so that a broker can rank objects for
# follow-up by probability. Whether a probability of 0.8 really means 80%
# is a separate question, that of calibration
# (:func:`skltransient.calibration.calibrate`, used in
# :ref:`sphx_glr_auto_examples_plot_early_classification.py`).
confidence = proba.max(axis=1)
correct = model.classes_[proba.argmax(axis=1)] == y_test
bins = np.linspace(0.2, 1.0, 17)
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.hist(confidence[correct], bins=bins, alpha=0.7, label=f"right ({correct.sum()})")
ax.hist(confidence[~correct], bins=bins, alpha=0.7, label=f"wrong ({(~correct).sum()})")
ax.set_xlabel("Highest class probability")
ax.set_ylabel("Test objects")
ax.set_title("Confidence of right and wrong predictions")
ax.legend()
fig.tight_layout()
plt.show()
