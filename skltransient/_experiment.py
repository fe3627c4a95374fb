"""The paper's experiment as functions: the base model, the targets, the report.

Used by ``skltransient reproduce`` and by ``scripts/train_pretrained.py``, so
that the shipped base model and a rerun of the experiment are made the same
way.
"""

import datetime
import platform
import time

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import train_test_split

from . import __version__
from ._lightcurves import LightCurves
from ._optional import install_hint
from .datasets import BTS_CLASS_MAP, CLASSES, GALACTIC_CLASSES, TRIGGER_WINDOW, read_data, simulate
from .neural import GRUClassifier
from .recipes import default_pipeline, features_pipeline, hybrid_pipeline

__all__ = ["baseline_report", "model_card", "simulate_base", "train_base_model"]

#: Classes the base model is trained on: the simulator's eleven.
BASE_CLASSES = CLASSES


#: GRUClassifier's augmentation parameters, which reproduce sets on every fit to their defaults.
AUGMENTATION = ("flux_noise", "observation_dropout")


def simulate_base(n_per_class, random_state=0, survey="ztf", redshifts="survey",
                  classes=BASE_CLASSES):
    """Simulated light curves with equal numbers of each class (``classes``).

    ``survey`` is one survey's name, or several (a tuple, e.g. ``("ztf",
    "lsst")``: a multi-survey training set): the ``n_per_class`` light
    curves of each class are then split evenly across the surveys, each
    simulated with ``random_state``, and every object id is prefixed with
    its survey (``"ztf:17"``), so that ids stay unique.
    """
    fractions = dict.fromkeys(classes, 1 / len(classes))
    if isinstance(survey, str):
        return simulate(survey, n_per_class * len(classes), class_fractions=fractions,
                        redshifts=redshifts, random_state=random_state, return_X_y=True)
    surveys = tuple(survey)
    if len(surveys) < 2 or len(set(surveys)) != len(surveys) or n_per_class < len(surveys):
        raise ValueError(f"simulate_base: several surveys must be two or more distinct names, "
                         f"with at least one light curve of each class for each (n_per_class >= "
                         f"{len(surveys)}); got survey={survey!r}, n_per_class={n_per_class}.")
    parts, labels = [], []
    for name, share in zip(surveys, np.diff(np.linspace(0, n_per_class, len(surveys) + 1).astype(int))):
        X, y = simulate_base(int(share), random_state, name, redshifts, classes)
        parts.append(_prefixed(X, f"{name}:"))
        labels.append(np.asarray(y))
    return LightCurves.concatenate(parts), np.concatenate(labels)


def _prefixed(lc, prefix):
    """The same light curves, each object id prefixed (as a string)."""
    ids = np.char.add(prefix, lc.object_ids.astype(str)).astype(object)
    metadata = lc.metadata.copy()
    metadata.index = pd.Index(ids, name=metadata.index.name)
    return LightCurves(ids, lc.offsets, lc.time, lc.band, lc.flux, lc.flux_err, lc.detected,
                       metadata)


def survey_name(survey):
    """A survey, or several joined by '+' (``"ztf+lsst"``): how cards and files name them."""
    return survey if isinstance(survey, str) else "+".join(survey)


#: The classes of a base model that knows the sky: the extragalactic transients and the
#: simulator's Galactic variables (``train_base_model(galactic=True)``).
SKY_CLASSES = tuple(BASE_CLASSES) + tuple(GALACTIC_CLASSES)


#: Days after trigger at which the base models are scored.
BASE_DAYS = (0, 2, 5, 10, 20, 40)


