"""The GRU pipeline against the feature-boosting baseline, on the same light curves.

Both models are trained on the same training light curves and scored on the
same fresh test set, on whole light curves and at days after trigger: the
baseline is trained and scored on light curves cut at that phase, the GRU
gives every phase from one pass over time (``predict_proba_at``). Scores:
macro F1, macro ROC AUC and per-class F1, as one table per data set.

    python benchmarks/bench_accuracy.py --quick          # a few minutes on 2 cores
    python benchmarks/bench_accuracy.py                  # the issue's sizes (long on 2 cores)
    python benchmarks/bench_accuracy.py --sets ztf lsst plasticc --out accuracy.json
    python benchmarks/bench_accuracy.py --sets ztf --gru '{"flux_noise": 0}' --scratch-only --validation
                                                         # one row of an ablation, scored on
                                                         # validation data (never the test set)
    python benchmarks/bench_accuracy.py --sets ztf --quick --validation --scratch-only \
        --recipe default --seeds 3 --params '{"fluxnormalizer__method": "snr"}'
                                                         # a pipeline parameter, on validation data
    python benchmarks/bench_accuracy.py --quick --sets plasticc --seeds 3 --phases 2 5 10
                                                         # three repeats (split and seeds), mean,
                                                         # spread and paired differences

Models: the GRU from scratch (``recipes.default_pipeline``), the hybrid network from scratch
(``recipes.hybrid_pipeline``: the same GRU with the feature baseline's statistics in its metadata
branch; over time, statistics of the light curve cut at each day), the shipped base where one
exists, the feature baseline trained at each phase, and each network from scratch averaged with
the baseline ("+ features, mean": the mean of the two fitted models' probabilities, what
scikit-learn's ``VotingClassifier(voting="soft")`` of the two gives).

Data sets: ``ztf`` (simulated, equal numbers of the eleven classes; the
shipped ``ztf-sims`` model is scored on the same test set), ``lsst``
(simulated; the shipped ``lsst-sims`` beside it), ``plasticc`` (the PLAsTiCC training set, stratified 70/30 split,
seed 0; needs ``pip install --no-deps snmachine``).

Selection apart from scoring: ``--validation`` scores on validation data instead of the test set,
for choosing defaults and hyperparameters: a fresh simulation with seed ``seed + 2000`` (the test
set has ``seed + 1000``, the training set ``seed``), or, for PLAsTiCC, 30 % of the training split
(the test split is never read). The feature baseline's boosting is tuned by cross-validation
inside the training set (``features_pipeline(tuned=True)``); ``--untuned-baseline`` gives the
previous, untuned one.
"""

import json
import time
import warnings

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

import _common as c
from skltransient import pretrained
from skltransient.recipes import default_pipeline, features_pipeline, hybrid_pipeline
from skltransient.datasets import CLASSES, load_plasticc, simulate
from skltransient.early import predict_proba_at

PHASES = (0, 2, 5, 10, 20, 40)


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.set_defaults(threads=1)
    p.add_argument("--sets", nargs="+", default=["ztf", "lsst", "plasticc"],
                   choices=["ztf", "lsst", "plasticc"], dest="datasets")
    p.add_argument("--epochs", type=int, default=None,
                   help="most GRU epochs, early stopping on 10%% (default 60, the package's; quick 30)")
    p.add_argument("--per-class", type=int, default=None,
                   help="simulated training light curves per class (default 500; quick 100)")
    p.add_argument("--gru", type=json.loads, default={},
                   help="GRUClassifier parameters of the model from scratch, as JSON "
                        "(default: the package's defaults)")
    p.add_argument("--params", type=json.loads, default={},
                   help="further parameters of the recipes' pipelines (set_params), as JSON, "
                        "e.g. '{\"fluxnormalizer__method\": \"snr\"}'")
    p.add_argument("--scratch-only", action="store_true",
                   help="train and score only the GRU from scratch (an ablation row)")
    p.add_argument("--validation", action="store_true",
                   help="score on validation data, never the test set (to select defaults)")
    p.add_argument("--redshifts", choices=["survey", "exact"], default="survey",
                   help="the simulated sets' redshifts: the survey's (default) or the truth")
    p.add_argument("--untuned-baseline", action="store_true",
                   help="the feature baseline with the boosting's defaults (not cross-validated)")
    p.add_argument("--recipe", choices=["default", "hybrid", "both"], default="both",
                   help="the GRU recipes trained from scratch")
    p.add_argument("--phases", nargs="+", type=float, default=list(PHASES),
                   help="days after trigger scored besides whole light curves")
    p.add_argument("--seeds", type=int, default=1,
                   help="repeats with seeds seed, seed+1, ...: the split (PLAsTiCC) or the "
                        "simulations, and the models' seeds; mean, spread and paired differences")
    args = p.parse_args()
    report = c.Report("GRU pipeline vs feature baseline", c.setup(args), quick=args.quick,
                      seed=args.seed, seeds=args.seeds)
    for name in args.datasets:
        try:
            repeats = [run(name, args, report, args.seed + k) for k in range(args.seeds)]
            if len(repeats) > 1:
                summarise(name, repeats, [None, *args.phases], report)
        except Exception as exc:  # one data set failing must not hide the others
            report.error(name, exc)
    report.save(args.out)


