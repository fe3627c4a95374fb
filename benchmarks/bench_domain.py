"""Domain gaps: how far the simulations are from real and independently simulated light curves,
and what the gap costs a simulation-trained model.

Run with ``python benchmarks/bench_domain.py [--quick] [--out domain.json]``. Three sections:

1. **Realism** (classifier two-sample test, :func:`skltransient.metrics.domain_gap`; cross-validated
   ROC AUC of telling the sets apart, 0.5 = indistinguishable): the ZTF simulator against the real
   ZTF alerts in ``../shared/data`` (skipped without them), the LSST simulator against the ELAsTiCC
   alerts there, and, class by class, against PLAsTiCC's training set (the copy snmachine ships),
   as PLAsTiCC is, cut to the simulator's window around the trigger (``LightCurves.window``), and
   against the simulator in its full-baseline mode (``trigger_window="survey"``). Calibration and
   scoring never share light curves: a calibrated simulator is fitted on one half (of the alerts,
   of PLAsTiCC's WFD light curves, unlabelled) and compared with the other half. The shipped
   ``"lsst"`` survey was fitted to all of PLAsTiCC's WFD light curves, so its rows against
   PLAsTiCC say so: they compare it with its own calibration data.
2. **Sim-to-other-sim without labels**: the shipped ``lsst-sims`` model on PLAsTiCC's training
   set (the classes both know, PLAsTiCC's SN II types merged), macro F1 with no PLAsTiCC label,
   through a padder without a window and through the padder window that matches the simulator's
   (``window=(-30, 100)``, the shipped models' since 2026-12-02).
3. **Adaptation without PLAsTiCC labels**: ``lsst-sims`` fine-tuned on fresh labelled LSST
   simulations with half of PLAsTiCC as unlabelled light curves
   (``TransferClassifier(adaptation=None | "coral" | "entropy", unlabelled=...)``), scored on the
   other half.
4. **Few labels**: 5 % and 10 % of PLAsTiCC's labels (of half A, the rest of it unlabelled):
   transfer from ``lsst-sims`` without and with adaptation, against the feature baseline trained
   on the same labels, scored on half B.
5. The summaries that differ most, medians side by side, for each comparison of section 1.
6. **Calibration as adaptation** (only with ``--sections 6``, a few minutes): the default pipeline
   pre-trained on simulations of ``"lsst"`` and of ``"lsst"`` calibrated on the unlabelled
   wide-fast-deep light curves of PLAsTiCC half A (``calibrate_survey``), 800 per class (200 with
   ``--quick``), scored without PLAsTiCC labels on half B.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

from skltransient import pretrained
from skltransient.datasets import (
    calibrate_survey,
    load_plasticc,
    read_lsst_alerts,
    read_ztf_alerts,
    simulate,
)
from skltransient.metrics import domain_gap

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: PLAsTiCC classes the LSST simulator also makes (its SN II types are merged into SN II).
SHARED_CLASSES = ("SN Ia", "SN II", "SN Ib/c", "SN Ia-91bg", "SN Iax", "SLSN-I", "TDE", "KN", "AGN")
#: The simulator's SN II types, merged as PLAsTiCC has them.
MERGED = {"SN IIP": "SN II", "SN IIL": "SN II", "SN IIn": "SN II"}
WINDOW = (-30.0, 100.0)  # the simulator's default trigger_window
FULL_BASELINE = "survey"  # every visit of the three-year survey, as PLAsTiCC's light curves


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer simulated light curves")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the results as JSON to this path")
    p.add_argument("--sections", default="12345",
                   help="which sections to run, e.g. 1 for realism alone")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    report = c.Report("domain gaps", c.machine(), quick=args.quick, seed=args.seed)
    n_sim = 600 if args.quick else 3000
    start = time.perf_counter()
    tables = {}
    warnings.simplefilter("ignore", UserWarning)
    plasticc, y_plasticc = load_plasticc(return_X_y=True)
    wfd = ~plasticc.metadata["ddf"].astype(bool).to_numpy()

    if "1" in args.sections:
        tables.update(realism(report, args.seed, n_sim, plasticc, y_plasticc, wfd))
    if "2" in args.sections:
        zero_shot(report, plasticc, y_plasticc)
    if "3" in args.sections or "4" in args.sections:
        adaptation(report, args, plasticc, y_plasticc)
    if "6" in args.sections:
        calibration_as_adaptation(report, args, plasticc, y_plasticc)
    print("\n5. The summaries that differ most (median simulated / median other, AUC alone)")
    for title, table in tables.items():
        top = table.head(4)
        cells = "; ".join(f"{k} {r.median_a:.3g} / {r.median_b:.3g} ({r.auc_alone:.2f})"
                          for k, r in top.iterrows())
        print(f"   {title}: {cells}")
    report.note(f"{time.perf_counter() - start:.0f} s")
    report.save(args.out)


def realism(report, seed, n_sim, plasticc, y_plasticc, wfd):
    """Section 1: the simulators, as shipped and calibrated, against the other sets."""
    tables = {}
    print("\n1. Realism: two-sample ROC AUC (0.5 = indistinguishable), summaries / encoder")
    rng = np.random.default_rng(seed)
    ztf_files = sorted(SHARED.glob("ztf_alerts*.parquet"))
    if ztf_files:
        real = read_ztf_alerts([str(f) for f in ztf_files])
        sim = simulate("ztf", n_sim, random_state=seed).lightcurves
        ztf_model = pretrained.load("ztf-sims")
        gap = domain_gap(sim, real, model=ztf_model, random_state=seed)
        _row(report, f"ZTF simulator vs {len(real)} real ZTF alert histories", gap)
        tables["ZTF simulator vs real ZTF alerts"] = gap.summaries
        cut = _as_alerts(sim, rng)
        gap = domain_gap(cut, real, model=ztf_model, random_state=seed)
        _row(report, "ZTF simulator cut as alerts (30 days before a detection) vs the same", gap)
        tables["ZTF simulator cut as alerts vs real ZTF alerts"] = gap.summaries
        # Calibrated on one half of the alerts, compared with the other half (and the other way).
        order = rng.permutation(len(real))
        halves = (np.sort(order[: len(real) // 2]), np.sort(order[len(real) // 2:]))
        for fit, held in (halves, halves[::-1]):
            calibrated = calibrate_survey("ztf", real[fit], random_state=seed)
            sim = _as_alerts(simulate(calibrated, n_sim, random_state=seed).lightcurves, rng)
            gap = domain_gap(sim, real[held], model=ztf_model, random_state=seed)
            _row(report, f"ZTF simulator calibrated on {len(fit)} alerts, cut as alerts, vs the "
                         f"other {len(held)}", gap)
        tables["calibrated ZTF simulator cut as alerts vs real ZTF alerts (half)"] = gap.summaries
    else:
        report.note(f"no ZTF alert samples under {SHARED}: skipped")
    lsst_model = pretrained.load("lsst-sims")
    elasticc = sorted(SHARED.glob("elasticc*_alerts_sample.parquet"))
    if elasticc:
        real = read_lsst_alerts([str(f) for f in elasticc])
        sim = simulate("lsst", n_sim, random_state=seed).lightcurves
        gap = domain_gap(sim, real, model=lsst_model, random_state=seed)
        _row(report, f"LSST simulator vs {len(real)} ELAsTiCC alerts", gap)
        tables["LSST simulator vs ELAsTiCC alerts"] = gap.summaries
        # Calibrated on one half of the alerts, compared with the other half (never the same).
        order = rng.permutation(len(real))
        fit, held = np.sort(order[: len(real) // 2]), np.sort(order[len(real) // 2:])
        sim = simulate(calibrate_survey("lsst", real[fit], random_state=seed), n_sim,
                       random_state=seed).lightcurves
        gap = domain_gap(sim, real[held], model=lsst_model, random_state=seed)
        _row(report, f"LSST simulator calibrated on {len(fit)} ELAsTiCC alerts vs the other "
                     f"{len(held)}", gap)
        tables["LSST simulator calibrated on half of the ELAsTiCC alerts vs the other half"] = (
            gap.summaries)
    # Calibrated on half A of the WFD light curves, unlabelled; compared class by class on half
    # B. The shipped "lsst" survey model was fitted to all of PLAsTiCC's WFD light curves, so its
    # rows ("as is", the window, the full baseline) compare it with its own calibration data.
    from sklearn.model_selection import train_test_split

    wfd_index = np.flatnonzero(wfd)
    half_a, half_b = train_test_split(wfd_index, test_size=0.5, stratify=y_plasticc[wfd_index],
                                      random_state=seed)
    plasticc_survey = calibrate_survey("lsst", plasticc[np.sort(half_a)], random_state=seed)
    held_out = np.zeros(len(y_plasticc), dtype=bool)
    held_out[half_b] = True
    for name in ("SN Ia", "SN II", "SN Ib/c", "AGN"):
        members = np.flatnonzero((y_plasticc == name) & held_out)
        classes = ["SN IIP", "SN IIL", "SN IIn"] if name == "SN II" else [name]
        size = min(n_sim, 3 * len(members))
        sim = simulate("lsst", size, classes=classes, random_state=seed).lightcurves
        target = plasticc[members]
        # The simulator's full-baseline mode: a window as long as PLAsTiCC's three seasons.
        full = simulate("lsst", size, classes=classes, trigger_window=FULL_BASELINE,
                        random_state=seed).lightcurves
        calibrated = simulate(plasticc_survey, size, classes=classes, trigger_window=FULL_BASELINE,
                              random_state=seed).lightcurves
        for label, simulated, X in (
                ("as is (shipped survey: calibrated on all WFD)", sim, target),
                (f"window {WINDOW} (shipped survey)", sim, target.window(*WINDOW)),
                (f"simulator trigger_window={FULL_BASELINE!r} (shipped survey)", full, target),
                (f"simulator calibrated on WFD half A only, trigger_window={FULL_BASELINE!r}",
                 calibrated, target)):
            gap = domain_gap(simulated, X, model=lsst_model, random_state=seed)
            _row(report, f"LSST simulator vs PLAsTiCC WFD half B {name} ({len(members)}), {label}",
                 gap)
            tables[f"LSST simulator vs PLAsTiCC WFD {name}, {label}"] = gap.summaries
    return tables


def zero_shot(report, plasticc, y_plasticc):
    """Section 2: the shipped lsst-sims on PLAsTiCC, no PLAsTiCC label."""
    lsst_model = pretrained.load("lsst-sims")
    print("\n2. lsst-sims on PLAsTiCC without PLAsTiCC labels (shared classes, macro F1)")
    X, y = _shared(plasticc, y_plasticc)
    padder = lsst_model[0]
    shipped = padder.window  # the shipped models carry the simulator's window
    for label, window in (("padder window=None", None), (f"padder window={WINDOW}", WINDOW)):
        padder.set_params(window=window)
        proba = lsst_model.predict_proba(X)
        predicted = np.array([MERGED.get(k, k) for k in lsst_model.classes_[proba.argmax(1)]])
        score = f1_score(y, predicted, labels=sorted(set(y)), average="macro", zero_division=0)
        report.add(f"lsst-sims on PLAsTiCC ({len(X):,}, {len(set(y))} classes), {label}", score,
                   "macro F1")
    padder.set_params(window=shipped)


def adaptation(report, args, plasticc, y_plasticc):
    """Sections 3 and 4: fine-tuning with unlabelled PLAsTiCC light curves, and with few labels."""
    lsst_model = pretrained.load("lsst-sims")
    X, y = _shared(plasticc, y_plasticc)
    print("\n3. Adaptation with unlabelled PLAsTiCC: lsst-sims fine-tuned on fresh labelled LSST "
          "simulations, PLAsTiCC half A unlabelled, scored on half B (macro F1)")
    from sklearn.model_selection import train_test_split

    from skltransient import TransferClassifier
    from skltransient._experiment import simulate_base

    half_a, half_b = train_test_split(np.arange(len(y)), test_size=0.5, stratify=y,
                                      random_state=args.seed)
    X_sim, y_sim = simulate_base(100 if args.quick else 400, args.seed + 7, survey="lsst")
    epochs = 8 if args.quick else 20
    for method in (None, "coral", "entropy"):
        began = time.perf_counter()
        tuned = TransferClassifier(lsst_model, adaptation=method, unlabelled=X[half_a],
                                   max_epochs=epochs, lr=1e-3, random_state=args.seed)
        tuned.fit(X_sim, y_sim)
        predicted = np.array([MERGED.get(k, k) for k in tuned.predict(X[half_b])])
        score = f1_score(y[half_b], predicted, labels=sorted(set(y)), average="macro",
                         zero_division=0)
        report.add(f"adaptation={method!s:<8} ({len(X_sim):,} simulations, "
                   f"{len(half_a):,} unlabelled, {epochs} epochs)", score, "macro F1",
                   note=f"{time.perf_counter() - began:.0f} s")
    proba = lsst_model.predict_proba(X[half_b])
    predicted = np.array([MERGED.get(k, k) for k in lsst_model.classes_[proba.argmax(1)]])
    report.add("lsst-sims as shipped, on half B", f1_score(
        y[half_b], predicted, labels=sorted(set(y)), average="macro", zero_division=0), "macro F1")

    print("\n4. Few PLAsTiCC labels (of half A; the rest of half A unlabelled), scored on half B "
          "(macro F1)")
    from skltransient.recipes import features_pipeline

    for fraction in (0.05, 0.1):
        labelled, rest = train_test_split(half_a, train_size=fraction, stratify=y[half_a],
                                          random_state=args.seed)
        for method, weight in ((None, 1.0), ("coral", 0.01), ("entropy", 0.1)):
            began = time.perf_counter()
            tuned = TransferClassifier(lsst_model, class_map=merged_map(lsst_model.classes_),
                                       adaptation=method, adaptation_weight=weight,
                                       unlabelled=X[rest], max_epochs=20, lr=1e-3,
                                       random_state=args.seed).fit(X[labelled], y[labelled])
            score = f1_score(y[half_b], tuned.predict(X[half_b]), average="macro", zero_division=0)
            report.add(f"{100 * fraction:.0f}% labels ({len(labelled)}): transfer, "
                       f"adaptation={method!s} (weight {weight:g})", score, "macro F1",
                       note=f"{time.perf_counter() - began:.0f} s")
        began = time.perf_counter()
        features = features_pipeline(random_state=args.seed).fit(X[labelled], y[labelled])
        score = f1_score(y[half_b], features.predict(X[half_b]), average="macro", zero_division=0)
        report.add(f"{100 * fraction:.0f}% labels ({len(labelled)}): features + boosting", score,
                   "macro F1", note=f"{time.perf_counter() - began:.0f} s")


def calibration_as_adaptation(report, args, plasticc, y_plasticc):
    """Section 6: pre-training on the simulator calibrated on the unlabelled target."""
    from sklearn.model_selection import train_test_split

    from skltransient._experiment import simulate_base
    from skltransient.datasets import TRIGGER_WINDOW
    from skltransient.recipes import default_pipeline

    print("\n6. Pre-trained on the simulator, as shipped and calibrated on unlabelled PLAsTiCC WFD "
          "(half A), scored on half B without PLAsTiCC labels (macro F1)")
    X, y = _shared(plasticc, y_plasticc)
    half_a, half_b = train_test_split(np.arange(len(y)), test_size=0.5, stratify=y,
                                      random_state=args.seed)
    wfd_a = half_a[~X.metadata["ddf"].astype(bool).to_numpy()[half_a]]
    per_class = 200 if args.quick else 800
    for label, survey in (("lsst", "lsst"),
                          (f"lsst calibrated on {len(wfd_a):,} unlabelled PLAsTiCC WFD",
                           calibrate_survey("lsst", X[wfd_a], random_state=args.seed))):
        began = time.perf_counter()
        X_sim, y_sim = simulate_base(per_class, args.seed, survey)
        model = default_pipeline(max_epochs=20, random_state=args.seed, window=TRIGGER_WINDOW,
                                 n_iter_no_change=4).fit(X_sim, y_sim)
        predicted = np.array([MERGED.get(k, k) for k in model.predict(X[half_b])])
        score = f1_score(y[half_b], predicted, labels=sorted(set(y)), average="macro",
                         zero_division=0)
        report.add(f"pre-trained on {len(y_sim):,} simulations of {label}", score, "macro F1",
                   note=f"{time.perf_counter() - began:.0f} s")


def _shared(plasticc, y_plasticc):
    """PLAsTiCC's light curves of the classes the simulator also makes."""
    keep = np.isin(y_plasticc, SHARED_CLASSES)
    return plasticc[np.flatnonzero(keep)], y_plasticc[keep]


def merged_map(classes):
    """The simulator's classes onto PLAsTiCC's (its SN II types merged), for fine-tuning."""
    return {c: MERGED.get(c, c) for c in classes
            if c in SHARED_CLASSES or c in ("SN IIP", "SN IIL", "SN IIn")}


def _as_alerts(X, rng):
    """Each light curve as an alert packet would carry it: the 30 days up to one of its detections."""
    obj = X.object_index
    # One detection per object at random: the detection with the largest random key.
    key = np.where(X.detected, rng.random(X.n_observations), -1.0)
    order = np.lexsort((key, obj))
    last_of_object = order[X.offsets[1:] - 1]
    alert = np.where(X.detected[last_of_object], X.time[last_of_object], X.time[X.offsets[1:] - 1])
    return X.select_observations((X.time <= alert[obj]) & (X.time >= alert[obj] - 30))


def _row(report, name, gap):
    report.add(f"{name}: summaries", gap.auc, "AUC", higher_is_better=False)
    if np.isfinite(gap.auc_encoder):
        report.add(f"{name}: encoder", gap.auc_encoder, "AUC", higher_is_better=False)


if __name__ == "__main__":
    main()
