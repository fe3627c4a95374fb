"""Ablation of the hybrid network on PLAsTiCC, scored on validation data (never the test split).

The GRU alone, the GRU with the light-curve statistics in its metadata branch
(standardised, or compressed by arcsinh first; metadata branch of 16 or 64),
and the tuned feature baseline, trained on the training part of
``bench_accuracy.py``'s PLAsTiCC split and scored on a held-out 30 % of it
(``load(..., validation=True)``: the test split is never read). Each variant
is repeated with seeds 0, 1, ... (model seeds; the split is seed 0's), one
torch thread a process; the table gives the mean, the lowest and the highest, then each
variant minus the first, paired by seed, with its 95 % interval.

    python benchmarks/bench_hybrid.py --seeds 3 --jobs 2            # quick split (980 / 420)
    python benchmarks/bench_hybrid.py --variants hybrid hybrid-prefixes features --phases 2 5 10
                                                                     # early: the GRUs at each
                                                                     # day (predict_proba_at), the
                                                                     # baseline trained at each

The ``gru-*`` and ``hybrid-*`` variants add one input for long, sparse, multi-season light curves
each (the log gap channel, each step's signal-to-noise, the sequence loss from the trigger) to the
GRU or to the hybrid:

    python benchmarks/bench_hybrid.py --variants gru gru-gap gru-snr gru-trigger hybrid hybrid-gap \
        hybrid-snr hybrid-trigger features --seeds 3 --jobs 2 --phases 2 10

``gru-nights`` gives the GRU one step a night (each band's mean flux that night) instead of one
an observation, scaled by the running peak (``snr`` needs one flux channel a step), beside
``gru-running-peak``, the same scaling with one step an observation:

    python benchmarks/bench_hybrid.py --variants gru gru-running-peak gru-nights --seeds 3 --jobs 2

``gru-mean`` and ``gru-attention`` (and ``hybrid-*``) read the GRU's states pooled over the
steps so far beside its last state (``GRUClassifier(pooling=)``):

    python benchmarks/bench_hybrid.py --variants gru gru-mean gru-attention hybrid \
        hybrid-attention --seeds 3 --jobs 2 --phases 2 10

``hybrid-periodogram`` and ``features-periodogram`` add the periodogram's periods and
significances (``LightCurveFeatures(periodogram=True)``) to the hybrid's statistics and to the
baseline's features:

    python benchmarks/bench_hybrid.py --variants hybrid hybrid-periodogram features \
        features-periodogram --seeds 3 --jobs 2

``hybrid-prefixes`` trains the hybrid on the light curves and their copies cut at 2, 5, 10 and
20 days after trigger (``early.with_prefixes``), for a third of the epochs (each epoch is five
times longer).
"""

import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.ensemble import VotingClassifier

import _common as c
from bench_accuracy import load, scores
from skltransient.early import predict_proba_at, with_prefixes
from skltransient.recipes import default_pipeline, features_pipeline, hybrid_pipeline
from skltransient.transfer import mean_interval

PREFIX_DAYS = (2, 5, 10, 20)

