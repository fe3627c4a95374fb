"""The whole pipeline, LightCurves to probabilities, on 100,000 light curves.

LightCurvePadder -> FluxNormalizer -> MetadataScaler -> GRUClassifier (default
sizes, fitted briefly on a subset: prediction speed does not depend on the
weights), called as one scikit-learn Pipeline. Reports light curves per
second (goal >= 8,000 on 2 CPU cores for up to 100 observations), the share
of preprocessing (goal under a fifth), the ratio to plain batched inference
on the already padded tensors (the network alone), and peak memory (goal
under 1 GiB; ``bench_memory.py`` checks that it does not grow with n).

Peak memory is measured two ways. ``peak RSS growth``: the process's resident
set high-water mark is reset just before the call (Linux
``/proc/self/clear_refs``) and read after it, so the number is the call's own
peak growth over what was resident before, torch allocations included.
``tracemalloc peak``: the peak of the allocations Python's tracemalloc sees,
which include NumPy arrays but not torch's own buffers, in a separate run
because tracing slows the call.

    python benchmarks/bench_pipeline.py              # a few minutes on 2 cores
    python benchmarks/bench_pipeline.py --quick      # 10,000 light curves
    python benchmarks/bench_pipeline.py --profile    # memory and time of each step
    python benchmarks/bench_pipeline.py --experiments  # smaller batches, chunks, bf16
"""

import time

import numpy as np
import torch
from sklearn.pipeline import make_pipeline

import _common as c
from skltransient import GRUClassifier


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="light curves to classify")
    p.add_argument("--profile", action="store_true", help="time and memory of each step")
    p.add_argument("--experiments", action="store_true",
                   help="smaller prediction batches, chunked prediction, bf16: speed and memory")
    args = p.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    repeat = args.repeat or 2
    report = c.Report("Pipeline: LightCurves -> probabilities", c.setup(args), n=n, repeat=repeat,
                      max_length=args.max_obs)

    start = time.perf_counter()
    lc, y, source = c.load_lightcurves(n, source=args.data, max_obs=args.max_obs,
                                       random_state=args.seed)
    report.note(f"data: {source}: {c.describe(lc)} (made in {time.perf_counter() - start:.0f} s)")
    model = fitted_pipeline(lc, y, args)
    model.predict_proba(lc[:2000])  # warm-up

    seconds, peak = np.inf, 0
    for _ in range(repeat):
        with c.peak_rss() as memory:
            start = time.perf_counter()
            proba = model.predict_proba(lc)
            seconds = min(seconds, time.perf_counter() - start)
        peak = max(peak, memory["peak_delta"])
    padded_bytes = stage_timings(model, lc, report, seconds, repeat)
    report.add("peak RSS growth", peak / 2**20, "MiB", goal=1024, higher_is_better=False,
               note=f"{peak / padded_bytes:.1f}x the padded array; {memory['method']}; "
                    f"bench_memory.py shows it does not grow with n")
    traced = c.traced_peak(lambda: model.predict_proba(lc))
    report.add("tracemalloc peak / padded array", traced / padded_bytes, "x", goal=2.0,
               higher_is_better=False, note=f"{traced / 2**20:,.0f} MiB (NumPy + Python only)")
    if args.profile:
        step_memory(model, lc, report, padded_bytes)
    if args.experiments:
        experiments(model, lc, report, padded_bytes, seconds, proba)
    report.save(args.out)


