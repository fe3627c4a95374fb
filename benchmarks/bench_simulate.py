"""Light curves simulated per second by ``simulate``, for ZTF and LSST (n = 5000).

Run with ``python benchmarks/bench_simulate.py``. A small warm-up call first
fills the caches (rate integrals, K-correction bounds, default class mix),
which are computed once per process. Set ``OMP_NUM_THREADS=1`` to measure
one core; the simulator itself is single-threaded NumPy.
"""

import time

from skltransient.datasets._simulate import simulate

N_OBJECTS = 5000


def main():
    for survey in ("ztf", "lsst", "ztf-bts"):
        simulate(survey, 50, random_state=0)
        wall, cpu = time.perf_counter(), time.process_time()
        data = simulate(survey, N_OBJECTS, random_state=1)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{survey:8s} n={N_OBJECTS}: {wall:6.2f} s wall, {cpu:6.2f} s CPU -> "
              f"{N_OBJECTS / wall:6.0f} light curves/s (wall), {N_OBJECTS / cpu:6.0f} per CPU second; "
              f"{data.lightcurves.n_observations} observations")


if __name__ == "__main__":
    main()