#: name -> (description, factory of the unfitted model from epochs and seed)
VARIANTS = {
    "gru": ("GRU (default_pipeline)",
            lambda epochs, seed: default_pipeline(max_epochs=epochs, random_state=seed)),
    "standardised16": ("GRU + statistics, standardised, metadata branch 16",
                       lambda epochs, seed: hybrid_pipeline(metadata_size=16, max_epochs=epochs,
                                                            random_state=seed).set_params(
                           metadatascaler__compress="none")),
    "arcsinh16": ("GRU + statistics, arcsinh, branch 16",
                  lambda epochs, seed: hybrid_pipeline(metadata_size=16, max_epochs=epochs,
                                                       random_state=seed)),
    "hybrid": ("GRU + statistics, arcsinh, branch 64 (hybrid_pipeline)",
               lambda epochs, seed: hybrid_pipeline(max_epochs=epochs, random_state=seed)),
    "hybrid-seq0": ("hybrid_pipeline, sequence_loss=0",
                    lambda epochs, seed: hybrid_pipeline(max_epochs=epochs, random_state=seed,
                                                         sequence_loss=0.0)),
    "hybrid-prefixes": ("hybrid_pipeline trained with prefixes (2, 5, 10, 20 d)",
                        lambda epochs, seed: hybrid_pipeline(max_epochs=max(1, epochs // 3),
                                                             random_state=seed)),
    "features": ("features + boosting, tuned (at each phase)",
                 lambda epochs, seed: features_pipeline(tuned=True, random_state=seed)),
}


#: Inputs for long, sparse, multi-season light curves (issue 24, item 2), added one at a time to
#: the GRU ("gru-<name>") and to the hybrid ("hybrid-<name>"): name -> (description, parameters).
INPUTS = {
    "gap": ("+ log gap channel (gap_channel=True)", {"lightcurvepadder__gap_channel": True}),
    "snr": ("arcsinh(flux / flux_err) per step (FluxNormalizer('snr'))",
            {"fluxnormalizer__method": "snr"}),
    "trigger": ("sequence loss from the trigger", {"gruclassifier__sequence_loss_from": "trigger"}),
    "snr-trigger": ("snr and the sequence loss from the trigger",
                    {"fluxnormalizer__method": "snr", "gruclassifier__sequence_loss_from": "trigger"}),
    "running-peak": ("one running peak for all bands (FluxNormalizer('running_peak'))",
                     {"fluxnormalizer__method": "running_peak"}),
    "mean": ("+ the running mean of its states (pooling='mean')", {"gruclassifier__pooling": "mean"}),
    "attention": ("+ attention over its states so far (pooling='attention')",
                  {"gruclassifier__pooling": "attention"}),
    # 'snr' scales one flux channel a step; a night's step has one per band.
    "nights": ("one step a night, multi-band (LightCurvePadder('nights'), running_peak)",
               {"lightcurvepadder__representation": "nights",
                "fluxnormalizer__method": "running_peak"}),
}
#: The periodogram's periods and significances (issue 24, item 1) among the statistics of the
#: hybrid and of the baseline.
VARIANTS["hybrid-periodogram"] = (
    "hybrid, + periodogram (LightCurveFeatures(periodogram=True))",
    lambda epochs, seed: hybrid_pipeline(max_epochs=epochs, random_state=seed).set_params(
        lightcurvepadder__features__periodogram=True))
VARIANTS["features-periodogram"] = (
    "features + boosting, tuned, + periodogram",
    lambda epochs, seed: features_pipeline(tuned=True, random_state=seed).set_params(
        lightcurvefeatures__periodogram=True))
#: The network and the baseline averaged (scikit-learn's soft VotingClassifier): does the network
#: carry what the features lack?
for _prefix, _recipe in (("gru", default_pipeline), ("hybrid", hybrid_pipeline)):
    VARIANTS[f"vote-{_prefix}"] = (
        f"mean of {'GRU' if _prefix == 'gru' else 'hybrid'} and features + boosting probabilities",
        lambda epochs, seed, recipe=_recipe: VotingClassifier(
            [("network", recipe(max_epochs=epochs, random_state=seed)),
             ("features", features_pipeline(tuned=True, random_state=seed))], voting="soft"))
for _prefix, _recipe in (("gru", default_pipeline), ("hybrid", hybrid_pipeline)):
    for _name, (_text, _params) in INPUTS.items():
        VARIANTS[f"{_prefix}-{_name}"] = (
            f"{'GRU' if _prefix == 'gru' else 'hybrid'}, {_text}",
            lambda epochs, seed, recipe=_recipe, params=_params: recipe(
                max_epochs=epochs, random_state=seed).set_params(**params))


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=30, help="most GRU epochs (bench_accuracy --quick's)")
    p.add_argument("--full", action="store_true", help="the whole 70/30 split instead of the quick one")
    p.add_argument("--jobs", type=int, default=1, help="processes, one torch thread each")
    p.add_argument("--phases", nargs="*", type=float, default=[],
                   help="days after trigger scored besides whole light curves")
    args = p.parse_args()
    report = c.Report("Hybrid network ablation (validation)", c.setup(args), seeds=args.seeds)
    tasks = [(name, args.seed + k) for name in args.variants for k in range(args.seeds)]
    results = Parallel(n_jobs=args.jobs)(
        delayed(one)(name, seed, args.epochs, not args.full, args.phases) for name, seed in tasks)
    print(f"\n   PLAsTiCC ({'full' if args.full else 'quick'} split), macro F1 on validation "
          f"data, {args.seeds} seeds: mean (lowest - highest)")
    print(f"   {'':<58}" + "".join(f"{'all' if d is None else f'{d:g} d':>22}"
                                  for d in [None, *args.phases]))
    for name in args.variants:
        rows = [r for (n, _), r in zip(tasks, results) if n == name]
        cells = ""
        for day in [None, *args.phases]:
            f1 = np.array([r[day] for r in rows])
            cells += f"{f1.mean():>7.3f} ({f1.min():.3f} - {f1.max():.3f})"
            report.add(f"{name} F1 {'all' if day is None else f'{day:g} d'} mean",
                       float(f1.mean()), quiet=True)
        seconds = np.mean([r["seconds"] for r in rows])
        print(f"   {VARIANTS[name][0]:<58}{cells}   {seconds:.0f} s")
    reference = args.variants[0]
    if len(args.variants) > 1 and args.seeds > 1:
        # every variant against the first, seed by seed (the same model seeds and split)
        print(f"\n   minus '{reference}', paired by seed: mean [95 % interval]")
        scores = {name: np.array([[r[day] for day in [None, *args.phases]]
                                  for (n, _), r in zip(tasks, results) if n == name])
                  for name in args.variants}
        for name in args.variants[1:]:
            cells = ""
            for j, day in enumerate([None, *args.phases]):
                mean, low, high = mean_interval(scores[name][:, j] - scores[reference][:, j])
                cells += f"{mean:>+8.3f} [{low:+.3f}, {high:+.3f}]"
                report.add(f"{name} minus {reference} F1 {'all' if day is None else f'{day:g} d'}",
                           float(mean), quiet=True)
            print(f"   {name:<30}{cells}")
    report.save(args.out)


