"""Stacking: a pretrained network's embedding beside the light-curve features, against each alone.

On PLAsTiCC's extragalactic classes (the ZTF -> LSST target of ``skltransient
reproduce``), at growing fractions of the training labels, with repeats: the
tuned feature baseline (``features_pipeline(tuned=True)``), the same
boosting on the shipped base model's embedding (:class:`NetworkEmbedding`)
joined to the features, on the embedding alone, and, in the same run and
on the same splits, transfer (``TransferClassifier``, all layers) and the
zero-shot base. Every boosting is tuned by cross-validation inside its
training subset; all are scored on one fixed held-out test set (30 %).
With both transfer and the features, the arm "transfer + features, mean"
averages the two fitted models' probabilities (what a soft
``VotingClassifier`` of them gives), from the same fits: no model more is
trained.

    python benchmarks/bench_stacking.py --quick        # 950 light curves, 3 repeats (reproduce --quick's)
    python benchmarks/bench_stacking.py --out stacking.json
    python benchmarks/bench_stacking.py --n-target 100000 --repeats 3 --base lsst-sims --baselines features
                                                       # PLAsTiCC's whole 70/30 split: transfer,
                                                       # the baseline and their mean
    python benchmarks/bench_stacking.py --quick --base lsst-sims-hybrid --baselines features
                                                       # transfer of another base (a shipped
                                                       # name or a saved model's folder)

The base model (``ztf-sims`` unless ``--base`` names another) was trained on simulated ZTF light curves
only: the embedding has never seen a PLAsTiCC label, so stacking it leaks
nothing from the test set.
"""

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline, make_union

import _common as c
from skltransient import pretrained
from skltransient._experiment import AUGMENTATION, load_target
from skltransient.features import LightCurveFeatures, NetworkEmbedding
from skltransient.features._features import FillEmptyFeatures
from skltransient.neural import GRUClassifier
from skltransient.persistence import load_model
from skltransient.recipes import features_pipeline
from skltransient.transfer import (headline_numbers, learning_curve_summary, mean_interval,
                                   transfer_learning_curve)


MEAN = "transfer + features, mean"


def with_mean_arm(fits, X_test, y_test, pair):
    """Add the arm averaging the probabilities of the two arms of ``pair``, fit by fit."""
    rows = []
    for (repeat, size), group in fits[fits["strategy"].isin(pair)].groupby(["repeat", "train_size"]):
        first, second = (group.set_index("strategy")["estimator"][arm] for arm in pair)
        proba = mean_proba(first, first.predict_proba(X_test), second, second.predict_proba(X_test))
        score = f1_score(y_test, first.classes_[proba.argmax(1)], average="macro")
        rows.append({"repeat": repeat, "train_size": size, "strategy": MEAN, "score": score,
                     "n_train": group["n_train"].iloc[0]})
    fits = pd.concat([fits.drop(columns="estimator"), pd.DataFrame(rows)], ignore_index=True)
    return learning_curve_summary(fits), fits


def mean_proba(first, first_proba, second, second_proba):
    """The mean of two models' probabilities, in ``first.classes_``' column order."""
    columns = [list(second.classes_).index(label) for label in first.classes_]
    return (first_proba + second_proba[:, columns]) / 2


