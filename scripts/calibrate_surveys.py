"""Calibrate the simulator's survey models on real and independently simulated light curves.

Usage::

    python scripts/calibrate_surveys.py [--out docs/_static] [--seed 0]

Fits ``"ztf"`` to the real ZTF alert histories in ``../shared/data`` and
``"lsst"`` to PLAsTiCC's wide-fast-deep training light curves (the copy
snmachine ships) and to the ELAsTiCC alerts in ``../shared/data``, with
:func:`skltransient.datasets.calibrate_survey` (no labels), prints each fitted
parameter beside the literature's value it started from, and draws the
statistics of the data and of the survey model before and after calibration
(and as shipped, where it differs) side by side (``calibration_<name>.png``,
the figures of the simulator's documentation).
The fitted parameters go to ``scripts/survey-calibration.json``: the
provenance of the constants of ``"ztf"`` and ``"lsst"`` in
``skltransient/datasets/_surveys.py``. About two minutes on one core.
"""

import argparse
import dataclasses
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from skltransient.datasets import (
    SURVEYS,
    calibrate_survey,
    load_plasticc,
    read_lsst_alerts,
    read_ztf_alerts,
    simulate,
    survey_statistics,
)
from skltransient.plotting import plot_survey_statistics

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
#: The survey models before calibration: the literature's numbers (docs/simulator.rst, 2026-12-01).
LITERATURE = {
    "ztf": {"depth": {"ztfg": 20.8, "ztfr": 20.6, "ztfi": 20.2}, "depth_scatter": 0.3,
            "calibration_error": 0.01, "revisit": (2, 3), "revisit_probability": (0.5, 0.5),
            "skip_probability": 0.1},
    "lsst": {"depth": {"lsstu": 23.9, "lsstg": 25.0, "lsstr": 24.7, "lssti": 24.0, "lsstz": 23.3,
                       "lssty": 22.1}, "depth_scatter": 0.3, "calibration_error": 0.005},
}
FITTED = ("depth", "depth_scatter", "calibration_error", "revisit", "revisit_probability",
          "skip_probability", "night_probability", "pair_probability", "band_weights")


def targets():
    """(name, survey, light curves, simulator window) of every calibration target found."""
    found = []
    ztf = sorted(SHARED.glob("ztf_alerts*.parquet"))
    if ztf:
        # Alert histories reach 30 days before the alert: simulate the window they show.
        found.append(("ztf-alerts", "ztf", read_ztf_alerts([str(f) for f in ztf]), (-30.0, 30.0)))
    plasticc = load_plasticc(return_X_y=True)[0]
    wfd = ~plasticc.metadata["ddf"].astype(bool).to_numpy()
    found.append(("plasticc-wfd", "lsst", plasticc[np.flatnonzero(wfd)], "survey"))
    elasticc = sorted(SHARED.glob("elasticc*_alerts_sample.parquet"))
    if elasticc:
        found.append(("elasticc-alerts", "lsst", read_lsst_alerts([str(f) for f in elasticc]),
                      (-30.0, 100.0)))
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "_static"), help="folder of the figures")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    if not SHARED.is_dir():
        print(f"note: {SHARED} is absent: only PLAsTiCC is calibrated", file=sys.stderr)
    fits = {}
    for name, survey, X, window in targets():
        began = time.perf_counter()
        literature = dataclasses.replace(SURVEYS[survey], name=f"{survey} (literature)",
                                         **LITERATURE[survey])
        model = calibrate_survey(literature, X, name=f"{survey} calibrated on {name}",
                                 random_state=args.seed)
        print(f"\n{name} ({len(X):,} light curves; fitted in {time.perf_counter() - began:.0f} s)")
        for field in FITTED:
            if hasattr(model, field) and getattr(model, field) != getattr(literature, field):
                print(f"  {field:20s} {_show(getattr(literature, field))}  ->  "
                      f"{_show(getattr(model, field))}")
        fits[name] = {"survey": survey, "n_light_curves": len(X), "n_visits": X.n_observations,
                      **{f: getattr(model, f) for f in FITTED if hasattr(model, f)}}
        statistics = {name: survey_statistics(X)}
        models = {f"{survey!r} before calibration (literature)": literature, "calibrated": model}
        shipped = SURVEYS[survey]
        seen = set(X.band_names)  # bands absent from the data are not fitted

        def fitted(survey_model, field):
            value = getattr(survey_model, field, None)
            return {b: v for b, v in value.items() if b in seen} if field == "depth" else value

        if not all(_close(fitted(shipped, f), fitted(model, f)) for f in FITTED):
            models[f"{survey!r} as shipped"] = shipped
        for label, simulated in models.items():
            sim = simulate(simulated, 600, trigger_window=window, random_state=args.seed + 1)
            statistics[label] = survey_statistics(sim.lightcurves)
        fig = plot_survey_statistics(statistics, title=f"{name}: the data and the simulator before "
                                                       f"and after calibration on them")
        path = Path(args.out) / f"calibration_{name}.png"
        fig.savefig(path, dpi=90)
        print(f"  figure: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    out = ROOT / "scripts" / "survey-calibration.json"
    out.write_text(json.dumps(fits, indent=1) + "\n")
    print(f"\nfitted parameters: {out.relative_to(ROOT)}")


def _close(a, b, tolerance=0.011):
    """Whether two parameter values agree to the rounding of the shipped constants."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tolerance) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y, tolerance) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= tolerance
    return a == b


def _show(value):
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k.removeprefix('lsst').removeprefix('ztf')} {v:.3g}"
                               for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:.3g}" for v in value) + ")"
    return f"{value:.3g}"


if __name__ == "__main__":
    main()