def summarise(name, repeats, phases, report):
    """Mean and standard deviation over repeats; each model's paired difference from the baseline."""
    from scipy import stats

    print(f"\n   {name}: macro F1 over {len(repeats)} repeats, mean +- standard deviation")
    print(f"   {'model':<26}" + "".join(f"{_label(d):>16}" for d in phases))
    baseline = next((m for m in repeats[0] if m.startswith("features")), None)
    for model in repeats[0]:
        table = np.array([[r[model][d]["f1_macro"] for d in phases] for r in repeats])
        print(f"   {model:<26}" + "".join(f"{m:>9.3f} +-{s:.3f}" for m, s in
                                         zip(table.mean(0), table.std(0, ddof=1))))
        for j, day in enumerate(phases):
            report.add(f"{name} {model} F1 {_label(day)} mean", float(table[:, j].mean()), quiet=True)
        if baseline is None or model == baseline:
            continue
        gain = table - np.array([[r[baseline][d]["f1_macro"] for d in phases] for r in repeats])
        half = stats.t.ppf(0.975, len(repeats) - 1) * gain.std(0, ddof=1) / np.sqrt(len(repeats))
        print(f"   {'  minus baseline (95 %)':<26}" + "".join(
            f"{m:>+9.3f} +-{h:.3f}" for m, h in zip(gain.mean(0), half)))
        for j, day in enumerate(phases):
            report.add(f"{name} {model} minus baseline F1 {_label(day)}", float(gain[:, j].mean()),
                       note=f"95% interval half-width {half[j]:.3f}", quiet=True)


def _label(day):
    return "all" if day is None else f"{day:g} d"


