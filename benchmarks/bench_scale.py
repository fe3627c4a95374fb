"""Training at scale: GRUClassifier.fit on 50,000 simulated ZTF light curves.

What a base model costs before anyone trains one: light curves x epochs per
second of ``GRUClassifier.fit`` (``--batching``, default ``"bucketed"``, with
``--threads`` torch threads) against the plain PyTorch loop (random batches, packed by length),
beside the throughput of the simulator that makes the training set
(``simulate("ztf", n)``) and of the feature baseline
(``LightCurveFeatures().fit(X).transform(X)``), in light curves per second.
One or two epochs are enough: an epoch costs the same every time. Package
and reference alternate, best of ``--repeat`` (default 1: each run is long).

    python benchmarks/bench_scale.py --threads 1            # ~5 min on one quiet core
    python benchmarks/bench_scale.py --threads 1 --quick    # 5,000 light curves, < 1 min
    python benchmarks/bench_scale.py --threads 1 --accuracy # batchings' macro F1, ~5 min

``--accuracy`` compares instead the accuracy of the two batchings: the
default pipeline (``skltransient.recipes.default_pipeline``, with
``validation_fraction=0.1``) trained with ``batching="random"`` and
``"bucketed"`` on the same stratified 80/20 split of
``simulate_base(--per-class, 0)``, for ``--seeds`` seeds from ``--seed``
(split and network), with the macro F1 on the held-out 20 %, the epochs
trained and the time.
"""

import time

import numpy as np
import torch
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder

import _common as c
from skltransient import GRUClassifier
from skltransient._experiment import simulate_base
from skltransient.datasets import simulate
from skltransient.features import LightCurveFeatures
from skltransient.recipes import default_pipeline


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="light curves (default 50,000; 5,000 quick)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--batching", choices=("bucketed", "random"), default="bucketed")
    p.add_argument("--accuracy", action="store_true", help="batchings' macro F1 instead")
    p.add_argument("--per-class", type=int, default=100, help="with --accuracy")
    p.add_argument("--seeds", type=int, default=3,
                   help="with --accuracy: seeds --seed, --seed + 1, ...")
    p.add_argument("--max-epochs", type=int, default=30, help="with --accuracy")
    args = p.parse_args()
    if args.accuracy:
        return accuracy(args)
    n = args.n or (5_000 if args.quick else 50_000)
    report = c.Report("Training at scale", c.setup(args), n=n, epochs=args.epochs,
                      batch_size=args.batch_size, repeat=args.repeat or 1)

    start = time.perf_counter()
    data = simulate("ztf", n, random_state=args.seed)
    report.add("simulate('ztf', n)", n / (time.perf_counter() - start), "lc/s")
    lc, y = data.lightcurves, data.target
    report.note(f"data: {c.describe(lc)}")

    start = time.perf_counter()
    LightCurveFeatures().fit(lc).transform(lc)
    report.add("LightCurveFeatures fit + transform", n / (time.perf_counter() - start), "lc/s")

    start = time.perf_counter()
    _, X = c.preprocess(lc, args.max_obs)
    report.add("padding + normalisation (fit_transform)", n / (time.perf_counter() - start), "lc/s")

    y_encoded = LabelEncoder().fit_transform(y)
    n_classes = int(y_encoded.max()) + 1
    threads = torch.get_num_threads()

    def package():
        return GRUClassifier(max_epochs=args.epochs, batch_size=args.batch_size,
                             batching=args.batching, random_state=args.seed,
                             n_threads=threads).fit(X, y)

    def reference():
        module = c.reference_module(X.values.shape[2], X.metadata.shape[1], n_classes, args.seed)
        return c.reference_fit(module, X, y_encoded, batch_size=args.batch_size,
                               epochs=args.epochs, class_weight=c.balanced_weights(
                                   y_encoded, n_classes), seed=args.seed)

    every = max(1, n // (2 * args.batch_size))  # warm-up on two batches: torch's first call is slow
    GRUClassifier(max_epochs=1, batching=args.batching, n_threads=threads).fit(X[::every],
                                                                               y[::every])
    best, _ = c.interleaved({"package": package, "reference": reference},
                            repeat=args.repeat or 1, warmup=0)
    rate = {name: n * args.epochs / seconds for name, seconds in best.items()}
    report.add("plain loop (random batches, packed)", rate["reference"], "lc x epoch/s")
    report.add(f"GRUClassifier.fit (batching={args.batching!r})", rate["package"], "lc x epoch/s")
    report.add("ratio package / plain loop", rate["package"] / rate["reference"], goal=1.5)
    report.add("GRUClassifier epoch of n light curves", n / rate["package"], "s")
    report.save(args.out)


def accuracy(args):
    """Macro F1, epochs and time of the default pipeline with each batching, same splits."""
    report = c.Report("Accuracy of bucketed against random batches", c.setup(args),
                      per_class=args.per_class, seeds=args.seeds, max_epochs=args.max_epochs)
    lc, y = simulate_base(args.per_class, 0)
    scores = {"random": [], "bucketed": []}
    for seed in range(args.seed, args.seed + args.seeds):
        train, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y,
                                       random_state=seed)
        for batching, seed_scores in scores.items():
            model = default_pipeline(max_epochs=args.max_epochs, validation_fraction=0.1,
                                     random_state=seed, batching=batching,
                                     n_threads=torch.get_num_threads())
            start = time.perf_counter()
            model.fit(lc[train], y[train])
            seconds = time.perf_counter() - start
            f1 = f1_score(y[test], model.predict(lc[test]), average="macro")
            clf = model[-1]
            seed_scores.append((f1, clf.n_epochs_, clf.best_epoch_, seconds))
            report.add(f"seed {seed} {batching}: macro F1", f1, note=(
                f"{clf.n_epochs_} epochs (best {clf.best_epoch_}), {seconds:.1f} s, "
                f"{seconds / clf.n_epochs_:.2f} s/epoch"))
    for batching, seed_scores in scores.items():
        f1, epochs, best, seconds = np.array(seed_scores).T
        report.add(f"{batching}: mean macro F1", f1.mean(), note=(
            f"sd {f1.std():.3f}; {epochs.mean():.1f} epochs (best {best.mean():.1f}); "
            f"{seconds.mean():.1f} s; {(seconds / epochs).mean():.2f} s/epoch"))
    report.save(args.out)


if __name__ == "__main__":
    main()
