"""The feature baseline's search grid, chosen on validation data: candidate grids by label budget.

``recipes.features_pipeline(tuned=True)`` tunes its gradient boosting by
cross-validation over ``recipes.FEATURES_GRID``. This script compares
candidate grids on data that no benchmark or ``reproduce`` scores: PLAsTiCC
objects outside ``reproduce --quick``'s sample (same seed), and a BTS-like
simulation with a seed ``reproduce`` never uses. Each set is split 70/30;
at each fraction of the 70 % a stratified label subset is drawn per repeat,
every grid is searched on it, and the 30 % scores it (macro F1, and the
seconds of the search). The features are computed once per set.

    python benchmarks/bench_baseline_grid.py --quick     # 950 light curves per set, 3 repeats
    python benchmarks/bench_baseline_grid.py --sets plasticc --out grid.json
"""

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

import _common as c
from skltransient import pretrained, recipes
from skltransient._experiment import MIN_PER_CLASS, SETTINGS, load_target
from skltransient.features import LightCurveFeatures

GRIDS = {
    "current (FEATURES_GRID)": dict(recipes.FEATURES_GRID),
    "previous: lr x leaves": {"learning_rate": [0.05, 0.15], "max_leaf_nodes": [7, 31]},
    "previous + min leaf 5/20": {"learning_rate": [0.05, 0.15], "max_leaf_nodes": [7, 31],
                                 "min_samples_leaf": [5, 20]},
    "lr x min leaf, 15 leaves": {"learning_rate": [0.05, 0.15], "max_leaf_nodes": [15],
                                 "min_samples_leaf": [5, 20]},
}


def validation_set(name, n_objects, seed, base_classes):
    """Light curves and labels that ``reproduce`` (same ``seed``) never scores."""
    if name == "ztf-bts":
        X, y, _ = load_target("ztf-bts", n_objects, base_classes, seed + 777)
        return X, y
    used, _, _ = load_target("plasticc", SETTINGS["quick"]["n_target"], base_classes, seed)
    X, y, _ = load_target("plasticc", 10**6, base_classes, seed)  # every extragalactic object
    rest = np.flatnonzero(~np.isin(np.asarray(X.object_ids), np.asarray(used.object_ids)))
    keep = np.sort(train_test_split(rest, train_size=n_objects, stratify=y[rest],
                                    random_state=seed)[0])
    return X[keep], y[keep]


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.set_defaults(threads=1)
    p.add_argument("--sets", nargs="+", default=["plasticc", "ztf-bts"], choices=["plasticc", "ztf-bts"])
    p.add_argument("--n-objects", type=int, default=None, help="light curves per set (default 950)")
    p.add_argument("--repeats", type=int, default=None, help="label subsets per fraction (default 5; quick 3)")
    args = p.parse_args()
    info = c.setup(args)
    repeats = args.repeats or (3 if args.quick else 5)
    warnings.simplefilter("ignore", UserWarning)
    base_classes = pretrained.load("ztf-sims")[-1].classes_
    rows = []
    for name in args.sets:
        X, y = validation_set(name, args.n_objects or 950, args.seed, base_classes)
        labels, counts = np.unique(y, return_counts=True)
        kept = np.flatnonzero(np.isin(y, labels[counts >= MIN_PER_CLASS]))  # as reproduce does
        X, y = X[kept], y[kept]
        features = LightCurveFeatures().fit_transform(X)
        train, valid = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y,
                                        random_state=args.seed)
        print(f"\n{name}: {len(y)} validation-set light curves, {len(set(y))} classes")
        for fraction in (0.05, 0.1, 0.3, 1.0):
            for repeat in range(repeats if fraction < 1 else 1):
                size = max(round(fraction * len(train)), 2 * len(set(y)))  # two per class at least
                subset = train if fraction == 1 else train_test_split(
                    train, train_size=size, stratify=y[train], random_state=repeat)[0]
                for grid_name, grid in GRIDS.items():
                    search = recipes.features_pipeline(tuned=True, random_state=repeat)[-1]
                    search.set_params(param_grid={f"histgradientboostingclassifier__{key}": values
                                                  for key, values in grid.items()})
                    start = time.perf_counter()
                    search.fit(features[subset], y[subset])
                    seconds = time.perf_counter() - start
                    score = f1_score(y[valid], search.predict(features[valid]), average="macro")
                    rows.append({"set": name, "fraction": fraction, "repeat": repeat,
                                 "grid": grid_name, "macro_f1": score, "seconds": seconds,
                                 "n_labels": len(subset), "best": search.best_params_})
                    print(f"  {100 * fraction:3.0f}% ({len(subset)} labels), repeat {repeat}, "
                          f"{grid_name}: {score:.3f} in {seconds:.1f} s", flush=True)
    table = pd.DataFrame(rows)
    summary = table.pivot_table(index=["set", "fraction"], columns="grid",
                                values=["macro_f1", "seconds"], aggfunc="mean")
    print("\nmean over repeats (validation macro F1, then seconds per search):")
    print(summary.round(3).to_string())
    if args.out:
        Path(args.out).write_text(json.dumps({"machine": info, "rows": rows}, indent=2, default=str))


if __name__ == "__main__":
    main()