def train_base_model(n_per_class=400, *, survey="ztf", max_epochs=60, n_test_per_class=200,
                     device="cpu", random_state=0, verbose=0, hybrid=False, galactic=False,
                     scaling=None, **classifier):
    """Train a base model on simulated light curves; score it on a fresh simulated test set.

    ``hybrid=True`` trains :func:`~skltransient.recipes.hybrid_pipeline`
    (the statistics of the bands seen in training in the metadata branch)
    instead of :func:`~skltransient.recipes.default_pipeline`.
    ``galactic=True`` adds the simulator's Galactic variables
    (:data:`SKY_CLASSES`: a base that tells transients from variable stars).
    ``scaling`` sets the ``FluxNormalizer`` method (None: the recipe's,
    ``"snr"``; the shipped base models use ``"running_peak"``).
    ``survey`` may name several surveys (``("ztf", "lsst")``): a
    multi-survey base, trained on ``n_per_class`` light curves of each class
    split evenly across them (:func:`simulate_base`) and scored on each
    survey's own test set, the one a base of that survey alone gets.

    The model trains on all ``n_per_class`` light curves of each class
    (holding out 10 % for early stopping); the test set is a fresh
    simulation (seed ``random_state + 1000``), not a split of the training
    simulation.

    Returns
    -------
    model : Pipeline
    report : dict
        ``survey`` (several joined by '+'), ``surveys``, ``n_train``,
        ``n_test``, ``seconds``, ``epochs``, ``accuracy``, ``f1_macro``,
        ``per_class`` (classification report text), ``f1_by_day`` (macro F1
        at :data:`BASE_DAYS` after trigger, from one pass over time), all on
        every test light curve; ``by_survey`` (those four scores on each
        survey's test set; None for one survey); and the test light curves
        as ``test`` (``X, y``) for further scoring.
    """
    classes = SKY_CLASSES if galactic else BASE_CLASSES
    X, y = simulate_base(n_per_class, random_state, survey, classes=classes)
    # Each survey's test set is the one a base of that survey alone is scored on.
    surveys = (survey,) if isinstance(survey, str) else tuple(survey)
    tests = {name: simulate_base(n_test_per_class, random_state + 1000, name, classes=classes)
             for name in surveys}
    # The hybrid's statistics are of the bands seen in fit (all the survey's), fixed thereafter.
    recipe = hybrid_pipeline if hybrid else default_pipeline
    model = recipe(max_epochs=max_epochs, device=device, random_state=random_state,
                   verbose=verbose, window=TRIGGER_WINDOW, **classifier)
    if scaling is not None:
        model.set_params(fluxnormalizer__method=scaling)
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    # Each test set is predicted once; the scores on all of them come from the same predictions.
    predictions = {name: _test_predictions(model, X_t) for name, (X_t, _) in tests.items()}
    scores = {name: _test_scores(np.asarray(tests[name][1]), *predictions[name])
              for name in surveys}
    if isinstance(survey, str):
        overall, test = scores[survey], tests[survey]
    else:
        test = (LightCurves.concatenate([_prefixed(X_t, f"{name}:") for name, (X_t, _) in tests.items()]),
                np.concatenate([np.asarray(y_t) for _, y_t in tests.values()]))
        overall = _test_scores(test[1], *(np.concatenate(parts) for parts in
                                          zip(*predictions.values())))
    return model, {
        "survey": survey_name(survey), "surveys": surveys, "hybrid": hybrid, "classes": classes,
        "flux_method": model.named_steps["fluxnormalizer"].method,
        "n_train": len(y), "n_test": len(test[1]), "seconds": seconds,
        "epochs": model[-1].n_epochs_, "best_epoch": model[-1].best_epoch_,
        **overall, "by_survey": scores if len(surveys) > 1 else None,
        "test": test, "train": (X, y),
    }


def _test_predictions(model, X_test):
    """Predicted classes on whole light curves, and at each of :data:`BASE_DAYS` (one column each)."""
    from .early import predict_proba_at

    at = predict_proba_at(model, X_test, list(BASE_DAYS))
    by_day = np.stack([model.classes_[np.argmax(np.nan_to_num(at[:, j]), axis=1)]
                       for j in range(len(BASE_DAYS))], axis=1)
    return model.predict(X_test), by_day


def _test_scores(y_test, predicted, predicted_by_day):
    """Accuracy, macro F1 and per-class report on whole light curves, and macro F1 by day."""
    return {"accuracy": float(np.mean(predicted == y_test)),
            "f1_macro": float(f1_score(y_test, predicted, average="macro")),
            "per_class": classification_report(y_test, predicted, digits=3),
            "f1_by_day": {day: float(f1_score(y_test, predicted_by_day[:, j], average="macro"))
                          for j, day in enumerate(BASE_DAYS)}}


