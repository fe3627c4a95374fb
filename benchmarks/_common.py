"""Shared helpers of the benchmark scripts.

Data (the simulator when it can be imported, else the toy generator), timing
with warm-up and best-of-k, the plain-PyTorch reference loops the package is
compared with, peak-memory probes, and a small result table that prints and
writes JSON. Not part of the package and not imported by the tests.
"""

import argparse
import contextlib
import ctypes
import gc
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch
from torch import nn

# Run against the checkout these scripts live in, installed or not.
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from skltransient import FluxNormalizer, LightCurvePadder, MetadataScaler  # noqa: E402
from skltransient.neural import TransientGRU  # noqa: E402
from skltransient.neural._dataset import bucketed_batches  # noqa: E402
from skltransient.neural._runtime import bf16_supported  # noqa: E402, F401
from skltransient.utils._testing import make_toy_lightcurves  # noqa: E402

# GRUClassifier's defaults, repeated here so that the reference builds the same network.
MODULE_SIZES = dict(hidden_size=100, num_layers=2, dropout=0.2, metadata_size=16, head_size=64)


# ---------------------------------------------------------------- command line
def parser(description):
    """An argument parser with the options every benchmark shares."""
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--threads", type=int, default=None,
                   help="torch intra-op threads (default: torch's own choice)")
    p.add_argument("--repeat", type=int, default=None, help="timed runs per variant (best is kept)")
    p.add_argument("--data", choices=("auto", "simulate", "toy"), default="auto",
                   help="simulate('ztf', n) when importable (auto), or the toy generator")
    p.add_argument("--max-obs", type=int, default=100, help="padded length (max_length)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the results as JSON to this path")
    return p


def setup(args):
    """Apply the thread setting and return a description of the machine."""
    if args.threads:
        torch.set_num_threads(args.threads)
    return machine()


def machine():
    """Where the numbers come from: CPU, cores, load, library versions, GPU."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    info = {
        "cpu": cpu,
        "cores": (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                  else os.cpu_count()),
        "torch_threads": torch.get_num_threads(),
        "load_avg_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
        info["cuda"] = torch.version.cuda
    return info


# ------------------------------------------------------------------------ data
def load_lightcurves(n, *, source="auto", max_obs=100, random_state=0):
    """Light curves and labels for a benchmark.

    Parameters
    ----------
    n : int
        Number of light curves.
    source : {"auto", "simulate", "toy"}
        ``"auto"`` uses ``skltransient.datasets.simulate("ztf", n)`` when it
        can be imported, else :func:`make_toy_lightcurves` with 5 to
        ``max_obs`` observations per object.
    max_obs : int
        Longest toy light curve.
    random_state : int

    Returns
    -------
    lightcurves : LightCurves
    y : ndarray of shape (n,)
    description : str
        Which generator made them.
    """
    simulate = None
    if source in ("auto", "simulate"):
        try:
            from skltransient.datasets import simulate
        except ImportError:
            if source == "simulate":
                raise
    if simulate is not None:
        result = simulate("ztf", n, random_state=random_state)
        if hasattr(result, "lightcurves"):
            lc, y = result.lightcurves, result.target
        else:
            lc, y = result
        return lc, np.asarray(y), "skltransient.datasets.simulate('ztf')"
    lc, y = make_toy_lightcurves(n, 5, n_obs=(5, max_obs), random_state=random_state)
    return lc, y, f"make_toy_lightcurves (5-{max_obs} observations)"


def describe(lc):
    """Numbers of objects and observations and the length distribution."""
    lengths = lc.lengths
    return (f"{len(lc):,} light curves, {lc.n_observations:,} observations, lengths "
            f"mean {lengths.mean():.1f} / median {np.median(lengths):.0f} / max {lengths.max()}")


def preprocessing(max_length=100):
    """The package's three preprocessing steps, unfitted."""
    return [LightCurvePadder(max_length=max_length), FluxNormalizer(), MetadataScaler()]


def preprocess(lc, max_length=100):
    """Fit the preprocessing steps on ``lc`` and return them and its padded form."""
    steps = preprocessing(max_length)
    X = lc
    for step in steps:
        X = step.fit_transform(X)
    return steps, X