def fitted_pipeline(lc, y, args):
    """The four-step pipeline, fitted for one epoch on about 1,000 light curves."""
    every = max(1, len(lc) // 1000)
    model = make_pipeline(*c.preprocessing(args.max_obs), GRUClassifier(
        max_epochs=1, random_state=args.seed, n_threads=torch.get_num_threads()))
    return model.fit(lc[::every], y[::every])


def stage_timings(model, lc, report, seconds, repeat):
    """Time each step on its own and the network alone; report rates and shares."""
    padder, normalizer, scaler, clf = (step for _, step in model.steps)
    # The pipeline pads batch by batch inside predict_proba (the padder's output is
    # deferred); the eager steps, timed on everything at once, are what that costs.
    pad_s, padded = c.best_of(lambda: padder._pad(lc), repeat=3, warmup=0)
    norm_s, normalized = c.best_of(lambda: normalizer._transform_padded(padded), repeat=3,
                                   warmup=0)
    scale_s, X = c.best_of(lambda: scaler._transform_padded(normalized), repeat=3, warmup=0)
    best, _ = c.interleaved({
        "package": lambda: clf.predict_proba(X),
        "reference": lambda: c.reference_proba(clf.module_, X, batch_size=clf._predict_batch_size()),
    }, repeat=repeat, warmup=0)
    n = len(lc)
    preprocessing = pad_s + norm_s + scale_s
    report.add("pipeline.predict_proba", n / seconds, "lc/s", goal=8000)
    report.add("  padding (eager, all at once)", pad_s, "s")
    report.add("  FluxNormalizer (eager)", norm_s, "s")
    report.add("  MetadataScaler (eager)", scale_s, "s")
    report.add("  GRUClassifier.predict_proba (padded input)", n / best["package"], "lc/s")
    report.add("reference: plain inference on padded tensors", n / best["reference"], "lc/s")
    report.add("ratio pipeline / plain inference", best["reference"] / seconds)
    report.add("preprocessing share of total", preprocessing / seconds, "", goal=0.2,
               higher_is_better=False, note=f"{preprocessing:.2f} s of {seconds:.1f} s")
    report.note(f"padded float32 array: {padded.values.shape}, "
                f"{padded.values.nbytes / 2**20:,.0f} MiB")
    return padded.values.nbytes


def step_memory(model, lc, report, padded_bytes):
    """tracemalloc peak of each step on its own, relative to the padded array."""
    padder, normalizer, scaler, clf = (step for _, step in model.steps)
    padded = padder.transform(lc)
    normalized = normalizer.transform(padded)
    X = scaler.transform(normalized)
    for name, fn in (("LightCurvePadder", lambda: padder.transform(lc)),
                     ("FluxNormalizer", lambda: normalizer.transform(padded)),
                     ("MetadataScaler", lambda: scaler.transform(normalized)),
                     ("GRUClassifier.predict_proba", lambda: clf.predict_proba(X))):
        report.add(f"profile: tracemalloc peak of {name}", c.traced_peak(fn) / padded_bytes,
                   "x padded", note="allocated inside the step")
    blocked = normalize_in_blocks(normalizer, padded)
    seconds, _ = c.best_of(lambda: normalize_in_blocks(normalizer, padded), repeat=3, warmup=0)
    whole, _ = c.best_of(lambda: normalizer.transform(padded), repeat=3, warmup=0)
    report.add("exp: FluxNormalizer in blocks of 8,192: tracemalloc peak",
               c.traced_peak(lambda: normalize_in_blocks(normalizer, padded)) / padded_bytes,
               "x padded", note=f"{seconds:.3f} s vs {whole:.3f} s whole; identical output: "
                                f"{np.array_equal(blocked.values, normalized.values)}")


def normalize_in_blocks(normalizer, padded, block=8192):
    """FluxNormalizer.transform block by block into one preallocated output array."""
    values = np.empty_like(padded.values)
    for start in range(0, len(padded), block):
        values[start:start + block] = normalizer.transform(padded[start:start + block]).values
    return padded.replace(values=values)


def experiments(model, lc, report, padded_bytes, whole_seconds, whole_proba, chunk=10_000):
    """Smaller prediction batches, chunk-by-chunk prediction and bf16: speed and peak memory."""
    clf = model[-1]
    default = clf._predict_batch_size()

    def whole():
        return model.predict_proba(lc)

    def chunks():
        return np.concatenate([model.predict_proba(lc[start:start + chunk])
                               for start in range(0, len(lc), chunk)])

    def bf16():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return model.predict_proba(lc)

    runs = [(4096, "predict_batch_size=4096", whole),
            (512, "predict_batch_size=512", whole),
            (default, f"chunks of {chunk:,}", chunks),
            (512, f"chunks of {chunk:,}, predict_batch_size=512", chunks)]
    if c.bf16_supported("cpu"):
        runs.append((default, f"bf16 autocast around predict_proba, batch {default}", bf16))
    for batch, name, fn in runs:
        clf.set_params(predict_batch_size=batch)
        with c.peak_rss() as memory:
            start = time.perf_counter()
            proba = fn()
            seconds = time.perf_counter() - start
        report.add(f"exp: {name}", len(lc) / seconds, "lc/s",
                   note=f"x{whole_seconds / seconds:.2f} of the default's speed, max prob diff "
                        f"{np.abs(proba - whole_proba).max():.1e}")
        report.add(f"exp: {name}: peak RSS growth / padded", memory["peak_delta"] / padded_bytes,
                   "x", goal=2.0, higher_is_better=False)
    clf.set_params(predict_batch_size=default)


if __name__ == "__main__":
    main()
