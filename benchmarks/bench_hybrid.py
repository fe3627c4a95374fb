"""Ablation of the hybrid network on PLAsTiCC, scored on validation data (never the test split).

The GRU alone, the GRU with the light-curve statistics in its metadata branch
(standardised, or compressed by arcsinh first; metadata branch of 16 or 64),
and the tuned feature baseline, trained on the training part of
``bench_accuracy.py``'s PLAsTiCC split and scored on a held-out 30 % of it
(``load(..., validation=True)``: the test split is never read). Each variant
is repeated with seeds 0, 1, ... (model seeds; the split is seed 0's), one
torch thread a process; the table gives the mean, the lowest and the highest.

    python benchmarks/bench_hybrid.py --seeds 3 --jobs 2            # quick split (980 / 420)
    python benchmarks/bench_hybrid.py --variants hybrid features --seeds 3
"""

import time
import warnings

import numpy as np
from joblib import Parallel, delayed

import _common as c
from bench_accuracy import load, scores
from skltransient.recipes import default_pipeline, features_pipeline, hybrid_pipeline

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
    "features": ("features + boosting, tuned",
                 lambda epochs, seed: features_pipeline(tuned=True, random_state=seed)),
}


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=30, help="most GRU epochs (bench_accuracy --quick's)")
    p.add_argument("--full", action="store_true", help="the whole 70/30 split instead of the quick one")
    p.add_argument("--jobs", type=int, default=1, help="processes, one torch thread each")
    args = p.parse_args()
    report = c.Report("Hybrid network ablation (validation)", c.setup(args), seeds=args.seeds)
    tasks = [(name, args.seed + k) for name in args.variants for k in range(args.seeds)]
    results = Parallel(n_jobs=args.jobs)(
        delayed(one)(name, seed, args.epochs, not args.full) for name, seed in tasks)
    print(f"\n   PLAsTiCC ({'full' if args.full else 'quick'} split), macro F1 on validation "
          f"data, {args.seeds} seeds: mean (lowest - highest)")
    for name in args.variants:
        f1 = np.array([r["f1_macro"] for (n, _), r in zip(tasks, results) if n == name])
        seconds = np.mean([r["seconds"] for (n, _), r in zip(tasks, results) if n == name])
        print(f"   {VARIANTS[name][0]:<58}{f1.mean():.3f} ({f1.min():.3f} - {f1.max():.3f})"
              f"   {seconds:.0f} s a fit")
        report.add(f"{name} F1 mean", float(f1.mean()), quiet=True)
    report.save(args.out)


def one(name, seed, epochs, quick):
    """Fit one variant with one seed on the training part; score it on validation data."""
    import torch

    torch.set_num_threads(1)
    X_train, y_train, X_val, y_val = load("plasticc", quick, 0, validation=True)
    model = VARIANTS[name][1](epochs, seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(X_train, y_train)
        out = scores(y_val, model.predict_proba(X_val), model.classes_)
    out["seconds"] = time.perf_counter() - start
    return out


if __name__ == "__main__":
    main()
