"""LightCurvePadder alone on 100,000 light curves (goal: under 2 seconds).

The reference is a minimal vectorised NumPy padding of the same light curves
into the same ``values`` array (one scatter per channel, nothing else): a
floor for what padding can cost. The two arrays are checked to be equal. The
grid representation is timed too, for information.

    python benchmarks/bench_padder.py            # about half a minute
    python benchmarks/bench_padder.py --quick
    python benchmarks/bench_padder.py --profile  # cProfile and tracemalloc peak
"""

import cProfile
import io
import pstats

import numpy as np

import _common as c
from skltransient import LightCurvePadder
from skltransient.bands import wavelengths


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="light curves to pad")
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    repeat = args.repeat or 3
    report = c.Report("LightCurvePadder.transform", c.setup(args), n=n, repeat=repeat,
                      max_length=args.max_obs)
    lc, _, source = c.load_lightcurves(n, source=args.data, max_obs=args.max_obs,
                                       random_state=args.seed)
    report.note(f"data: {source}: {c.describe(lc)}")
    padder = LightCurvePadder(max_length=args.max_obs).fit(lc)
    best, results = c.interleaved({
        "package": lambda: padder.transform(lc),
        "reference": lambda: reference_pad(lc, args.max_obs, padder.time_scale),
    }, repeat=repeat)
    report.add("reference (minimal NumPy scatter)", best["reference"], "s")
    report.add("LightCurvePadder.transform", best["package"], "s", goal=2.0 * n / 100_000,
               higher_is_better=False, note="goal scaled to n")
    report.add("ratio reference / package time", best["reference"] / best["package"])
    report.add("package values == reference values",
               float(np.array_equal(results["package"].values, results["reference"])), goal=1.0)
    grid = LightCurvePadder("grid", max_length=args.max_obs).fit(lc)
    seconds, _ = c.best_of(lambda: grid.transform(lc), repeat=repeat, warmup=0)
    report.add('LightCurvePadder("grid").transform', seconds, "s")
    if args.profile:
        profile(padder, lc, report)
    report.save(args.out)


def reference_pad(lc, n_steps, time_scale, block=None):
    """Pad the observations representation with one scatter per channel.

    With ``block``, objects are padded ``block`` at a time into the
    preallocated output, so that the per-observation index arrays exist for
    one block only: the same output with a smaller memory peak.
    """
    n = len(lc)
    values = np.zeros((n, n_steps, 4), dtype=np.float32)
    block = block or n
    for first in range(0, n, block):
        last = min(first + block, n)
        _pad_block(lc, values[first:last].reshape(-1, 4), first, last, n_steps, time_scale)
    return values


def _pad_block(lc, flat_out, first, last, n_steps, time_scale):
    lengths = np.minimum(lc.lengths[first:last], n_steps)
    starts = lc.offsets[first:last]
    obj = np.repeat(np.arange(last - first), lengths)
    position = np.arange(obj.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = starts[obj] + position
    flat = obj * n_steps + position
    elapsed = (lc.time[rows] - lc.time[starts][obj]).astype(np.float32)
    flat_out[flat, 0] = elapsed / np.float32(time_scale)
    flat_out[flat, 1] = lc.flux[rows]
    flat_out[flat, 2] = lc.flux_err[rows]
    flat_out[flat, 3] = wavelengths(lc.band[rows]) / 1e4


def profile(padder, lc, report):
    """Where transform spends its time, and the memory it allocates at its peak."""
    profiler = cProfile.Profile()
    profiler.enable()
    padded = padder.transform(lc)
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(10)
    print(stream.getvalue())
    output = padded.values.nbytes + padded.times.nbytes
    report.add("profile: tracemalloc peak / output arrays",
               c.traced_peak(lambda: padder.transform(lc)) / output, "x",
               note=f"output values + times = {output / 2**20:,.0f} MiB")
    values, steps = padded.values.nbytes, padded.values.shape[1]
    report.add("profile: reference's tracemalloc peak / its output",
               c.traced_peak(lambda: reference_pad(lc, steps, padder.time_scale)) / values, "x",
               note=f"output values = {values / 2**20:,.0f} MiB")
    blocked, _ = c.best_of(lambda: reference_pad(lc, steps, padder.time_scale, 16384), repeat=3,
                           warmup=0)
    same = np.array_equal(reference_pad(lc, steps, padder.time_scale, 16384), padded.values)
    report.add("exp: reference in blocks of 16,384: tracemalloc peak / output",
               c.traced_peak(lambda: reference_pad(lc, steps, padder.time_scale, 16384)) / values,
               "x", note=f"{blocked:.3f} s; equal to the package's values: {same}")


if __name__ == "__main__":
    main()
