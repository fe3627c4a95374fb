"""Measure what the truncation (prefix) augmentation does for early classification.

Trains the default pipeline (``skltransient.recipes.default_pipeline``) on simulated ZTF light curves with and without
``prefix_augmentation`` and prints macro F1 and accuracy at several days
since trigger on a held-out set. Usage:
``python scripts/measure_prefix_augmentation.py [N_PER_CLASS] [EPOCHS] [PROBABILITY]``.
"""

import sys

import numpy as np
from sklearn.model_selection import train_test_split

from skltransient._experiment import simulate_base
from skltransient.early import predict_proba_at
from skltransient.metrics import scores_over_time
from skltransient.recipes import default_pipeline

n_per_class = int(sys.argv[1]) if len(sys.argv) > 1 else 200
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
probability = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
days = [0, 2, 5, 10, 20, 40]

X, y = simulate_base(n_per_class, random_state=1)
train, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=1)
rows = {}
for p in (0.0, probability):
    model = default_pipeline(max_epochs=epochs, random_state=1, prefix_augmentation=p)
    model.fit(X[train], y[train])
    rows[p] = scores_over_time(y[test], predict_proba_at(model, X[test], days), model.classes_, days)
print(f"simulated ZTF, {n_per_class} per class, 11 classes, {epochs} epochs; test set {len(test)}")
print("| days since trigger | macro F1 without | macro F1 with | accuracy without | accuracy with |")
print("|---|---|---|---|---|")
for day in days:
    a, b = rows[0.0].loc[day], rows[probability].loc[day]
    print(f"| {day} | {a.f1_macro:.3f} | {b.f1_macro:.3f} | {a.accuracy:.3f} | {b.accuracy:.3f} |")