def baseline_report(report, random_state=0):
    """The feature baseline on a base model's training and test light curves, at each phase.

    Trained at each phase on the training light curves cut at that many days
    after trigger (whole light curves for ``"all"``), scored on the test
    light curves cut the same way.

    Returns
    -------
    scores : dict
        ``f1_macro``, ``per_class`` (classification report text) and
        ``f1_by_day``.
    """
    import warnings

    (X, y), (X_test, y_test) = report["train"], report["test"]
    out = {"f1_by_day": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # features of very short light curves
        for day in (None, *BASE_DAYS):
            cut = (lambda lc: lc) if day is None else (
                lambda lc: lc.truncate(days_since_trigger=day))
            model = features_pipeline(random_state=random_state).fit(cut(X), y)
            predicted = model.predict(cut(X_test))
            if day is None:
                out["f1_macro"] = float(f1_score(y_test, predicted, average="macro"))
                out["per_class"] = classification_report(y_test, predicted, digits=3)
            else:
                out["f1_by_day"][day] = float(f1_score(y_test, predicted, average="macro"))
    return out


def _redshift_text(survey):
    """The card's sentence on the training set's redshifts (the survey's model)."""
    from .datasets import SURVEYS

    return SURVEYS[survey].host_redshifts.describe()


def _training_call(surveys, n_per_class, classes, random_state):
    if len(surveys) == 1:
        return (f'skltransient.datasets.simulate("{surveys[0]}", {n_per_class * len(classes)}, '
                f'class_fractions=<equal>, random_state={random_state})')
    return (f"skltransient._experiment.simulate_base({n_per_class}, {random_state}, "
            f"{surveys!r}, classes=<the {len(classes)} below>)")


def _split_text(surveys):
    return "" if len(surveys) == 1 else f" in all, split evenly across the {len(surveys)} surveys"


#: The card's words for each FluxNormalizer method a base model may use.
_SCALING = {"running_peak": "`FluxNormalizer()` (causal `running_peak` scaling",
            "snr": "`FluxNormalizer(\"snr\")` (each observation's `arcsinh(flux / flux_err)`, causal"}

_SURVEYS = {"ztf": ("simulated ZTF", "g and r bands"),
            "lsst": ("simulated Rubin LSST", "u, g, r, i, z and y bands")}


def reference_section(references):
    """The card's table of other models scored on the same test sets (a multi-survey base's).

    ``references`` maps a row label (which model, trained on what, which
    test set) to its scores: ``f1_macro`` and ``f1_by_day`` (macro F1 at
    :data:`BASE_DAYS`), as in the ``*-numbers.json`` files that
    ``scripts/train_pretrained.py`` writes beside each shipped model.
    """
    days = "".join(f" | {d} d" for d in BASE_DAYS)
    rows = "\n".join(_score_row(label, scores) for label, scores in references.items())
    return f"""
## Against the single-survey models and the baseline, on the same test sets

Each survey's test set above is the one its single-survey base model is scored on (same seed and
size), so these rows, from those models' cards, compare with this model's rows of that survey:

| model, trained on, test set | whole{days} |
|---|---{"|---" * len(BASE_DAYS)}|
{rows}
"""


def _score_row(label, scores):
    """A card's table row: macro F1 on whole light curves and at each of :data:`BASE_DAYS`.

    The days are keys of ``scores["f1_by_day"]``, or their strings (scores read back from JSON).
    """
    by_day = scores["f1_by_day"]
    return (f"| {label} | {scores['f1_macro']:.3f}"
            + "".join(f" | {by_day[d] if d in by_day else by_day[str(d)]:.3f}" for d in BASE_DAYS)
            + " |")


def redshift_cost_section(cost):
    """The card's section on what realistic redshifts cost, from macro F1 scores.

    ``cost`` maps a row label (e.g. ``"this model, survey redshifts"``) to
    the macro F1 on the card's test light curves, which are the same whatever
    redshifts they are given (only the metadata differ).
    """
    rows = "\n".join(f"| {label} | {score:.3f} |" for label, score in cost.items())
    return f"""
## What realistic redshifts cost

The same test light curves, given the survey's redshifts (photometric, with outliers and a share
missing; the default since 2026-12-06) or the true ones (`simulate(..., redshifts="exact")`):

| model, redshifts given | macro F1 |
|---|---|
{rows}
"""


_HYBRID_INPUT = """
- Hybrid: `skltransient.recipes.hybrid_pipeline`. The padder adds the
  `LightCurveFeatures` of the kept observations in the survey's bands (fixed in training), 15
  statistics a band, colours between neighbouring bands, peak brightness and timing, to the
  metadata, which the scaler
  compresses by arcsinh before standardising. Over time (`predict_proba_at`) they are computed
  on the light curve cut at each day; a stream (`ClassificationStream`) refuses the model.
  Light curves in other bands leave those bands' statistics missing (flagged)."""


def model_card(report, *, n_per_class, random_state, command, name=None, baseline=None,
               where="the CPU (one torch thread)", redshift_cost=None, references=None):
    """Markdown model card of a base model (``report`` from :func:`train_base_model`)."""
    survey = report.get("survey", "ztf")
    surveys = tuple(report.get("surveys") or (survey,))
    classes = report.get("classes", BASE_CLASSES)
    title = " and ".join(_SURVEYS[s][0] for s in surveys)
    bands = "; ".join(_SURVEYS[s][1] for s in surveys)
    name = name or f"{survey}-sims"
    days = "".join(f" | {d} d" for d in BASE_DAYS)

    rows = [_score_row("GRU (this model)", report)]
    rows += [_score_row(f"GRU (this model), {_SURVEYS[s][0]} test set only", scores)
             for s, scores in (report.get("by_survey") or {}).items()]
    if baseline is not None:
        rows.append(_score_row("features + boosting, same training set", baseline))
    baseline_text = "" if baseline is None else f"""
Per-class scores of the feature baseline on the same test set (whole light curves):

```
{baseline['per_class']}
```
"""
    return f"""# {name}: base model for transfer learning

- Package: skltransient {__version__}; trained {datetime.date.today().isoformat()} on
  {platform.machine()} ({platform.system()}), {where}, in {report['seconds']:.0f} s
  ({report['epochs']} epochs, the best at epoch {report['best_epoch']}; early stopping on 10 %
  of the training set).
- Rebuild: `{command}` (one torch thread, same seed and simulator: the same model).
- Training data: `{_training_call(surveys, n_per_class, classes, random_state)}`:
  {n_per_class} {title} light curves per class{_split_text(surveys)}, {bands},
  {report['n_train']} in all (10 % of them held out for early stopping). The
  survey model's cadence, depths and noise are calibrated on real light curves (the simulator's
  documentation, "Calibration on real light curves"). Redshifts are as the survey knows them:
  {" ".join(_redshift_text(s) for s in surveys)}
- Test data: a fresh simulation{"" if len(surveys) == 1 else " of each survey"}, {", ".join(
    f'`simulate("{s}", {report["n_test"] // len(surveys)}, class_fractions=<equal>, random_state={random_state + 1000})`'
    for s in surveys)}, never seen in training.
- Classes ({len(classes)}): {", ".join(classes)}. For the ZTF Bright Transient Survey
  classes use `class_map=skltransient.datasets.BTS_CLASS_MAP` ({len(set(BTS_CLASS_MAP.values()))}
  classes).
- Input: `LightCurvePadder(window=(-30, 100))` (one step per observation, from 30 days before
  to 100 days after the trigger, the simulator's window: time since the first of them / 100 d, flux, flux error,
  band pivot wavelength in micrometres), {_SCALING[report.get("flux_method", "running_peak")]},
  plus the running peak's AB magnitude as a channel, so that brightness
  is kept), `MetadataScaler` on redshift and Milky Way E(B-V) with missing-value indicators. Bands
  are encoded by wavelength: the model reads any survey's bands.{_HYBRID_INPUT if report.get("hybrid") else ""}
- Network and training: `GRUClassifier(flux_noise=0, observation_dropout=0)`: GRU 2 x 100, metadata branch
  {64 if report.get("hybrid") else 16}, head 64, dropout 0.2; class-weighted cross-entropy on the whole light curve and on every
  prefix (`sequence_loss=0.5`); Adam, lr 3e-3, batch 128, bucketed batches. These are the
  package's defaults without their augmentation, which on 50,600 light curves cost 0.013 macro F1
  in 20 epochs (`ztf-sims`: 0.798 against 0.811); early stopping on 10 % as `"auto"` chooses.

## Fresh simulated test set ({report['n_test']} light curves)

Accuracy {report['accuracy']:.3f}, macro F1 {report['f1_macro']:.3f}.

```
{report['per_class']}
```

Macro F1 on whole light curves and on the same test light curves cut at days after trigger (the
GRU {"on the light curves cut at each day, its statistics those of the prefix" if report.get("hybrid") else "from one pass over time"}; the baseline trained and scored on light curves cut at each phase):

| model | whole{days} |
|---|---{"|---" * len(BASE_DAYS)}|
{chr(10).join(rows)}
{baseline_text}{"" if references is None else reference_section(references)}{"" if redshift_cost is None else redshift_cost_section(redshift_cost)}
These numbers are on simulations like the training set; on real data expect lower scores, which
is what fine-tuning with `TransferClassifier` is for.
"""


# ------------------------------------------------------------------ reproduce
#: Settings of ``reproduce --quick`` (2 CPU cores, minutes) and ``--full`` (a GPU).
SETTINGS = {
    "quick": {"n_target": 950, "train_sizes": (0.05, 0.1, 0.3, 1.0), "n_repeats": 3,
              "max_epochs": 30, "n_base_per_class": 150, "base_epochs": 15, "days": (2, 10),
              "strategies": ("zero-shot", "scratch", "transfer")},
    "full": {"n_target": 8000, "train_sizes": (0.02, 0.05, 0.1, 0.25, 0.3, 0.5, 0.75, 1.0),
             "n_repeats": 5, "max_epochs": 100, "n_base_per_class": 3000, "base_epochs": 100,
             "days": (0, 2, 5, 10, 20, 40, 80), "strategies": ("zero-shot", "scratch", "transfer", "frozen")},
}

#: Classes with fewer light curves than this are left out of a target (they
#: cannot be split into training and test sets at small label fractions).
MIN_PER_CLASS = 6

#: The paper's headline numbers (Gupta & Muthukrishna 2025).
PAPER = {
    "ztf-bts": "transfer matches scratch-on-all-labels with 25% of the labels (75% fewer labels)",
    "lsst": "transfer reaches 95% of the scratch baseline with 30% of the labels",
    "convergence": "about 25% faster convergence (not measured here: scratch does not stop early "
                   "below 10,000 light curves, so its epochs say nothing about convergence)",
}


def default_targets():
    """The targets ``reproduce`` runs by default: data no one here simulated, where there are some.

    PLAsTiCC (an LSST simulation made by its own team) for ZTF -> LSST; the
    real Bright Transient Survey when a :func:`~skltransient.datasets.fetch_bts`
    cache is present, else the BTS-like simulation (circular: drawn from the
    base model's own simulator, and labelled so).
    """
    from pathlib import Path

    from .datasets import get_data_home

    cached = (Path(get_data_home()) / "bts" / "catalogue.csv").is_file()
    return ["plasticc", "bts" if cached else "ztf-bts"]


def load_target(name, n_objects, base_classes, random_state):
    """Target data, labels and the class map from the base model's classes to the target's.

    Parameters
    ----------
    name : {"lsst", "ztf-bts", "plasticc", "bts"} or path
        ``"bts"`` fetches the real Bright Transient Survey (:func:`~skltransient.datasets.fetch_bts`,
        cached in its default folder); a folder holding a ``bts`` cache of it is read without
        the network; any other path is a labelled data file.
    """
    from pathlib import Path

    from .datasets import PARENT_CLASSES, fetch_bts, load_plasticc

    rng = np.random.RandomState(random_state)
    if name == "lsst":
        X, y = simulate("lsst", n_objects, class_fractions=dict.fromkeys(base_classes, 1 / len(base_classes)),
                        random_state=rng.randint(2**31 - 1), return_X_y=True)
        return X, y, None
    if name == "ztf-bts":
        X, y = simulate("ztf-bts", n_objects, random_state=rng.randint(2**31 - 1), return_X_y=True)
        return X, np.array([BTS_CLASS_MAP[c] for c in y]), dict(BTS_CLASS_MAP)
    if name == "plasticc":
        X, y = load_plasticc(return_X_y=True)
        class_map = {c: PARENT_CLASSES.get(c, c) for c in base_classes}
        class_map.update({"SN IIn": "SN II"})
        index = _stratified_subset(np.flatnonzero(np.isin(y, sorted(set(class_map.values())))),
                                   y, n_objects, rng)
        return X[index], y[index], class_map
    if name == "bts" or (Path(name) / "bts" / "catalogue.csv").is_file():
        X, y = fetch_bts(None if name == "bts" else name, download_if_missing=name == "bts",
                         return_X_y=True)
        index = _stratified_subset(np.arange(len(y)), y, n_objects, rng)
        return X[index], y[index].astype(str), dict(BTS_CLASS_MAP)
    X, y = read_data(name)
    if y is None:
        raise ValueError(f"{name} has no labels; reproduce needs a labelled target set.")
    return X, y, None


def _stratified_subset(index, y, n_objects, rng):
    """At most ``n_objects`` of ``index``, stratified by ``y``, in their original order."""
    if n_objects < len(index):
        index = train_test_split(index, train_size=n_objects, stratify=y[index],
                                 random_state=rng.randint(2**31 - 1))[0]
    return np.sort(index)


def reproduce(targets=None, *, mode="quick", out="reproduce-output", device="auto", seed=0,
              n_jobs=None, overwrite=False):
    """Run the transfer-versus-scratch experiment on each target and write the report.

    Every arm gets its own recipe: the GRU from scratch the package's
    default pipeline (:func:`~skltransient.recipes.default_pipeline`: its own
    window, no early stopping below 10,000 light curves, lr 3e-3), transfer
    :class:`~skltransient.TransferClassifier`'s (lr 1e-3, early stopping on
    20 % of its labels), the feature baseline a cross-validated search inside
    each training subset (:func:`~skltransient.recipes.features_pipeline`),
    and the zero-shot base model (:class:`~skltransient.transfer.ZeroShotClassifier`)
    no label at all. Each repeat draws new label subsets and seeds.

    Writes into ``out``: ``results.md`` (mean and 95 % interval over
    repeats, headline numbers with their uncertainty beside the paper's,
    scores at days since trigger, calibration errors), ``results.csv`` (one
    row per fit: repeat, fraction, strategy, score) and PNG figures
    (learning curves, confusion matrices, one light curve with its class
    probabilities over time). The folder is written under a temporary name
    beside ``out`` and renamed to ``out`` when the run is complete (an
    interrupted run leaves the previous results); an existing ``out`` is
    refused unless ``overwrite=True``, which replaces it whole.

    Parameters
    ----------
    targets : list of str or None, default=None
        See :func:`load_target`; None runs :func:`default_targets`.
    """
    import matplotlib

    from .utils import atomic_write, check_output

    matplotlib.use("Agg")
    out = check_output(out, overwrite=overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out, overwrite=overwrite, folder=True) as folder:
        sections = _reproduce(targets, mode, folder, device, seed, n_jobs)
    _say(f"wrote {out / 'results.md'}, {out / 'results.csv'} and figures")
    return sections


def _reproduce(targets, mode, out, device, seed, n_jobs):
    """The body of :func:`reproduce`, writing into the (temporary) folder ``out``."""
    import pandas as pd
    import torch

    from . import pretrained

    settings = SETTINGS[mode]
    targets = default_targets() if targets is None else list(targets)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    started = time.perf_counter()
    threads = torch.get_num_threads()
    n_jobs = _n_jobs(n_jobs, device)
    if device == "cpu":
        torch.set_num_threads(1)
    if mode == "quick" and "ztf-sims" in pretrained.available() and device == "cpu":
        _say("base model: the shipped pretrained 'ztf-sims' (simulated ZTF, 11 classes)")
        base = pretrained.load("ztf-sims")
        base_report = None
    else:
        _say(f"base model: simulating {settings['n_base_per_class']} ZTF light curves per class "
             f"and training on {device}")
        base, base_report = train_base_model(
            settings["n_base_per_class"], max_epochs=settings["base_epochs"], device=device,
            n_test_per_class=settings.get("n_base_test_per_class", 200), random_state=seed,
            verbose=1)
    sections = []
    try:
        for target in targets:
            sections.append(_one_target(base, target, settings, device, seed, n_jobs, out))
    finally:
        torch.set_num_threads(threads)
    fits = [s["fits"].drop(columns="warnings").assign(target=s["name"]) for s in sections]
    pd.concat(fits).to_csv(out / "results.csv", index=False)
    seconds = time.perf_counter() - started
    (out / "results.md").write_text(_report(sections, base_report, mode, device, seed, seconds))
    _say(f"done in {seconds:.0f} s")
    return sections


def _n_jobs(n_jobs, device):
    """Parallel fits of ``reproduce``: as given, else one per core on CPU and one on a GPU.

    Every GRU fit has one torch thread (``GRUClassifier(n_threads=1)``, the
    base's), in one process or in several: parallel fits with one thread
    each use the cores far better than one fit with several threads (which
    slow down badly on a busy machine), and the arithmetic, hence the table,
    is the same whatever ``n_jobs`` is.
    """
    import os

    if n_jobs is not None:
        return n_jobs
    return (os.cpu_count() or 1) if device == "cpu" else 1


def _one_target(base, target, settings, device, seed, n_jobs, out):
    import warnings

    _say(f"target {target}: loading")
    X, y, class_map = load_target(target, settings["n_target"], base[-1].classes_, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return _run_target(base, X, y, class_map, str(target), settings, device, seed, n_jobs, out)


#: How titles and reports name the built-in targets; a file keeps its path.
TARGET_TITLES = {"lsst": "simulated LSST", "ztf-bts": "BTS-like simulated ZTF",
                 "plasticc": "PLAsTiCC (training set)", "bts": "the real ZTF Bright Transient Survey"}

#: What a reader must know of a target before reading its numbers.
TARGET_CAVEATS = {
    "lsst": ("Same simulator as the base model (another survey model): an upper bound on what "
             "transfer to a real survey would give."),
    "ztf-bts": ("Circular: the BTS-like target is the base model's own simulator with a few "
                "perturbations, not real data. The zero-shot column shows how much of each "
                "transfer score the base model had before it saw a single target label."),
    "plasticc": ("External: PLAsTiCC was simulated by its own team with its own models of every "
                 "class; the base model never saw it."),
    "bts": "Real data: the ZTF Bright Transient Survey, as fetched and cached by fetch_bts.",
}


def _title(name):
    return TARGET_TITLES.get(name, name)


def _say(message):
    print(f"[skltransient reproduce] {message}", flush=True)


def _run_target(base, X, y, class_map, name, settings, device, seed, n_jobs, out):
    import matplotlib.pyplot as plt

    from .early import predict_proba_at, predict_proba_over_time
    from .metrics import scores_over_time
    from .plotting import (plot_confusion_matrices, plot_learning_curve,
                           plot_lightcurve_probabilities, plot_scores_over_time)
    from .transfer import ZeroShotClassifier, headline_numbers, transfer_learning_curve

    slug = name.replace("/", "_").replace(".", "_")
    labels, counts = np.unique(y, return_counts=True)
    rare = labels[counts < MIN_PER_CLASS]
    if rare.size:
        _say(f"target {name}: leaving out classes with fewer than {MIN_PER_CLASS} light curves: "
             f"{', '.join(f'{c} ({n})' for c, n in zip(labels, counts) if c in rare)}")
        keep = ~np.isin(y, rare)
        X, y = X[keep], y[keep]
    epochs = settings["max_epochs"]
    # Every GRU fit trains with the package's augmentation, whatever the base was trained with.
    augmentation = {key: GRUClassifier().get_params()[key] for key in AUGMENTATION}
    # Transfer's own recipe: early stopping on 20 % of its labels (TransferClassifier's rule).
    transfer_params = {"class_map": class_map, "max_epochs": epochs, "device": device,
                       "validation_fraction": 0.2, "n_iter_no_change": 4,
                       "classifier_params": augmentation}
    # Scratch's own recipe: the default pipeline (its window, early_stopping="auto", lr 3e-3).
    scratch = default_pipeline(max_epochs=epochs, device=device, random_state=seed)
    baselines = _baselines(seed)
    strategies = settings["strategies"]
    _say(f"target {name}: {len(X)} light curves, {len(np.unique(y))} classes; learning curve "
         f"over {len(settings['train_sizes'])} fractions x {len(strategies) + len(baselines)} "
         f"strategies x {settings['n_repeats']} repeats")
    pool, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=seed)
    curve, fits = transfer_learning_curve(
        base, X, y, train_sizes=settings["train_sizes"], strategies=strategies,
        baselines=baselines, n_repeats=settings["n_repeats"], transfer_params=transfer_params,
        scratch_estimator=scratch, random_state=seed, n_jobs=n_jobs, verbose=1, return_fits=True,
        test_indices=test, return_estimators=True)
    numbers = {strategy: headline_numbers(fits, strategy=strategy)
               for strategy in ("zero-shot", "transfer", "frozen", "features")
               if strategy in set(fits["strategy"])}
    ax = plot_learning_curve(curve, title=f"Transfer from simulated ZTF to {_title(name)}")
    ax.figure.savefig(out / f"{slug}_learning_curve.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)

    # The confusion matrices, early scores, calibration and example figure use
    # the models of the table's first repeat on all the training labels: the
    # models the table scored, not a second training.
    models = _models_on_all_labels(fits)
    zero_shot = (models["zero-shot"] if "zero-shot" in models else
                 ZeroShotClassifier(base, class_map=class_map).fit(X[pool], y[pool]))
    scratch, transfer = models["scratch"], models["transfer"]
    n_labels = len(pool)
    fig = plot_confusion_matrices(
        [("zero-shot (no target label)", zero_shot),
         (f"GRU from scratch ({n_labels} labels)", scratch),
         (f"transfer, all layers ({n_labels} labels)", transfer)], X[test], y[test],
        title=f"{_title(name)}: {len(test)} held-out light curves")
    fig.savefig(out / f"{slug}_confusion.png", dpi=120, bbox_inches="tight")
    plt.close(fig)

    days = settings["days"]
    early = {label: scores_over_time(y[test], predict_proba_at(model, X[test], days), model.classes_, days)
             for label, model in [("zero-shot", zero_shot), ("scratch", scratch), ("transfer", transfer)]}
    for label, baseline in baselines.items():
        # The baseline is trained and scored on light curves cut at each phase.
        _say(f"target {name}: {label} baseline trained at {', '.join(map(str, days))} days after "
             f"trigger")
        early[label] = _baseline_over_time(baseline, X[pool], y[pool], X[test], y[test], days,
                                           n_jobs)
    _say(f"target {name}: calibration and figures")
    ax = plot_scores_over_time(
        early["transfer"], title=f"{_title(name)}: transfer (all layers, {n_labels} labels) "
        f"after trigger")
    ax.figure.savefig(out / f"{slug}_early.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)

    ece = _calibration_errors(transfer, X[test], y[test], seed)

    proba, times = predict_proba_over_time(transfer, X[test])
    correct = np.flatnonzero(transfer.predict(X[test]) == y[test])
    example = int(correct[np.argmax(X[test].lengths[correct])]) if correct.size else 0
    fig = plot_lightcurve_probabilities(X[test], example, proba, times, transfer.classes_,
                                        title=f"{_title(name)}: object {X[test].object_ids[example]} "
                                        f"({y[test][example]}, held out)\nprobabilities of "
                                        f"transfer (all layers) trained on {n_labels} labels")
    fig.savefig(out / f"{slug}_lightcurve.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return {"name": name, "curve": curve, "fits": fits.drop(columns="estimator"), "left_out": rare.tolist(),
            "numbers": numbers, "early": early, "ece": ece, "n": len(X),
            "n_classes": len(np.unique(y)), "slug": slug, "max_epochs": epochs,
            "train_sizes": tuple(settings["train_sizes"]), "n_repeats": settings["n_repeats"]}


def _models_on_all_labels(fits):
    """The fitted model of each strategy in the first repeat with the largest fraction."""
    last = fits[(fits["repeat"] == fits["repeat"].min())
                & (fits["train_size"] == fits["train_size"].max())]
    return dict(zip(last["strategy"], last["estimator"]))


def _calibration_errors(model, X, y, seed):
    """Expected calibration error before and after temperature scaling, calibrated on one half.

    The test set is split in two (stratified where every class has two
    members): temperature scaling is fitted on one half and scored on the
    other, both ways round, and the two errors averaged; "before" is
    scored on the same halves and averaged the same way, since the binned
    error of a smaller set is larger.
    """
    from .calibration import calibrate
    from .metrics import expected_calibration_error

    labels, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 else None
    first, second = train_test_split(np.arange(len(y)), test_size=0.5, stratify=stratify,
                                     random_state=seed)
    proba = model.predict_proba(X)
    halves = ((first, second), (second, first))
    before = [expected_calibration_error(y[score], proba[score], model.classes_) for _, score in halves]
    after = [expected_calibration_error(y[score], calibrate(model, X[fit], y[fit]).predict_proba(
        X[score]), model.classes_) for fit, score in halves]
    return {"before": float(np.mean(before)), "after": float(np.mean(after))}


def _baselines(seed):
    """The feature baseline as a learning-curve strategy, when ``light-curve`` is installed."""
    try:
        import light_curve  # noqa: F401
    except ImportError:
        _say(f"light-curve is not installed ({install_hint('light_curve', 'features')}): "
             f"no feature baseline")
        return {}
    return {"features": features_pipeline(tuned=True, random_state=seed)}


def _fit_all(fits, n_jobs):
    """Fitted models of ``(model, X, y)`` triples, in parallel, the cores divided among workers."""
    import os

    from joblib import Parallel, delayed

    workers = min(len(fits), n_jobs or 1)
    threads = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None
    return Parallel(n_jobs=workers)(delayed(_fit_limited)(model, X, y, threads)
                                    for model, X, y in fits)


def _fit_limited(model, X, y, threads):
    """``model.fit(X, y)`` with at most ``threads`` OpenMP and BLAS threads (None: as they are)."""
    from threadpoolctl import threadpool_limits

    if threads is None:
        return model.fit(X, y)
    with threadpool_limits(threads):
        return model.fit(X, y)


def _baseline_over_time(baseline, X_fit, y_fit, X_test, y_test, days, n_jobs=None):
    """Scores after trigger of a model trained and scored on light curves cut at each day."""
    import pandas as pd
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, roc_auc_score

    def cut(lc, day):
        return lc.truncate(days_since_trigger=day)

    models = _fit_all([(clone(baseline), cut(X_fit, day), y_fit) for day in days], n_jobs)
    rows = {}
    for day, model in zip(days, models):
        proba = model.predict_proba(cut(X_test, day))
        predicted = model.classes_[np.argmax(proba, axis=1)]
        try:
            auc = roc_auc_score(y_test, proba, multi_class="ovr", labels=model.classes_)
        except ValueError:
            auc = np.nan
        rows[day] = {"f1_macro": f1_score(y_test, predicted, average="macro"),
                     "accuracy": accuracy_score(y_test, predicted), "roc_auc_macro": auc}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("day")


def _share_note(train_sizes, at=0.3):
    """How the share of the baseline at ``at`` of the labels was obtained."""
    sizes = np.sort(np.asarray(train_sizes, dtype=float))
    if np.any(np.isclose(sizes, at)):
        return f"The share at {100 * at:.0f}% is measured ({100 * at:.0f}% is one of the fractions)."
    below, above = sizes[sizes < at], sizes[sizes > at]
    if below.size and above.size:
        return (f"The share at {100 * at:.0f}% is interpolated linearly between the measured "
                f"{100 * below[-1]:.0f}% and {100 * above[0]:.0f}%.")
    return f"The share at {100 * at:.0f}% is extrapolated from the nearest measured fraction."


#: How the report names each arm, in its column order.
ARM_NAMES = {"zero-shot": "zero-shot (no target label)", "scratch": "GRU from scratch",
             "transfer": "transfer (all layers)", "frozen": "transfer (frozen encoder)",
             "features": "features + boosting (tuned)"}

RECIPES_NOTE = (
    "Each arm has its own recipe. GRU from scratch: the package's default pipeline "
    "(`skltransient.recipes.default_pipeline`: every observation, no early stopping below 10,000 "
    "light curves, so it trains on all its labels for `max_epochs`; lr 3e-3, the default for "
    "random initial weights). Transfer: `TransferClassifier`'s (the base's window; early stopping "
    "on 20% of its labels, patience 4; lr 1e-3, smaller steps that keep what the base learned). "
    "Every GRU fit trains with the package's augmentation. Features + boosting: the tree size "
    "and minimum leaf size of the boosting chosen by 3-fold cross-validation inside each training subset "
    "(`skltransient.recipes.features_pipeline(tuned=True)`). Zero-shot: the base model with no "
    "target label, its classes mapped onto the target's (a target class no base class maps onto "
    "is never predicted).")


def _interval(mean, low, high, percent=False):
    """``0.652 [0.640, 0.664]``; without brackets when there is no interval (one repeat)."""
    scale, unit, digits = (100, "%", 0) if percent else (1, "", 3)
    text = f"{scale * mean:.{digits}f}{unit}"
    if np.isnan(low) or np.isclose(low, high):
        return text
    return f"{text} [{scale * low:.{digits}f}, {scale * high:.{digits}f}]"


def _match_text(numbers, smallest):
    """The match fraction with what the intervals allow one to say of it."""
    match, earliest = numbers["match_fraction"], numbers["match_fraction_earliest"]
    if match == smallest:
        return f"{100 * match:.0f}% or fewer (the smallest fraction measured)"
    if np.isnan(match):
        return "never" if numbers["match_resolved"] else (
            f"never on average; not resolved (a match cannot be excluded from {100 * earliest:.0f}%)")
    if numbers["match_resolved"]:
        return f"{100 * match:.0f}%"
    return (f"{100 * match:.0f}% on average; not resolved (cannot be told from scratch on all "
            f"labels from {100 * earliest:.0f}%)")


def _report(sections, base_report, mode, device, seed, seconds):
    lines = [f"# skltransient reproduce --{mode}", "",
             f"Measured {datetime.date.today().isoformat()} on {platform.machine()} "
             f"({platform.system()}), device {device}, seed {seed}, in {seconds:.0f} s, with "
             f"skltransient {__version__}. Base model: "
             + ("the shipped `ztf-sims`." if base_report is None else
                f"trained here, held-out macro F1 {base_report['f1_macro']:.3f}."), "",
             RECIPES_NOTE, ""]
    for s in sections:
        lines += _target_report(s)
    lines += ["Paper (Gupta & Muthukrishna 2025): " + "; ".join(PAPER.values()) + ".", ""]
    return "\n".join(lines)


def _target_report(s):
    curve, numbers = s["curve"], s["numbers"]
    arms = [k for k in ARM_NAMES if k in set(curve["strategy"])]
    table = curve.set_index(["train_size", "strategy"])
    lines = [f"## Target: {_title(s['name'])} ({s['n']} light curves, {s['n_classes']} classes)", ""]
    if s["name"] in TARGET_CAVEATS:
        lines += [f"**{TARGET_CAVEATS[s['name']]}**", ""]
    if s["left_out"]:
        lines += [f"Left out for having fewer than {MIN_PER_CLASS} light curves: "
                  f"{', '.join(s['left_out'])}.", ""]
    lines += [f"Macro F1 on a fixed held-out test set (30%), by fraction of the training labels: "
              f"mean and 95% interval over {s['n_repeats']} repeats (each its own label subsets "
              f"and seed):", "",
              "| labels | " + " | ".join(ARM_NAMES[k] for k in arms) + " |",
              "|---|" + "---|" * len(arms)]
    for size in sorted(curve["train_size"].unique()):
        cells = [_interval(*table.loc[(size, k), ["score_mean", "score_low", "score_high"]])
                 for k in arms]
        lines.append(f"| {100 * size:.0f}% | " + " | ".join(cells) + " |")
    reported = [k for k in ("transfer", "frozen", "zero-shot", "features") if k in numbers]
    lines += ["", "Against the GRU from scratch on all the training labels (paired by repeat):", "",
              "| headline | " + " | ".join(ARM_NAMES[k] for k in reported) + " | paper |",
              "|---|" + "---|" * (len(reported) + 1),
              "| labels at which it matches scratch on all labels | "
              + " | ".join(_match_text(numbers[k], min(s["train_sizes"])) for k in reported) + " | 25% (ZTF BTS) |",
              "| share of scratch on all labels, at 30% of the labels | "
              + " | ".join(_interval(numbers[k]["share_of_baseline_at"], numbers[k]["share_low"],
                                     numbers[k]["share_high"], percent=True) for k in reported)
              + " | 95% (LSST) |", "",
              _share_note(s["train_sizes"]) + " A match is *resolved* when, at every smaller "
              "fraction, the 95% interval of the paired difference lies below zero.", "",
              "Macro F1 after trigger (models trained on all the training labels; the GRUs "
              "from one pass over time, the baseline trained and scored on light curves cut "
              "at each phase; one repeat):", "",
              "| days since trigger | " + " | ".join(ARM_NAMES.get(k, k) for k in s["early"]) + " |",
              "|---|" + "---|" * len(s["early"])]
    for day in s["early"]["transfer"].index:
        lines.append(f"| {day:g} | " + " | ".join(f"{s['early'][k].loc[day].f1_macro:.3f}"
                                                  for k in s["early"]) + " |")
    lines += ["", f"Expected calibration error of the transfer model on the test set: "
              f"{s['ece']['before']:.3f}; after temperature scaling {s['ece']['after']:.3f} (fitted "
              f"on one half of the test set and scored on the other, both ways round; both errors "
              f"are the mean over the two halves).", "",
              f"![learning curve]({s['slug']}_learning_curve.png) "
              f"![confusion]({s['slug']}_confusion.png) ![early]({s['slug']}_early.png) "
              f"![light curve]({s['slug']}_lightcurve.png)", ""]
    return lines
