"""Fit and predict ratios and end-to-end throughput on a GPU, in under five minutes.

Sections (each runs on its own: a failure is recorded and the next one runs):

1. ``fit``: GRUClassifier.fit, with random and with length-bucketed batches,
   against the plain PyTorch loops (same module, batch size, Adam; packed
   sequences, and padded unpacked batches read at each length; goal 1.5x),
   at the package's default batch size and a GPU-sized one; the plain loop
   with bf16 autocast for comparison.
2. ``predict``: GRUClassifier.predict_proba against plain batched inference
   (goal 1.3x).
3. ``inference``: light curves per second from padded tensors already on the
   device (goal >= 2,000,000 on an H100/H200), over batch sizes, packed or
   not, length-sorted or not, fp32 or bf16; and from host memory, pageable
   (the package's way) or pinned.
4. ``night``: a 10-million-light-curve night end to end (LightCurvePadder,
   FluxNormalizer, MetadataScaler on the CPU, the GRU on the GPU) in chunks
   of one reused chunk of light curves, so that memory stays bounded (goal
   under 30 s). Run as the package does it (one ``predict_proba`` per
   chunk) and with preprocessing of the next chunks overlapped in threads.
   A run that would take longer than its time cap stops and reports the
   time projected from the chunks done, marked "projected".

Nothing is downloaded and nothing is asked; data come from the toy
generator (or ``--data simulate``). Results print as they come, then as a
summary table; ``--out results.json`` also writes them as JSON.

    python benchmarks/gpu.py --out gpu.json          # CUDA, under five minutes
    python benchmarks/gpu.py --device cpu --quick    # smoke test, under a minute (1 thread)
"""

import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder

import _common as c
from skltransient import GRUClassifier

# Sizes per (device type, quick). "cap" is the time cap in seconds of each night run.
SIZES = {
    ("cuda", False): dict(pool=20_000, fit_n=32_768, fit_batches=(128, 1024), predict_n=262_144,
                          infer_n=1_048_576, infer_batches=(16384, 65536),
                          night=10_000_000, chunk=250_000, cap=45, repeat=2),
    ("cuda", True): dict(pool=8192, fit_n=8192, fit_batches=(1024,), predict_n=65_536,
                         infer_n=262_144, infer_batches=(16384, 65536), night=1_000_000,
                         chunk=250_000, cap=20, repeat=1),
    ("cpu", False): dict(pool=8192, fit_n=2048, fit_batches=(128,), predict_n=8192,
                         infer_n=8192, infer_batches=(1024, 4096), night=100_000, chunk=25_000,
                         cap=60, repeat=2),
    ("cpu", True): dict(pool=1024, fit_n=768, fit_batches=(128,), predict_n=1024, infer_n=1024,
                        infer_batches=(512,), night=4000, chunk=2000, cap=5, repeat=1),
}


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.set_defaults(data="toy")
    p.add_argument("--device", default="cuda", help="cuda, cuda:1, cpu, ...")
    p.add_argument("--night", type=int, default=None, help="light curves in the night")
    p.add_argument("--workers", type=int, default=4,
                   help="threads preprocessing upcoming chunks in the overlapped night run")
    args = p.parse_args()
    device = torch.device(args.device)
    sizes = dict(SIZES[(device.type if device.type == "cuda" else "cpu", args.quick)])
    if args.night:
        sizes["night"] = args.night
    sizes["repeat"] = args.repeat or sizes["repeat"]
    if device.type == "cpu" and args.quick and not args.threads:
        # A smoke test: one thread is steadier than two on a small, shared CPU.
        args.threads = 1
    started = time.perf_counter()
    report = c.Report(f"skltransient on {args.device}", c.setup(args), **sizes)
    if device.type == "cuda" and not torch.cuda.is_available():
        report.error("device", RuntimeError(
            f"--device {args.device} was asked for but torch {torch.__version__} sees no CUDA "
            f"device; run with --device cpu or on a GPU machine."))
        report.save(args.out)
        sys.exit(1)
    environment(report, device)

    pool, y, source = c.load_lightcurves(sizes["pool"], source=args.data, max_obs=args.max_obs,
                                         random_state=args.seed)
    report.note(f"data: {source}: pool of {c.describe(pool)}; larger sets repeat the pool")
    steps, padded_pool = c.preprocess(pool, args.max_obs)
    state = {"pool": pool, "y": y, "padded_pool": padded_pool, "steps": steps}
    for name, section in (("fit", fit_section), ("predict", predict_section),
                          ("inference", inference_section), ("night", night_section)):
        start = time.perf_counter()
        try:
            section(report, state, sizes, device, args)
        except Exception as exc:  # one failing section must not lose the others
            report.error(name, exc)
        finally:
            free(device)
        report.note(f"section {name} took {time.perf_counter() - start:.0f} s")
    report.note(f"total {time.perf_counter() - started:.0f} s")
    report.summary()
    report.save(args.out)