def one(name, seed, epochs, quick, phases):
    """Fit one variant with one seed on the training part; macro F1 on validation data by phase.

    The baseline is trained anew at each phase on the light curves cut there; the networks are
    trained once and predict each phase with ``predict_proba_at``.
    """
    import torch

    torch.set_num_threads(1)
    X_train, y_train, X_val, y_val = load("plasticc", quick, 0, validation=True)
    start = time.perf_counter()
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if name.startswith("features"):
            for day in [None, *phases]:
                cut = (lambda X: X) if day is None else (
                    lambda X: X.truncate(days_since_trigger=day))
                model = VARIANTS[name][1](epochs, seed).fit(cut(X_train), y_train)
                out[day] = scores(y_val, model.predict_proba(cut(X_val)), model.classes_)["f1_macro"]
        else:
            model = VARIANTS[name][1](epochs, seed)
            if name == "hybrid-prefixes":
                model.fit(*with_prefixes(X_train, y_train, PREFIX_DAYS))
            else:
                model.fit(X_train, y_train)
            classes = model.classes_
            out[None] = scores(y_val, model.predict_proba(X_val), classes)["f1_macro"]
            at = predict_proba_at(model, X_val, list(phases)) if phases else None
            for j, day in enumerate(phases):
                proba = np.nan_to_num(at[:, j], nan=1 / len(classes))
                out[day] = scores(y_val, proba, classes)["f1_macro"]
    out["seconds"] = time.perf_counter() - start
    return out


if __name__ == "__main__":
    main()
