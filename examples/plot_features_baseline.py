"""
==========================================
Features and boosting next to the GRU
==========================================

Before trusting a recurrent network, compare it with what the field builds
in an afternoon: a few dozen features per light curve and gradient
boosting, as the winners of the PLAsTiCC challenge did.
:class:`~skltransient.features.LightCurveFeatures` computes such features
(with the `light-curve <https://github.com/light-curve/light-curve-python>`_
package), and any scikit-learn classifier takes them. This example trains
the feature baseline and the package's GRU pipeline on the same light
curves and scores both on the same test set, on whole light curves and a
few days after trigger.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data
# ----
#
# Simulated ZTF light curves of five classes in equal numbers, split once:
# both models see the same training and test light curves.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from skltransient.datasets import simulate

classes = ["SN Ia", "SN IIP", "SN Ib/c", "SLSN-I", "TDE"]
X, y = simulate("ztf", 600, classes=classes, class_fractions=[0.2] * 5, random_state=3,
                return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
print(len(X_train), "training and", len(X_test), "test light curves")

# %%
# The feature baseline
# --------------------
#
# Per-band statistics (amplitude, Stetson K, percentile range, linear fit,
# ...), colours at peak, the peak's timing and the metadata, then
# :class:`~sklearn.ensemble.HistGradientBoostingClassifier`, which takes
# the NaN of undefined features as they are.
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline

from skltransient.features import LightCurveFeatures

features = LightCurveFeatures().fit(X_train)
print(len(features.get_feature_names_out()), "features, e.g.",
      features.get_feature_names_out()[:4].tolist())
baseline = make_pipeline(LightCurveFeatures(),
                         HistGradientBoostingClassifier(class_weight="balanced", random_state=0))
baseline.fit(X_train, y_train)

# %%
# The GRU pipeline
# ----------------
#
# The package's recurrent classifier, with causal flux scaling so that its
# predictions a few days after trigger use only what was observed by then.
from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler
from skltransient.early import predict_proba_at

gru = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
                    GRUClassifier(hidden_size=32, max_epochs=15, lr=3e-3, random_state=0))
gru.fit(X_train, y_train)

# %%
# The same test set, whole and young
# ----------------------------------
#
# The GRU gives every phase from one pass over each light curve. The
# baseline is trained and scored on light curves cut at each phase, as it
# would be deployed for young alerts.
days = [2, 10, 30]
scores = {"features + boosting": [], "GRU": []}
proba_at = predict_proba_at(gru, X_test, days)
for j, day in enumerate([None, *days]):
    def cut(lc):
        return lc if day is None else lc.truncate(max_time=lc.trigger_time + day)

    young = make_pipeline(LightCurveFeatures(),
                          HistGradientBoostingClassifier(class_weight="balanced", random_state=0))
    young.fit(cut(X_train), y_train)
    scores["features + boosting"].append(
        f1_score(y_test, young.predict(cut(X_test)), average="macro"))
    proba = gru.predict_proba(X_test) if day is None else np.nan_to_num(proba_at[:, j - 1])
    scores["GRU"].append(f1_score(y_test, gru.classes_[proba.argmax(axis=1)], average="macro"))

labels = ["whole"] + [f"{day} d" for day in days]
for name, values in scores.items():
    print(f"{name:>20}: " + ", ".join(f"{label} {v:.2f}" for label, v in zip(labels, values)))

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
width = 0.38
for k, (name, values) in enumerate(scores.items()):
    ax.bar(np.arange(len(labels)) + (k - 0.5) * width, values, width, label=name)
ax.set_xticks(np.arange(len(labels)), labels)
ax.set_xlabel("light curve used (days after trigger)")
ax.set_ylabel("macro F1 on the test set")
ax.set_ylim(0, 1)
fig.legend(loc="outside upper center", ncols=2, frameon=False)
plt.show()

# %%
# A recurrent network is worth its cost only if it beats this yardstick on
# the same data, in particular early; ``benchmarks/bench_accuracy.py`` makes
# the same comparison at a larger scale.