def environment(report, device):
    """Library versions and device settings that change the numbers."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        report.note(f"{props.name}, {props.total_memory / 2**30:.0f} GiB, capability "
                    f"{props.major}.{props.minor}, cuDNN {torch.backends.cudnn.version()}, "
                    f"TF32 matmul {torch.backends.cuda.matmul.allow_tf32}, "
                    f"TF32 cuDNN {torch.backends.cudnn.allow_tf32}")
    report.note(f"bf16 supported: {c.bf16_supported(device.type)}")


def tile(collection, n):
    """The first ``n`` items of ``collection`` repeated as often as needed."""
    return collection[np.arange(n) % len(collection)]


def free(device):
    """Release cached GPU memory between sections."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()


# ------------------------------------------------------------------------ fit
def fit_section(report, state, sizes, device, args):
    """GRUClassifier.fit against the plain loop, at each batch size."""
    n = sizes["fit_n"]
    X, y = tile(state["padded_pool"], n), tile(state["y"], n)
    y_encoded = LabelEncoder().fit_transform(y)
    n_classes = int(y_encoded.max()) + 1
    weights = c.balanced_weights(y_encoded, n_classes)
    dims = X.values.shape[2], X.metadata.shape[1], n_classes
    for batch in sizes["fit_batches"]:
        def package(batch=batch, batching="random"):
            return GRUClassifier(batch_size=batch, max_epochs=1, random_state=args.seed,
                                 batching=batching, device=str(device),
                                 n_threads=torch.get_num_threads()).fit(X, y)

        def reference(batch=batch, **variant):
            module = c.reference_module(*dims, seed=args.seed, device=device)
            return c.reference_fit(module, X, y_encoded, batch_size=batch, class_weight=weights,
                                   device=device, seed=args.seed, **variant)

        GRUClassifier(batch_size=batch, max_epochs=1, device=str(device)).fit(X[:4 * batch],
                                                                              y[:4 * batch])
        variants = {"package": package, "reference": reference,
                    "package bucketed": lambda: package(batching="bucketed"),
                    "reference unpacked": lambda: reference(forward=c.unpacked_forward)}
        if c.bf16_supported(device.type):
            variants["reference bf16"] = lambda: reference(precision="bf16")
        best = {}
        for name, fn in variants.items():
            try:
                best[name], _ = c.best_of(fn, repeat=sizes["repeat"], warmup=0, device=device)
            except Exception as exc:
                report.error(f"fit batch {batch}: {name}", exc)
        report.add(f"fit batch {batch}: reference", n / best["reference"], "lc/s/epoch")
        report.add(f"fit batch {batch}: GRUClassifier.fit", n / best["package"], "lc/s/epoch")
        for name in ("package", "package bucketed"):
            for ref in ("reference", "reference unpacked"):
                if name in best and ref in best:
                    report.add(f"fit batch {batch}: ratio {name} / {ref}",
                               best[ref] / best[name], goal=1.5)
        if "reference bf16" in best:
            report.add(f"fit batch {batch}: reference bf16 autocast", n / best["reference bf16"],
                       "lc/s/epoch", note=f"x{best['reference'] / best['reference bf16']:.2f}")
    state["classifier"] = package(batch=sizes["fit_batches"][-1])


# -------------------------------------------------------------------- predict
def classifier(state, device, args):
    """The classifier fitted in the fit section, or a quickly fitted one."""
    if "classifier" not in state:
        X, y = state["padded_pool"], state["y"]
        state["classifier"] = GRUClassifier(max_epochs=1, batch_size=1024, random_state=args.seed,
                                            device=str(device),
                                            n_threads=torch.get_num_threads()).fit(X, y)
    return state["classifier"]


