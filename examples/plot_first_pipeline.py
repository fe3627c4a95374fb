"""
=======================================
A first pipeline: classify light curves
=======================================

This example trains a classifier of transients on simulated ZTF light
curves, from raw light curves to a confusion matrix: simulate the data,
split it, build a scikit-learn pipeline of the package's transformers and
its recurrent classifier, fit it and score it on held-out objects.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Simulate light curves
# ---------------------
#
# :func:`~skltransient.datasets.simulate` draws transients of the requested
# classes, observes them with the cadence, depth and noise of a survey and
# keeps those the survey detects. We take 900 ZTF light curves of five
# classes in equal numbers, so that every class has enough examples for a
# small network. The result is a :class:`~skltransient.LightCurves`: ragged
# multi-band light curves plus per-object metadata.
import numpy as np

from skltransient.datasets import simulate

classes = ["SN Ia", "SN IIP", "SN Ib/c", "SLSN-I", "TDE"]
X, y = simulate("ztf", 900, classes=classes, class_fractions=[0.2] * 5,
                random_state=7, return_X_y=True)
print(X)
print("observations per light curve: median", np.median(X.lengths), "max", X.lengths.max())

# %%
# The metadata hold the host redshift and the Milky Way reddening ``mwebv``
# that a survey would know, and, in the ``true_*`` columns, the simulation's
# truth, which a model must never see. The pipeline below passes only
# ``redshift`` and ``mwebv`` to the network.
X.metadata[["redshift", "mwebv", "true_z", "true_peak_mag"]].head()

# %%
# Split by object
# ---------------
#
# A ``LightCurves`` behaves like a one-dimensional array of objects, so
# scikit-learn's :func:`~sklearn.model_selection.train_test_split` slices it
# directly; ``stratify`` keeps the class proportions in both parts.
from sklearn.model_selection import train_test_split

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)
print(len(X_train), "training and", len(X_test), "test light curves")

# %%
# Build and fit the pipeline
# --------------------------
#
# The pipeline pads the light curves into fixed-size arrays (one step per
# observation, with the band encoded by its wavelength), divides each
# light curve's fluxes by its running peak, standardises the metadata, and
# trains a recurrent network with a class-weighted cross-entropy. The
# network here (one GRU layer of 32 units) is much smaller than the
# default of :class:`~skltransient.GRUClassifier` (two layers of 100 units,
# as in RAPID), so that it trains in seconds.
from sklearn.pipeline import make_pipeline

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler

model = make_pipeline(
    LightCurvePadder(),
    FluxNormalizer("running_peak"),
    MetadataScaler(),
    GRUClassifier(hidden_size=32, num_layers=1, max_epochs=40, lr=1e-2, random_state=0),
)
model.fit(X_train, y_train)

# %%
# The fitted classifier is the last step of the pipeline; its skorch net
# keeps the training history. The training loss falls steadily.
import matplotlib.pyplot as plt

history = model[-1].net_.history
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(history[:, "epoch"], history[:, "train_loss"], marker="o", ms=3, label="training set")
ax.set_xlabel("Epoch")
ax.set_ylabel("Class-weighted cross-entropy")
ax.set_title("Training loss")
ax.legend()
fig.tight_layout()

# %%
# Score on held-out objects
# -------------------------
#
# ``predict_proba`` returns one column per class, in the order of
# ``classes_``; ``predict`` returns the most probable class. The macro
# F1 score weighs every class equally, whatever its size.
from sklearn.metrics import classification_report

proba = model.predict_proba(X_test)
print("columns of proba:", model.classes_.tolist())
print(classification_report(y_test, model.predict(X_test), digits=3))

# %%
# The confusion matrix shows which classes the classifier mixes up. From
# two bands and a redshift, superluminous supernovae, slow and luminous,
# are the easiest to recognise; the stripped-envelope SNe Ib/c, whose light
# curves resemble those of SNe Ia, are among the hardest.
from sklearn.metrics import ConfusionMatrixDisplay

fig, ax = plt.subplots(figsize=(5.5, 5))
ConfusionMatrixDisplay.from_predictions(
    y_test, model.predict(X_test), labels=model.classes_, normalize="true",
    values_format=".2f", cmap="Blues", colorbar=False, ax=ax)
ax.set_title("Confusion matrix (rows sum to 1)")
ax.set_xlabel("Predicted class")
ax.set_ylabel("True class")
fig.tight_layout()
plt.show()

# %%
# A model that ships with the package
# -----------------------------------
#
# :mod:`skltransient.pretrained` ships a larger model of the same design
# (two GRU layers of 100 units), trained on simulated ZTF light curves of
# all eleven classes of the simulator: the natural base model for transfer
# learning. Its model card, ``pretrained.card("ztf-sims")``, says how it was
# trained and how well it did. It predicts any of its eleven classes, so on
# this five-class test set it can also be wrong by naming a class that was
# not simulated here.
from skltransient import pretrained

if "ztf-sims" in pretrained.available():
    shipped = pretrained.load("ztf-sims")
    print("classes:", shipped[-1].classes_.tolist())
    print(f"accuracy on the test set: {np.mean(shipped.predict(X_test) == y_test):.3f}")

# %%
# Next steps: :ref:`sphx_glr_auto_examples_plot_lightcurves_and_predictions.py`
# looks at individual light curves and their predictions, and
# :ref:`sphx_glr_auto_examples_plot_transfer_ztf_to_lsst.py` reuses a model
# like this one on another survey.