def load(name, quick, seed, per_class=None, validation=False, redshifts="survey"):
    """Training light curves and the scored ones: the fresh test set, or validation data.

    ``redshifts`` is passed to ``simulate`` for the simulated sets: ``"survey"``
    (photometric, with outliers and missing values) or ``"exact"``.
    """
    per_class = per_class or (100 if quick else 500)
    if name in ("ztf", "lsst"):
        fractions = dict.fromkeys(CLASSES, 1 / len(CLASSES))
        X, y = simulate(name, per_class * len(CLASSES), class_fractions=fractions,
                        redshifts=redshifts, random_state=seed, return_X_y=True)
        train, _ = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y,
                                    random_state=seed)
        scored_seed = seed + (2000 if validation else 1000)
        X_test, y_test = simulate(name, (per_class // 2) * len(CLASSES), class_fractions=fractions,
                                  redshifts=redshifts, random_state=scored_seed, return_X_y=True)
        return X[train], y[train], X_test, y_test
    X, y = load_plasticc(return_X_y=True)
    index = np.arange(len(y))
    if quick:
        index, _ = train_test_split(index, train_size=2000, stratify=y, random_state=seed)
    train, test = train_test_split(index, test_size=0.3, stratify=y[index], random_state=seed)
    if validation:  # the test split is left untouched
        train, test = train_test_split(train, test_size=0.3, stratify=y[train], random_state=seed)
    return X[train], y[train], X[test], y[test]


def scores(y_true, proba, classes):
    predicted = classes[np.argmax(proba, axis=1)]
    f1 = f1_score(y_true, predicted, labels=classes, average=None, zero_division=0)
    present = np.isin(classes, y_true)
    try:
        auc = roc_auc_score(y_true, proba[:, present] / proba[:, present].sum(1, keepdims=True),
                            multi_class="ovr", labels=classes[present])
    except ValueError:
        auc = np.nan
    return {"f1_macro": float(f1[present].mean()), "roc_auc_macro": float(auc),
            "per_class": dict(zip(classes.tolist(), np.round(f1, 3).tolist())),
            "proba": proba, "classes": classes}


def _mean_scores(y_true, network, features):
    if not np.array_equal(network["classes"], features["classes"]):
        raise ValueError(f"The network's classes {network['classes']} are not the baseline's "
                         f"{features['classes']}.")
    return scores(y_true, (network["proba"] + features["proba"]) / 2, network["classes"])


def cut(X, day):
    return X if day is None else X.truncate(days_since_trigger=day)


def run(name, args, report, seed):
    """Train and score every model once (one split and seed); print and return the scores."""
    start = time.perf_counter()
    X_train, y_train, X_test, y_test = load(name, args.quick, seed, args.per_class,
                                            args.validation, args.redshifts)
    scored = "validation" if args.validation else "test"
    report.note(f"{name} (seed {seed}): train {c.describe(X_train)}; {scored} {len(X_test):,} "
                f"light curves")
    epochs = args.epochs or (30 if args.quick else 60)
    phases = [None, *args.phases]
    results = {}

    # The package's recipes (default_pipeline, hybrid_pipeline), with max_epochs as asked.
    recipes = {"default": ("GRU (scratch)", default_pipeline),
               "hybrid": ("GRU hybrid (scratch)", hybrid_pipeline)}
    for key in ("default", "hybrid") if args.recipe == "both" else (args.recipe,):
        label, recipe = recipes[key]
        gru = recipe(**{"max_epochs": epochs, "random_state": seed, **args.gru})
        gru.set_params(**args.params)
        tic = time.perf_counter()
        gru.fit(X_train, y_train)
        results[label] = gru_scores(gru, X_test, y_test, args.phases)
        report.note(f"{name}: {label} {args.gru or 'defaults'} {args.params or ''}, "
                    f"{gru[-1].n_epochs_} epochs, "
                    f"{time.perf_counter() - tic:.0f} s")
    shipped = f"{name}-sims"
    if shipped in pretrained.available() and not args.scratch_only:
        results[f"GRU (shipped {shipped})"] = gru_scores(pretrained.load(shipped), X_test, y_test,
                                                        args.phases)

    baseline = {}
    for day in [] if args.scratch_only else phases:
        model = features_pipeline(tuned=not args.untuned_baseline, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model.fit(cut(X_train, day), y_train)
            baseline[day] = scores(y_test, model.predict_proba(cut(X_test, day)),
                                   model.classes_)
    if baseline:
        results["features + boosting" + ("" if args.untuned_baseline else " (tuned)")] = baseline
        # Each network trained from scratch averaged with the baseline (a soft VotingClassifier
        # of the two fitted models): does the network carry what the features lack?
        for label in [label for label, _ in recipes.values() if label in results]:
            results[f"{label} + features, mean"] = {
                day: _mean_scores(y_test, results[label][day], baseline[day]) for day in phases}

    print(f"\n   {name} (seed {seed}): macro F1 (macro ROC AUC) by days after trigger; 'all' = "
          f"whole light curves")
    header = "".join(f"{_label(d):>15}" for d in phases)
    print(f"   {'model':<26}{header}")
    for model_name, by_phase in results.items():
        cells = "".join(f"{by_phase[d]['f1_macro']:>8.3f} ({by_phase[d]['roc_auc_macro']:.2f})"
                        for d in phases)
        print(f"   {model_name:<26}{cells}")
        for day in phases:
            report.add(f"{name} {model_name} F1 {_label(day)} seed {seed}",
                       by_phase[day]["f1_macro"], quiet=True)
    print(f"\n   {name}: per-class F1 on whole light curves")
    for model_name, by_phase in results.items():
        print(f"   {model_name:<26}{by_phase[None]['per_class']}")
    report.note(f"{name} (seed {seed}): {time.perf_counter() - start:.0f} s")
    return results


def gru_scores(model, X_test, y_test, phases=PHASES):
    """Scores of a fitted GRU pipeline on whole light curves and at each phase.

    ``predict_proba_at``: from one pass over time, or (the hybrid) on the light curves cut there.
    """
    classes = model.classes_
    out = {None: scores(y_test, model.predict_proba(X_test), classes)}
    at = predict_proba_at(model, X_test, list(phases))
    for j, day in enumerate(phases):
        out[day] = scores(y_test, np.nan_to_num(at[:, j], nan=1 / len(classes)), classes)
    return out


if __name__ == "__main__":
    main()