def predict_section(report, state, sizes, device, args):
    """GRUClassifier.predict_proba against plain batched inference on the device."""
    clf = classifier(state, device, args)
    n = sizes["predict_n"]
    X = tile(state["padded_pool"], n)
    batch = clf._predict_batch_size()
    best, results = c.interleaved({
        "package": lambda: clf.predict_proba(X),
        "reference": lambda: c.reference_proba(clf.module_, X, batch_size=batch, device=device),
    }, repeat=sizes["repeat"], device=device)
    report.add(f"predict batch {batch}: reference", n / best["reference"], "lc/s")
    report.add(f"predict batch {batch}: GRUClassifier.predict_proba", n / best["package"], "lc/s")
    report.add(f"predict batch {batch}: ratio package / reference",
               best["reference"] / best["package"], goal=1.3)
    report.add("predict: max |package - reference| probability",
               float(np.abs(results["package"] - results["reference"]).max()), goal=1e-4,
               higher_is_better=False)


# ------------------------------------------------------------------ inference
def device_inference(module, data, *, batch_size, sort=False, trim=False, unpacked=False,
                     precision=None):
    """Probabilities of padded tensors already on the device; the output stays there."""
    values, lengths, lengths_cpu, metadata, order, order_cpu = data
    n = len(lengths_cpu)
    out = torch.empty((n, module.head[-1].out_features), device=values.device)
    module.eval()
    with torch.inference_mode(), c._autocast(values.device.type, precision):
        for start in range(0, n, batch_size):
            if sort:
                stop = start + batch_size
                index, index_cpu = order[start:stop], order_cpu[start:stop]
            else:
                index = index_cpu = slice(start, start + batch_size)
            batch_lengths = lengths_cpu[index_cpu]
            batch = values[index]
            if trim:
                batch = batch[:, :int(batch_lengths.max())]
            if unpacked:
                logits = c.unpacked_forward(module, batch, lengths[index], metadata[index])
            else:
                logits = module(batch, batch_lengths, metadata[index])
            out[index] = torch.softmax(logits.float(), dim=1)
    return out


def host_inference(module, values, lengths, metadata, *, batch_size, device):
    """Probabilities from a length-sorted pinned host copy, sent batch by batch without blocking."""
    out = []
    module.eval()
    with torch.inference_mode():
        for start in range(0, len(lengths), batch_size):
            batch_lengths = lengths[start:start + batch_size]
            # Copy whole contiguous rows (truly asynchronous from pinned memory), then trim.
            batch = values[start:start + batch_size].to(device, non_blocking=True)
            batch = batch[:, :int(batch_lengths.max())]
            meta = metadata[start:start + batch_size].to(device, non_blocking=True)
            out.append(torch.softmax(module(batch, batch_lengths, meta).float(), dim=1))
    return torch.cat(out).cpu()


def inference_section(report, state, sizes, device, args):
    """Peak light curves per second from padded tensors, over the variants that matter."""
    clf = classifier(state, device, args)
    module = clf.module_
    n = sizes["infer_n"]
    X = tile(state["padded_pool"], n)
    lengths_cpu = torch.as_tensor(X.lengths)
    order_cpu = torch.argsort(lengths_cpu, stable=True)
    values, lengths, metadata = c.tensors(X, device)
    data = (values, lengths, lengths_cpu, metadata, order_cpu.to(device), order_cpu)
    variants = {}
    for batch in sizes["infer_batches"]:
        variants[f"batch {batch}, plain packed"] = dict(batch_size=batch)
        variants[f"batch {batch}, sorted+trimmed packed"] = dict(batch_size=batch, sort=True,
                                                                  trim=True)
        variants[f"batch {batch}, sorted+trimmed unpacked"] = dict(batch_size=batch, sort=True,
                                                                    trim=True, unpacked=True)
        if c.bf16_supported(device.type):
            variants[f"batch {batch}, sorted+trimmed packed bf16"] = dict(
                batch_size=batch, sort=True, trim=True, precision="bf16")
            variants[f"batch {batch}, sorted+trimmed unpacked bf16"] = dict(
                batch_size=batch, sort=True, trim=True, unpacked=True, precision="bf16")
    rates, reference = {}, None
    for name, variant in variants.items():
        try:
            seconds, proba = c.best_of(lambda v=variant, d=data: device_inference(module, d, **v),
                                       repeat=sizes["repeat"], warmup=1, device=device)
        except Exception as exc:
            report.error(f"inference {name}", exc)
            continue
        reference = proba if reference is None else reference
        rates[name] = n / seconds
        report.add(f"device tensors: {name}", rates[name], "lc/s",
                   note=f"max prob diff {float((proba - reference).abs().max()):.1e}")
        del proba
    del values, lengths, metadata, data
    if rates:
        best = max(rates, key=rates.get)
        report.add("inference from device tensors: best", rates[best], "lc/s",
                   goal=2_000_000 if device.type == "cuda" else None, note=best)
    host_paths(report, clf, X, sizes, device)