def reference_module(n_channels, n_metadata, n_classes, seed=0, device="cpu"):
    """A fresh TransientGRU with GRUClassifier's default sizes."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TransientGRU(n_channels, n_metadata, n_classes, **MODULE_SIZES).to(device)


def tensors(padded, device="cpu"):
    """Values, lengths and metadata of a PaddedLightCurves as tensors on ``device``."""
    return (torch.as_tensor(padded.values, device=device),
            torch.as_tensor(padded.lengths, device=device),
            torch.as_tensor(padded.metadata, device=device))


# ------------------------------------------------------------- the references
def reference_fit(module, padded, y_encoded, *, batch_size=128, epochs=1, lr=1e-3,
                  class_weight=None, device="cpu", seed=0, forward=None, bucketed=False,
                  precision=None):
    """A minimal hand-written training loop: what GRUClassifier.fit is compared with.

    Shuffled mini-batches sliced from tensors (trimmed to the longest light
    curve of the batch, as the package does), the module's own packed forward,
    weighted cross-entropy and Adam. No callbacks, history or validation.

    ``forward`` (e.g. :func:`unpacked_forward`), ``bucketed`` (batches of
    similar lengths, the package's :func:`bucketed_batches`) and ``precision="bf16"``
    (autocast) are the variants the experiments try.
    """
    forward = forward or (lambda m, v, l, md: m(v, l, md))
    values, lengths, metadata = tensors(padded, device)
    target = torch.as_tensor(y_encoded, device=device)
    weight = None if class_weight is None else torch.as_tensor(class_weight, dtype=torch.float32,
                                                               device=device)
    criterion = nn.CrossEntropyLoss(weight=weight)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    module.train()
    for _ in range(epochs):
        if bucketed:
            batches = bucketed_batches(padded.lengths, batch_size, generator=generator)
        else:
            batches = torch.randperm(len(target), generator=generator).split(batch_size)
        for idx in batches:
            idx = idx.to(device)
            batch_lengths = lengths[idx]
            steps = int(batch_lengths.max())
            with _autocast(device, precision):
                logits = forward(module, values[idx, :steps], batch_lengths, metadata[idx])
            loss = criterion(logits.float(), target[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    sync(device)
    return module


def reference_proba(module, padded, *, batch_size=4096, device="cpu", sort=False, trim=False,
                    forward=None, precision=None, grad_mode="inference"):
    """Plain batched inference: consecutive batches, ``inference_mode``, softmax.

    The keyword arguments switch on the variants the experiments try:
    ``sort`` batches light curves of similar lengths together, ``trim`` cuts
    each batch to its longest light curve, ``forward`` replaces the module's
    packed forward (e.g. :func:`unpacked_forward`), ``precision="bf16"``
    runs under autocast, ``grad_mode="no_grad"`` uses :func:`torch.no_grad`.
    """
    forward = forward or (lambda m, v, l, md: m(v, l, md))
    values, lengths, metadata = tensors(padded, device)
    module.eval()
    n = len(lengths)
    order = None
    if sort:
        order = torch.as_tensor(np.argsort(padded.lengths, kind="stable"), device=device)
    out = torch.empty((n, module.head[-1].out_features), dtype=torch.float64)
    context = torch.inference_mode if grad_mode == "inference" else torch.no_grad
    with context(), _autocast(device, precision):
        for start in range(0, n, batch_size):
            stop = start + batch_size
            idx = slice(start, stop) if order is None else order[start:stop]
            batch_values, batch_lengths = values[idx], lengths[idx]
            if trim:
                batch_values = batch_values[:, :int(batch_lengths.max())]
            logits = forward(module, batch_values, batch_lengths, metadata[idx])
            proba = torch.softmax(logits.double(), dim=1).cpu()
            out[idx if order is None else idx.cpu()] = proba
    return out.numpy()


def unpacked_forward(module, values, lengths, metadata):
    """TransientGRU's logits without packing: run every step, read the state at each length.

    A unidirectional GRU is causal, so the output at step ``length - 1`` of
    the last layer equals the final hidden state of the packed sequence:
    the same logits, computed on a padded batch with one dense kernel
    (``TransientGRU.encode(..., packed=False)``).
    """
    return module(values, lengths, metadata, packed=False)


def _autocast(device, precision):
    if precision in (None, "fp32", "float32"):
        return contextlib.nullcontext()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    return torch.autocast(torch.device(device).type, dtype=dtype)


def balanced_weights(y_encoded, n_classes):
    """GRUClassifier's default ``class_weight="balanced"`` weights."""
    counts = np.bincount(y_encoded, minlength=n_classes).astype(float)
    present = counts > 0
    weights = np.ones(n_classes)
    weights[present] = len(y_encoded) / (present.sum() * counts[present])
    return weights


# ---------------------------------------------------------------------- timing
def sync(device="cpu"):
    """Wait for queued GPU work, so that timings are of finished work."""
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def best_of(fn, *, repeat=3, warmup=1, device="cpu"):
    """Best wall time in seconds of ``repeat`` calls after ``warmup`` calls, and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    sync(device)
    times = []
    for _ in range(max(repeat, 1)):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return min(times), result


def interleaved(functions, *, repeat=3, warmup=1, device="cpu"):
    """Best time of each function when their runs alternate.

    The machine is shared and noisy: alternating A, B, A, B, ... gives each
    variant the same share of quiet and busy moments, so that a ratio of
    best times compares like with like.

    Returns
    -------
    best : dict of str to float
        Best seconds of each function.
    results : dict of str to object
        What each function returned on its last run.
    """
    for _ in range(warmup):
        for fn in functions.values():
            fn()
    sync(device)
    times = {name: [] for name in functions}
    results = {}
    for _ in range(max(repeat, 1)):
        for name, fn in functions.items():
            gc.collect()
            start = time.perf_counter()
            results[name] = fn()
            sync(device)
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}, results


# ---------------------------------------------------------------------- memory
def _proc_status(key):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"{key} is not in /proc/self/status")


@contextlib.contextmanager
def peak_rss():
    """Peak resident-set growth of the process inside the block, in bytes.

    On Linux the high-water mark is reset to the current RSS on entry
    (``/proc/self/clear_refs``), so ``VmHWM`` on exit minus ``VmRSS`` on entry
    is exactly the block's peak growth, counting NumPy, torch and the
    interpreter alike. Elsewhere ``ru_maxrss`` growth is reported, a lower
    bound (zero when an earlier peak was higher). Memory that was freed but
    is still held by the C allocator is given back first (glibc
    ``malloc_trim``), so that it does not hide a peak that reuses it. Yields a
    dict that is filled on exit with ``rss_before``, ``peak_delta`` and
    ``method``.
    """
    gc.collect()
    _malloc_trim()
    stats = {}
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        before = _proc_status("VmRSS")
        stats["method"] = "VmHWM after reset (/proc/self/clear_refs)"
    except OSError:
        before = _maxrss()
        stats["method"] = "ru_maxrss growth (a lower bound)"
    stats["rss_before"] = before
    try:
        yield stats
    finally:
        peak = _proc_status("VmHWM") if stats["method"].startswith("VmHWM") else _maxrss()
        stats["peak_delta"] = max(peak - before, 0)


def _malloc_trim():
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _maxrss():
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def traced_peak(fn):
    """Peak of the allocations tracemalloc sees (Python and NumPy, not torch's) during ``fn()``."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------- report
class Report:
    """Rows of results, printed as they come and optionally written as JSON."""

    def __init__(self, title, machine_info, **config):
        self.title = title
        self.machine = machine_info
        self.config = config
        self.rows = []
        print(f"== {title}")
        print("   machine: " + ", ".join(f"{k}={v}" for k, v in machine_info.items()))
        if config:
            print("   config:  " + ", ".join(f"{k}={v}" for k, v in config.items()))

    def add(self, name, value, unit="", goal=None, higher_is_better=True, note="", quiet=False):
        """Record and print one number, with its goal and whether it is met.

        ``quiet`` records it without printing (a number already shown in a table).
        """
        met = None
        if goal is not None and value is not None:
            met = bool(value >= goal) if higher_is_better else bool(value <= goal)
        row = {"name": name, "value": value, "unit": unit, "goal": goal, "goal_met": met,
               "higher_is_better": higher_is_better, "note": note}
        self.rows.append(row)
        shown = "n/a" if value is None else (
            f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}")
        goal_text = "" if goal is None else (
            f"  goal {'>=' if higher_is_better else '<='} {goal:,}: {'MET' if met else 'NOT MET'}")
        note_text = f"  ({note})" if note else ""
        if quiet:
            return value
        print(f"   {name:<46} {shown:>12} {unit:<10}{goal_text}{note_text}", flush=True)
        return value

    def error(self, name, exc):
        """Record a failed section or variant without stopping the script."""
        import traceback

        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        self.rows.append({"name": name, "value": None, "error": text,
                          "traceback": traceback.format_exc()})
        print(f"   !! {name} failed: {text}", flush=True)

    def summary(self):
        """Print the rows that have a goal, and the failures, as a compact table."""
        rows = [row for row in self.rows if row.get("goal") is not None or row.get("error")]
        print(f"== summary: {self.title}")
        for row in rows:
            if row.get("error"):
                print(f"   {row['name']:<52} FAILED: {row['error'][:60]}")
                continue
            sign = ">=" if row["higher_is_better"] else "<="
            print(f"   {row['name']:<52} {row['value']:>14,.3f} {row['unit']:<6} "
                  f"goal {sign} {row['goal']:<10,} {'MET' if row['goal_met'] else 'NOT MET'}")

    def note(self, text):
        """Print and keep a line of free text."""
        self.rows.append({"name": "note", "value": None, "note": text})
        print(f"   - {text}", flush=True)

    def save(self, path):
        """Write everything as JSON to ``path`` (nothing when ``path`` is None)."""
        if path:
            payload = {"title": self.title, "machine": self.machine, "config": self.config,
                       "results": self.rows}
            Path(path).write_text(json.dumps(payload, indent=2, default=str))
            print(f"   results written to {path}")
