"""Peak memory of prediction at growing sizes, and with one very long light curve.

The shipped ``ztf-sims`` pipeline predicts on 100,000, 300,000 and 1,000,000
simulated ZTF light curves (a simulated set of 50,000 repeated with new object
ids, so that making the data does not dominate); the peak resident-set growth
of ``predict_proba`` must stay under 1 GB and not grow with n beyond one
batch. Then one light curve of 10,000 observations joins 5,000 ordinary ones:
it must add no more than its own batch. The padded float32 array that an
eager padding would have made is printed beside each number.

    python benchmarks/bench_memory.py            # about ten minutes on 2 cores
    python benchmarks/bench_memory.py --quick    # 20,000 / 60,000 / 200,000
"""

import time

import numpy as np
import pandas as pd
import torch

import _common as c
from skltransient import LightCurves, pretrained


def tiled(lc, copies):
    """``copies`` copies of ``lc`` with distinct object ids (metadata repeated)."""
    parts = []
    for k in range(copies):
        ids = np.array([f"{k}:{i}" for i in lc.object_ids], dtype=object)
        metadata = lc.metadata.set_axis(pd.Index(ids, name="object_id"))
        parts.append(LightCurves(ids, lc.offsets, lc.time, lc.band, lc.flux, lc.flux_err,
                                 lc.detected, metadata))
    return LightCurves.concatenate(parts)


def measure(model, X, repeat):
    best, peak = np.inf, 0
    for _ in range(repeat):
        with c.peak_rss() as memory:
            start = time.perf_counter()
            model.predict_proba(X)
            best = min(best, time.perf_counter() - start)
        peak = max(peak, memory["peak_delta"])
    return best, peak


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.set_defaults(threads=1)
    args = p.parse_args()
    sizes = (20_000, 60_000, 200_000) if args.quick else (100_000, 300_000, 1_000_000)
    report = c.Report("predict_proba memory", c.setup(args), sizes=sizes)
    model = pretrained.load("ztf-sims")
    model[-1].set_params(n_threads=torch.get_num_threads())  # the benchmark's --threads
    base, _, source = c.load_lightcurves(min(50_000, sizes[0]), source=args.data,
                                         random_state=args.seed)
    report.note(f"data: {source}: {c.describe(base)}, repeated")
    model.predict_proba(base[:2000])  # warm-up
    peaks = {}
    for n in sizes:
        X = tiled(base, -(-n // len(base)))[:n]
        seconds, peak = measure(model, X, args.repeat or 1)
        padded = n * int(X.lengths.max()) * 4 * 4
        result = n * len(model.classes_) * 8  # the float64 probabilities returned
        peaks[n] = peak - result
        report.add(f"n={n:,}: peak RSS growth", peak / 2**20, "MiB", goal=1024,
                   higher_is_better=False, note=f"eager padded array {padded / 2**20:,.0f} MiB")
        report.add(f"n={n:,}: peak growth beyond the result", (peak - result) / 2**20, "MiB",
                   note=f"result {result / 2**20:,.0f} MiB")
        report.add(f"n={n:,}: light curves per second", n / seconds, "lc/s")
        del X
    report.add("growth beyond the result, largest / smallest n",
               peaks[sizes[-1]] / max(peaks[sizes[0]], 1), "x", goal=1.5, higher_is_better=False,
               note="independent of n: about 1")

    ordinary = base[:5000]
    n_long = 10_000
    long = LightCurves.from_arrays(
        ["long"] * n_long, 58000 + np.arange(n_long) * 0.5, np.where(np.arange(n_long) % 2, "ztfr", "ztfg"),
        np.abs(np.sin(np.arange(n_long) / 50)) * 100, np.full(n_long, 5.0),
        detected=np.ones(n_long, bool),
        metadata=pd.DataFrame({"redshift": [0.05], "mwebv": [0.02]}, index=["long"]))
    ordinary = LightCurves(ordinary.object_ids, ordinary.offsets, ordinary.time, ordinary.band,
                           ordinary.flux, ordinary.flux_err, ordinary.detected,
                           ordinary.metadata[["redshift", "mwebv"]])
    with_long = LightCurves.concatenate([ordinary, long])
    _, alone = measure(model, ordinary, args.repeat or 1)
    _, together = measure(model, with_long, args.repeat or 1)
    report.add("5,000 light curves: peak RSS growth", alone / 2**20, "MiB")
    report.add("with one 10,000-observation object", together / 2**20, "MiB",
               note=f"eager padding would add {5001 * n_long * 16 / 2**30:.1f} GiB")
    report.add("added by the long object", (together - alone) / 2**20, "MiB", goal=64,
               higher_is_better=False, note="its own batch: 1 x 10,000 steps")
    report.summary()
    report.save(args.out)


if __name__ == "__main__":
    main()
