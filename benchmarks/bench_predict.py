"""GRUClassifier.predict_proba against plain batched inference with the same module.

The reference runs the fitted classifier's own TransientGRU over consecutive
batches of the same size under ``torch.inference_mode`` and takes the
softmax; runs alternate so that both see the same machine load. Prints light
curves per second and their ratio (goal >= 0.8), and checks that both give
the same probabilities.

    python benchmarks/bench_predict.py                # about a minute on 2 quiet cores
    python benchmarks/bench_predict.py --quick
    python benchmarks/bench_predict.py --profile      # cProfile + torch profiler
    python benchmarks/bench_predict.py --experiments  # batch size, sorting, packing, threads, bf16
"""

import cProfile
import io
import pstats

import numpy as np
import torch

import _common as c
from skltransient import GRUClassifier


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="light curves to predict")
    p.add_argument("--batch-size", type=int, default=GRUClassifier()._predict_batch_size(),
                   help="predict_batch_size (the package's default)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--experiments", action="store_true")
    args = p.parse_args()
    n = args.n or (4096 if args.quick else 16384)
    repeat = args.repeat or (2 if args.quick else 3)
    report = c.Report("GRUClassifier.predict_proba vs plain batched inference", c.setup(args), n=n,
                      batch_size=args.batch_size, repeat=repeat, device=args.device)

    lc, y, source = c.load_lightcurves(n, source=args.data, max_obs=args.max_obs,
                                       random_state=args.seed)
    report.note(f"data: {source}: {c.describe(lc)}")
    _, X = c.preprocess(lc, args.max_obs)
    clf = fitted_classifier(X, y, args)

    def package():
        return clf.predict_proba(X)

    def reference():
        return c.reference_proba(clf.module_, X, batch_size=args.batch_size, device=args.device)

    best, results = c.interleaved({"package": package, "reference": reference}, repeat=repeat,
                                  device=args.device)
    report.add("reference (plain batches)", n / best["reference"], "lc/s")
    report.add("GRUClassifier.predict_proba", n / best["package"], "lc/s")
    report.add("ratio package / reference", best["reference"] / best["package"], goal=0.8)
    report.add("max |package - reference| probability",
               float(np.abs(results["package"] - results["reference"]).max()), goal=1e-5,
               higher_is_better=False)

    if args.profile:
        profile_predict(package, report)
    if args.experiments:
        experiments(clf, X, report, repeat, args)
    report.save(args.out)


def fitted_classifier(X, y, args):
    """A GRUClassifier with default sizes fitted briefly; weights do not change the speed."""
    every = max(1, len(X) // 512)
    return GRUClassifier(max_epochs=1, predict_batch_size=args.batch_size, random_state=args.seed,
                         device=args.device, n_threads=torch.get_num_threads()
                         ).fit(X[::every], y[::every])


def profile_predict(package, report):
    """cProfile by function, then the torch operators that take the time."""
    profiler = cProfile.Profile()
    profiler.enable()
    package()
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(12)
    print(stream.getvalue())
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        package()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12)
    print(table)
    total = sum(event.self_cpu_time_total for event in prof.key_averages())
    for event in sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:5]:
        report.add(f"torch profile: {event.key}", 100 * event.self_cpu_time_total / total, "%")


def experiments(clf, X, report, repeat, args):
    """Variants of the reference: what the package's prediction path could change."""
    n = min(len(X), 4096)
    X = X[:n]
    module, device, size = clf.module_, args.device, args.batch_size
    variants = {
        "plain (consecutive batches, packed)": {},
        "length-sorted batches (the package's order)": {"sort": True},
        "sorted + trimmed to batch max": {"sort": True, "trim": True},
        "sorted + trimmed + unpacked GRU": {"sort": True, "trim": True,
                                            "forward": c.unpacked_forward},
        "sorted + trimmed, torch.no_grad": {"sort": True, "trim": True, "grad_mode": "no_grad"},
    }
    if c.bf16_supported(device):
        variants["sorted + trimmed, bf16 autocast"] = {"sort": True, "trim": True,
                                                       "precision": "bf16"}
        variants["sorted + trimmed + unpacked, bf16"] = {"sort": True, "trim": True,
                                                         "forward": c.unpacked_forward,
                                                         "precision": "bf16"}
    for batch in (256, 1024, 16384):
        if batch != size:
            variants[f"sorted + trimmed, batch {batch}"] = {"sort": True, "trim": True,
                                                            "batch_size": batch}
    functions = {name: (lambda v=v: c.reference_proba(module, X, **{"batch_size": size,
                                                                     "device": device, **v}))
                 for name, v in variants.items()}
    best, results = c.interleaved(functions, repeat=repeat, device=device)
    base_name = "plain (consecutive batches, packed)"
    for name, seconds in best.items():
        error = float(np.abs(results[name] - results[base_name]).max())
        report.add(f"exp: {name}", n / seconds, "lc/s",
                   note=f"x{best[base_name] / seconds:.2f}, max prob diff {error:.1e}")
    threads = torch.get_num_threads()
    for count in sorted({1, 2, threads}):
        torch.set_num_threads(count)
        seconds, _ = c.best_of(functions["sorted + trimmed to batch max"], repeat=repeat)
        report.add(f"exp: sorted + trimmed, {count} torch thread(s)", n / seconds, "lc/s")
    torch.set_num_threads(threads)


if __name__ == "__main__":
    main()
