"""Memory per object of StreamingClassifier, on a stream of a million objects.

The shipped ``ztf-sims`` model streams 1,000,000 objects, each with a
non-detection 40 days before its first detection and a detection (tiny
updates of 20,000 objects at a time, in time order, as alerts arrive). The
memory per object is printed two ways beside two references (the GRU's
hidden state alone, what any recurrent stream must keep, and the 1.1 kB per
object of the stream before this benchmark): the stream's own state
accounted byte by byte (arrays, ids, the id-to-row map, waiting
non-detections) divided by the objects, and the resident-set growth divided
by the objects (which adds the arrays' spare capacity, up to a doubling, and
what the allocator keeps of the updates' temporaries). Then ``max_age``
retires the first objects as a tenth as many arrive 200 days later: the
memory must not grow (retired objects' rows are reused).

    python benchmarks/bench_streaming_memory.py            # about 10 minutes of CPU
    python benchmarks/bench_streaming_memory.py --quick    # 100,000 objects
"""

import dataclasses
import gc
import sys
import time

import numpy as np
import torch

import _common as c
from skltransient import pretrained
from skltransient.early import StreamingClassifier

#: Bytes per object measured on the main branch before bounded streaming (issue 26).
BEFORE = 1100


def rss():
    """Current resident-set size of the process, in bytes (Linux), after a collection."""
    gc.collect()
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmRSS in /proc/self/status: this benchmark needs Linux.")


def state_bytes(stream):
    """Bytes held by the stream's state: arrays (at their capacity), ids, map, waiting tuples."""
    state = stream._state
    arrays = sum(getattr(state, f.name).nbytes for f in dataclasses.fields(state))
    ids = sum(sys.getsizeof(oid) for oid in stream._rows)
    rows = sys.getsizeof(stream._rows) + sum(sys.getsizeof(row) for row in stream._rows.values()
                                             if row > 256)  # small ints are shared
    waiting = sum(sys.getsizeof(p) + sum(sys.getsizeof(o) + 4 * 24 for o in p)
                  for p in state.pending[:stream._used] if p)
    return arrays + ids + rows + waiting, arrays / len(state.first)


def stream_objects(stream, n, start_time, batch):
    """``n`` new objects: a non-detection, then 40 days later the detection that triggers them."""
    for first in range(0, n, batch):
        k = np.arange(first, min(first + batch, n))
        ids = np.array([f"{start_time:.0f}:{i}" for i in k], dtype=object)
        day = start_time + k * 1e-4
        for offset, detected in ((0.0, False), (40.0, True)):
            stream.update(ids, day + offset, np.where(k % 2 == 0, "ztfg", "ztfr"),
                          np.full(k.size, 50.0 if detected else 1.0), np.full(k.size, 5.0),
                          detected=np.full(k.size, detected))


def main():
    p = c.parser(__doc__.splitlines()[0])
    p.set_defaults(threads=1)
    p.add_argument("--batch", type=int, default=20_000, help="objects per update")
    args = p.parse_args()
    n = 100_000 if args.quick else 1_000_000
    report = c.Report("streaming memory per object", c.setup(args), n_objects=n,
                      batch=args.batch)
    model = pretrained.load("ztf-sims")
    encoder = model[-1].net_.module_.encoder
    hidden_bytes = 4 * encoder.num_layers * encoder.hidden_size
    stream = StreamingClassifier(model, max_age=100)
    stream_objects(stream, 1000, -1e4, 1000)  # warm-up (retired by age below)
    before = rss()
    start = time.perf_counter()
    stream_objects(stream, n, 0.0, args.batch)
    seconds = time.perf_counter() - start
    per_object = (rss() - before) / n
    report.add("objects streamed", stream.n_objects_, note=f"{seconds:.0f} s, "
               f"{2 * n / seconds:,.0f} observations/s")
    report.add("memory per object", per_object, "B", goal=BEFORE, higher_is_better=False,
               note=f"hidden state alone {hidden_bytes} B; before: {BEFORE} B")
    after_first = rss()
    stream_objects(stream, n, 200.0 + 40.0, args.batch)
    report.add("objects retired by max_age", stream.n_retired_)
    report.add("growth for a second million, the first retired", (rss() - after_first) / n,
               "B/object", goal=0.1 * per_object, higher_is_better=False)
    report.save(args.out)


if __name__ == "__main__":
    main()