def host_paths(report, clf, X, sizes, device):
    """From host memory: the package's predict_proba, and a pinned sorted copy."""
    n = len(X)
    default = clf._predict_batch_size()
    for batch in sorted({default, max(sizes["infer_batches"])}):
        clf.set_params(predict_batch_size=batch)
        try:
            seconds, _ = c.best_of(lambda: clf.predict_proba(X), repeat=sizes["repeat"],
                                   warmup=1, device=device)
            report.add(f"host arrays: GRUClassifier.predict_proba, batch {batch}", n / seconds,
                       "lc/s")
        except Exception as exc:
            report.error(f"host arrays: predict_proba batch {batch}", exc)
    clf.set_params(predict_batch_size=default)
    try:
        start = time.perf_counter()
        order = np.argsort(X.lengths, kind="stable")
        values = torch.from_numpy(X.values[order])
        lengths = torch.from_numpy(X.lengths[order])
        metadata = torch.from_numpy(X.metadata[order])
        if device.type == "cuda":
            values, metadata = values.pin_memory(), metadata.pin_memory()
        prepare = time.perf_counter() - start
        batch = max(sizes["infer_batches"])
        seconds, _ = c.best_of(lambda: host_inference(clf.module_, values, lengths, metadata,
                                                      batch_size=batch, device=device),
                               repeat=sizes["repeat"], warmup=1, device=device)
        report.add(f"host arrays: sorted pinned copy, non_blocking, batch {batch}", n / seconds,
                   "lc/s", note=f"sorting and pinning took {prepare:.2f} s more")
    except Exception as exc:
        report.error("host arrays: pinned", exc)


# ---------------------------------------------------------------------- night
def night_section(report, state, sizes, device, args):
    """A night of light curves end to end, chunk by chunk, with and without overlap."""
    clf = classifier(state, device, args)
    clf.set_params(predict_batch_size=max(sizes["infer_batches"]))
    model = make_pipeline(*state["steps"], clf)
    chunk = tile(state["pool"], min(sizes["chunk"], sizes["night"]))
    total = sizes["night"]
    report.note(f"night: {total:,} light curves as {math.ceil(total / len(chunk))} chunks of "
                f"{len(chunk):,}; reading excluded; prediction batch {clf._predict_batch_size()}")
    model.predict_proba(chunk[:2000])  # warm-up

    runs = {
        "one predict_proba per chunk": lambda: chunks_in_turn(
            lambda: model.predict_proba(chunk), len(chunk), total, sizes["cap"]),
        f"preprocessing overlapped ({args.workers} threads)": lambda: overlapped(
            model, chunk, total, sizes["cap"], args.workers),
    }
    for name, run in runs.items():
        try:
            seconds, done, projected = run()
        except Exception as exc:
            report.error(f"night: {name}", exc)
            continue
        report.add(f"night of {total:,}: {name}", total / done * seconds, "s",
                   goal=30 * total / 10_000_000 if device.type == "cuda" else None,
                   higher_is_better=False,
                   note=(f"projected from {done:,} light curves in {seconds:.0f} s" if projected
                         else f"{total / seconds:,.0f} lc/s"))


def chunks_in_turn(process, chunk_size, total, cap):
    """Call ``process`` once per chunk until ``total`` is done or ``cap`` seconds pass."""
    start, done = time.perf_counter(), 0
    while done < total:
        process()
        done += chunk_size
        if time.perf_counter() - start > cap and done < total:
            return time.perf_counter() - start, done, True
    return time.perf_counter() - start, total, False


def overlapped(model, chunk, total, cap, workers):
    """Preprocess upcoming chunks in threads (NumPy releases the GIL) while the GPU predicts."""
    *steps, clf = (step for _, step in model.steps)

    def prepare():
        X = chunk
        for step in steps:
            X = step.transform(X)
        return X

    n_chunks = math.ceil(total / len(chunk))
    start, done = time.perf_counter(), 0
    with ThreadPoolExecutor(max_workers=workers) as executor:
        pending = [executor.submit(prepare) for _ in range(min(workers, n_chunks))]
        submitted = len(pending)
        while pending:
            X = pending.pop(0).result()
            if submitted < n_chunks:
                pending.append(executor.submit(prepare))
                submitted += 1
            clf.predict_proba(X)
            done += len(chunk)
            if time.perf_counter() - start > cap and done < total:
                for future in pending:
                    future.cancel()
                return time.perf_counter() - start, done, True
    return time.perf_counter() - start, total, False


if __name__ == "__main__":
    main()