def boosting(inputs, seed):
    """The tuned boosting of ``features_pipeline`` after ``inputs`` (a transformer)."""
    search = features_pipeline(tuned=True, random_state=seed)[-1]
    return make_pipeline(inputs, FillEmptyFeatures(), search)


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.set_defaults(threads=1)
    p.add_argument("--n-target", type=int, default=None,
                   help="PLAsTiCC light curves (default 4,000; quick 950, as reproduce --quick)")
    p.add_argument("--repeats", type=int, default=None, help="repeats (default 5; quick 3)")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--baselines", nargs="+", default=["features", "embedding + features", "embedding"],
                   choices=["features", "embedding + features", "embedding"],
                   help="the boosting arms (e.g. only 'features' for transfer against the baseline "
                        "on PLAsTiCC's whole 70/30 split: --n-target 100000)")
    p.add_argument("--days", nargs="*", type=float, default=[],
                   help="also score early: transfer with all the training labels at these days "
                        "after trigger (predict_proba_at) against the baseline trained at each, "
                        "on each repeat's own stratified 70/30 split; skips the learning curve "
                        "when given with --early-only")
    p.add_argument("--early-only", action="store_true", help="only the early comparison")
    p.add_argument("--base", default="ztf-sims",
                   help="the base model: a shipped name, or the folder of a model saved by save_model")
    args = p.parse_args()
    info = c.setup(args)
    n_target = args.n_target or (950 if args.quick else 4000)
    repeats = args.repeats or (3 if args.quick else 5)
    warnings.simplefilter("ignore", UserWarning)
    base = (pretrained.load(args.base) if args.base in pretrained.available()
            else load_model(args.base))
    print(f"base model: {args.base}")
    X, y, class_map = load_target("plasticc", n_target, base[-1].classes_, args.seed)
    embedding = NetworkEmbedding(base)
    baselines = {
        "features": boosting(LightCurveFeatures(), args.seed),
        "embedding + features": boosting(make_union(embedding, LightCurveFeatures()), args.seed),
        "embedding": boosting(embedding, args.seed),
    }
    baselines = {name: model for name, model in baselines.items() if name in args.baselines}
    augmentation = {key: GRUClassifier().get_params()[key] for key in AUGMENTATION}
    transfer = {"class_map": class_map, "max_epochs": 30, "validation_fraction": 0.2,
                "n_iter_no_change": 4, "classifier_params": augmentation}
    if args.days:
        early(base, X, y, transfer, args.days, repeats, args.seed, args.n_jobs)
        if args.early_only:
            return
    start = time.perf_counter()
    # transfer_learning_curve's own split for this seed, named so that the averaged arm is scored
    # on the same light curves
    split_seed = np.random.RandomState(args.seed).randint(2**31 - 1)
    _, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y,
                               random_state=split_seed)
    average = "features" in baselines
    curve, fits = transfer_learning_curve(
        base, X, y, train_sizes=(0.05, 0.1, 0.3, 1.0), strategies=("zero-shot", "transfer"),
        baselines=baselines, n_repeats=repeats, transfer_params=transfer,
        random_state=args.seed, n_jobs=args.n_jobs, verbose=1, return_fits=True,
        test_indices=test, return_estimators=average)
    seconds = time.perf_counter() - start
    arms = ["zero-shot", "transfer", *baselines]
    if average:
        curve, fits = with_mean_arm(fits, X[test], y[test], ("transfer", "features"))
        arms.append(MEAN)
    print(f"\nPLAsTiCC, {len(y)} light curves, {len(set(y))} classes; macro F1, mean [95 % interval] "
          f"over {repeats} repeats; {seconds:.0f} s")
    print("| labels | " + " | ".join(arms) + " |")
    print("|---|" + "---|" * len(arms))
    table = curve.set_index(["train_size", "strategy"])
    for size in sorted(curve["train_size"].unique()):
        cells = []
        for arm in arms:
            mean, low, high = table.loc[(size, arm), ["score_mean", "score_low", "score_high"]]
            cells.append(f"{mean:.3f}" if np.isnan(low) or np.isclose(low, high)
                         else f"{mean:.3f} [{low:.3f}, {high:.3f}]")
        print(f"| {100 * size:.0f}% | " + " | ".join(cells) + " |")
    # Paired by repeat: transfer and the stacked model against the features alone.
    paired = fits.pivot_table(index="repeat", columns=["strategy", "train_size"], values="score")
    gains, numbers = {}, {}
    for arm in [arm for arm in ("transfer", "embedding + features", MEAN) if arm in arms]:
        if "features" not in arms:
            break
        print(f"\n{arm} minus features, paired by repeat:")
        gains[arm] = {}
        for size in sorted(curve["train_size"].unique()):
            mean, low, high = mean_interval(paired[arm][size] - paired["features"][size])
            gains[arm][str(size)] = (mean, low, high)
            spread = "" if np.isclose(low, high) else f" [{low:+.3f}, {high:+.3f}]"
            print(f"  {100 * size:.0f}%: {mean:+.3f}{spread}")
        numbers[arm] = headline_numbers(fits, strategy=arm, baseline="features")
        print(f"{arm} against features: matches the features on all labels at "
              f"{numbers[arm]['match_fraction']}; share at 30 %: "
              f"{100 * numbers[arm]['share_of_baseline_at']:.0f}%")
    if args.out:
        payload = {"machine": info, "base": args.base, "seconds": seconds, "n_target": n_target, "repeats": repeats,
                   "curve": curve.to_dict("records"), "headline": numbers, "gains": gains}
        Path(args.out).write_text(json.dumps(payload, indent=2, default=str))


def early(base, X, y, transfer, days, repeats, seed, n_jobs):
    """Transfer (all training labels) at days after trigger against the baseline trained at each,
    and the two averaged."""
    from joblib import Parallel, delayed
    from sklearn.model_selection import train_test_split

    def one(repeat):
        import torch

        from skltransient import TransferClassifier
        from skltransient.early import predict_proba_at
        from sklearn.metrics import f1_score

        torch.set_num_threads(1)
        warnings.simplefilter("ignore", UserWarning)
        train, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y,
                                       random_state=seed + repeat)
        tuned = TransferClassifier(base, random_state=seed + repeat, **transfer)
        tuned.fit(X[train], y[train])
        at = predict_proba_at(tuned, X[test], days)
        out = {}
        for j, day in enumerate(days):
            proba = np.nan_to_num(at[:, j], nan=1 / len(tuned.classes_))
            out[("transfer", day)] = f1_score(y[test], tuned.classes_[proba.argmax(1)],
                                              average="macro")
            cut = lambda Z: Z.truncate(days_since_trigger=day)  # noqa: E731
            model = features_pipeline(tuned=True, random_state=seed + repeat)
            model.fit(cut(X[train]), y[train])
            features = model.predict_proba(cut(X[test]))
            out[("features", day)] = f1_score(y[test], model.classes_[features.argmax(1)],
                                              average="macro")
            mean = mean_proba(tuned, proba, model, features)
            out[(MEAN, day)] = f1_score(y[test], tuned.classes_[mean.argmax(1)], average="macro")
        return out

    results = Parallel(n_jobs=n_jobs)(delayed(one)(r) for r in range(repeats))
    print(f"\nEarly, all training labels, {repeats} repeats (each its own 70/30 split); macro F1, "
          f"mean [95 % interval]; each network arm minus features paired by repeat")
    for day in days:
        cells = []
        for arm in ("transfer", "features", MEAN):
            mean, low, high = mean_interval(np.array([r[(arm, day)] for r in results]))
            cells.append(f"{arm} {mean:.3f} [{low:.3f}, {high:.3f}]")
        gains = []
        for arm in ("transfer", MEAN):
            mean, low, high = mean_interval(np.array([r[(arm, day)] - r[("features", day)]
                                                      for r in results]))
            gains.append(f"{arm} {mean:+.3f} [{low:+.3f}, {high:+.3f}]")
        print(f"  {day:g} d: " + ", ".join(cells) + "; minus features: " + ", ".join(gains))


if __name__ == "__main__":
    main()
