"""The recipe's ablation, selected on validation data: each change to the defaults, over seeds.

Every row is the package's GRU from scratch (``recipes.default_pipeline``)
with one change to its parameters, trained on the benchmark's training light
curves and scored on **validation data, never a test set**: a fresh
simulation with seed ``seed + 2000`` for ``ztf``/``lsst``, or 30 % of
PLAsTiCC's training split for ``plasticc`` (the same data as
``bench_accuracy.py --validation``). Each row is repeated over seeds (a new
training set, validation set and network seed each); the table gives the mean
and the 95 % t-interval of macro F1 on whole light curves and at days after
trigger, and the paired difference from the defaults, seed by seed. The
tuned feature baseline is scored on the same validation data beside them.

    python benchmarks/bench_recipe.py --quick                     # minutes on 2 cores
    python benchmarks/bench_recipe.py --sets ztf plasticc --seeds 0 1 2 --out recipe.json
    python benchmarks/bench_recipe.py --sets ztf --redshifts exact --rows defaults "no flux noise"

``--redshifts exact`` gives the simulated sets their true redshifts instead
of the survey's photometric ones (to measure what the photo-z cost).
"""

import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import stats

import _common as c
from bench_accuracy import cut, gru_scores, load, scores
from skltransient.recipes import default_pipeline, features_pipeline

#: The rows: one change each to ``GRUClassifier``'s defaults.
ROWS = {
    "defaults": {},
    "no flux noise": {"flux_noise": 0.0},
    "no observation dropout": {"observation_dropout": 0.0},
    "no augmentation": {"flux_noise": 0.0, "observation_dropout": 0.0},
    "early stopping on 10 %": {"early_stopping": True},
    "lr 1e-3": {"lr": 1e-3},
    "no sequence loss": {"sequence_loss": 0.0},
}

#: Phases scored (None: whole light curves).
PHASES = (None, 2, 10)


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.set_defaults(threads=1)
    p.add_argument("--sets", nargs="+", default=["ztf", "plasticc"],
                   choices=["ztf", "lsst", "plasticc"], dest="datasets")
    p.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=None, help="most GRU epochs (default 60; quick 30)")
    p.add_argument("--per-class", type=int, default=None,
                   help="simulated training light curves per class (default 300; quick 100)")
    p.add_argument("--redshifts", choices=["survey", "exact"], default="survey",
                   help="the simulated sets' redshifts: the survey's (default) or the truth")
    p.add_argument("--no-baseline", action="store_true", help="leave out the feature baseline")
    p.add_argument("--n-jobs", type=int, default=2, help="parallel fits (one torch thread each)")
    args = p.parse_args()
    report = c.Report("Recipe ablation on validation data", c.setup(args), quick=args.quick,
                      seed=args.seeds[0])
    epochs = args.epochs or (30 if args.quick else 60)
    per_class = args.per_class or (100 if args.quick else 300)
    for name in args.datasets:
        start = time.perf_counter()
        jobs = [(row, seed) for seed in args.seeds for row in args.rows]
        if not args.no_baseline:
            jobs += [("features + boosting (tuned)", seed) for seed in args.seeds]
        results = Parallel(n_jobs=args.n_jobs, verbose=5)(
            delayed(one_fit)(name, row, seed, args.quick, per_class, epochs, args.redshifts)
            for row, seed in jobs)
        table = dict(zip(jobs, results))
        print_table(name, table, args, report)
        report.note(f"{name}: {len(jobs)} fits in {time.perf_counter() - start:.0f} s "
                    f"({args.redshifts} redshifts)")
    report.save(args.out)


def one_fit(name, row, seed, quick, per_class, epochs, redshifts):
    """Macro F1 of one row and seed on validation data, by phase."""
    import torch

    torch.set_num_threads(1)
    X_train, y_train, X_val, y_val = load(name, quick, seed, per_class, validation=True,
                                          redshifts=redshifts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if row in ROWS:
            model = default_pipeline(max_epochs=epochs, random_state=seed, **ROWS[row])
            model.fit(X_train, y_train)
            by_phase = gru_scores(model, X_val, y_val)
            return {d: by_phase[d]["f1_macro"] for d in PHASES}
        out = {}
        for day in PHASES:
            model = features_pipeline(tuned=True, random_state=seed)
            model.fit(cut(X_train, day), y_train)
            out[day] = scores(y_val, model.predict_proba(cut(X_val, day)), model.classes_)["f1_macro"]
        return out


def interval(values):
    """Mean and half-width of the 95 % t-interval (nan with one value)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), float("nan")
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)


def print_table(name, table, args, report):
    """Mean [95 % interval] by row and phase, and the paired difference from the defaults."""
    rows = list(dict.fromkeys(row for row, _ in table))
    phases = "".join(f"{('whole' if d is None else f'{d} d'):>30}" for d in PHASES)
    print(f"\n   {name}: macro F1 on validation data, mean ± 95 % half-width over seeds "
          f"{args.seeds}; (paired difference from the defaults)")
    print(f"   {'row':<30}{phases}")
    for row in rows:
        cells = ""
        for day in PHASES:
            values = [table[row, s][day] for s in args.seeds]
            mean, half = interval(values)
            cell = f"{mean:.3f}±{half:.3f}"
            if row != "defaults" and "defaults" in rows:
                diff, dhalf = interval([table[row, s][day] - table["defaults", s][day]
                                        for s in args.seeds])
                cell += f" ({diff:+.3f}±{dhalf:.3f})"
            cells += f"{cell:>30}"
            label = "whole" if day is None else f"{day}d"
            report.add(f"{name} {row} F1 {label} mean", mean, quiet=True)
            report.add(f"{name} {row} F1 {label} half-width", half, quiet=True)
        print(f"   {row:<30}{cells}")
    grus = [r for r in rows if r in ROWS]
    best = max(grus, key=lambda r: np.mean([table[r, s][None] for s in args.seeds]))
    print(f"   highest validation mean on whole light curves: {best}")


if __name__ == "__main__":
    main()
