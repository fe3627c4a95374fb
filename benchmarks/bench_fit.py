"""GRUClassifier.fit against the plain PyTorch training loops a user would write.

All train the same TransientGRU (GRUClassifier's default sizes) on the same
padded light curves with the same batch size, Adam and class-weighted
cross-entropy, with the same number of torch threads; runs alternate so that
all see the same machine load. GRUClassifier runs with its defaults
(random batches, packed, float32) and with ``batching="bucketed"``
(length-bucketed batches, unpacked GRU). The two references draw random
batches: (a) packed by length, (b) padded and unpacked, the state read at
each length. Prints light curves per second per epoch and the ratio of each
package run to each reference (goal >= 1.5).

    python benchmarks/bench_fit.py            # about two minutes on 2 quiet cores
    python benchmarks/bench_fit.py --quick    # under a minute
    python benchmarks/bench_fit.py --profile  # cProfile of one package epoch
    python benchmarks/bench_fit.py --experiments  # reference-loop variants
"""

import cProfile
import io
import pstats

import torch
from sklearn.preprocessing import LabelEncoder

import _common as c
from skltransient import GRUClassifier


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="training light curves")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--device", default="cpu")
    p.add_argument("--profile", action="store_true", help="cProfile one package fit")
    p.add_argument("--experiments", action="store_true",
                   help="reference-loop variants: threads, unpacked GRU, length buckets, bf16")
    args = p.parse_args()
    n = args.n or (512 if args.quick else 4096)
    epochs = args.epochs or 1
    repeat = args.repeat or (2 if args.quick else 3)
    report = c.Report("GRUClassifier.fit vs plain PyTorch loop", c.setup(args), n=n, epochs=epochs,
                      batch_size=args.batch_size, repeat=repeat, device=args.device)

    lc, y, source = c.load_lightcurves(n, source=args.data, max_obs=args.max_obs,
                                       random_state=args.seed)
    report.note(f"data: {source}: {c.describe(lc)}")
    _, X = c.preprocess(lc, args.max_obs)
    y_encoded = LabelEncoder().fit_transform(y)
    n_classes = int(y_encoded.max()) + 1
    weights = c.balanced_weights(y_encoded, n_classes)

    threads = torch.get_num_threads()

    def package(**params):
        return GRUClassifier(max_epochs=epochs, batch_size=args.batch_size, random_state=args.seed,
                             device=args.device, n_threads=threads, **params).fit(X, y)

    def reference(**variant):
        module = c.reference_module(X.values.shape[2], X.metadata.shape[1], n_classes, args.seed,
                                    args.device)
        return c.reference_fit(module, X, y_encoded, batch_size=args.batch_size, epochs=epochs,
                               class_weight=weights, device=args.device, seed=args.seed, **variant)

    every = max(1, n // (2 * args.batch_size))
    warm = GRUClassifier(max_epochs=1, batch_size=args.batch_size, device=args.device,
                         n_threads=threads)
    warm.fit(X[::every], y[::every])
    runs = {"defaults": package, "bucketed": lambda: package(batching="bucketed"),
            "packed": reference, "unpacked": lambda: reference(forward=c.unpacked_forward)}
    best, results = c.interleaved(runs, repeat=repeat, warmup=0, device=args.device)
    rate = {name: n * epochs / seconds for name, seconds in best.items()}
    report.add("(a) reference: random batches, packed", rate["packed"], "lc/s/epoch")
    report.add("(b) reference: random, unpacked, read at length", rate["unpacked"], "lc/s/epoch")
    for name, label in (("defaults", "(defaults)"), ("bucketed", '(batching="bucketed")')):
        report.add(f"GRUClassifier.fit {label}", rate[name], "lc/s/epoch")
        report.add(f"ratio {name} / (a) packed", rate[name] / rate["packed"], goal=1.5)
        report.add(f"ratio {name} / (b) unpacked", rate[name] / rate["unpacked"], goal=1.5)
    epoch_seconds = results["defaults"].net_.history[:, "dur"]
    report.add("GRUClassifier epoch alone (skorch 'dur')", n / min(epoch_seconds), "lc/s/epoch",
               note="excludes set-up in fit")

    if args.profile:
        profile_fit(package, report)
    if args.experiments:
        experiments(reference, report, n * epochs, repeat, args)
        package_variants(package, report, n * epochs, repeat, args)
    report.save(args.out)


def profile_fit(package, report):
    """Print where one package fit spends its time, grouped by library."""
    profiler = cProfile.Profile()
    profiler.enable()
    package()
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(15)
    print(stream.getvalue())
    total = sum(entry[2] for entry in stats.stats.values())
    by_library = {}
    for (filename, _, _), entry in stats.stats.items():
        library = next((name for name in ("skorch", "skltransient", "torch", "sklearn", "numpy")
                        if f"/{name}/" in filename), "other")
        if filename == "~":
            library = "builtins (torch C++ and NumPy kernels)"
        by_library[library] = by_library.get(library, 0.0) + entry[2]
    for library, seconds in sorted(by_library.items(), key=lambda item: -item[1]):
        report.add(f"profile: own time in {library}", 100 * seconds / total, "%")


def experiments(reference, report, n_seen, repeat, args):
    """Reference-loop variants: what the package could gain by changing its training path."""
    variants = {
        "reference (packed, random batches)": {},
        "unpacked GRU + gather at length": {"forward": c.unpacked_forward},
        "length-bucketed batches": {"bucketed": True},
        "bucketed + unpacked": {"bucketed": True, "forward": c.unpacked_forward},
    }
    if c.bf16_supported(args.device):
        variants["bucketed + unpacked, bf16 autocast"] = {"bucketed": True,
                                                          "forward": c.unpacked_forward,
                                                          "precision": "bf16"}
    best, _ = c.interleaved({name: (lambda v=v: reference(**v)) for name, v in variants.items()},
                            repeat=repeat, warmup=0, device=args.device)
    base = best["reference (packed, random batches)"]
    for name, seconds in best.items():
        report.add(f"exp: {name}", n_seen / seconds, "lc/s/epoch", note=f"x{base / seconds:.2f}")
    threads = torch.get_num_threads()
    timings = {}
    for count in sorted({1, threads}):
        torch.set_num_threads(count)
        timings[count], _ = c.best_of(reference, repeat=repeat, warmup=0)
    torch.set_num_threads(threads)
    for count, seconds in timings.items():
        report.add(f"exp: reference with {count} torch thread(s)", n_seen / seconds, "lc/s/epoch")


def package_variants(package, report, n_seen, repeat, args):
    """GRUClassifier's own options: batching="bucketed", with and without precision="bf16"."""
    variants = {"defaults": {}, 'batching="bucketed"': {"batching": "bucketed"}}
    if c.bf16_supported(args.device):
        variants['batching="bucketed", precision="bf16"'] = {"batching": "bucketed",
                                                             "precision": "bf16"}
    best, _ = c.interleaved({name: (lambda v=v: package(**v)) for name, v in variants.items()},
                            repeat=repeat, warmup=0, device=args.device)
    for name, seconds in best.items():
        report.add(f"exp: GRUClassifier {name}", n_seen / seconds, "lc/s/epoch",
                   note=f"x{best['defaults'] / seconds:.2f}")


if __name__ == "__main__":
    main()
