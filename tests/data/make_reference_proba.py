"""Write ``reference_proba.npz``: probabilities of the code as it stands, to compare against.

Run from the repository root, on the CPU with one torch thread::

    OMP_NUM_THREADS=1 python tests/data/make_reference_proba.py

``tests/test_reference_proba.py`` recomputes every array with the same
calls and requires them equal to the bit, so that a refactoring that must
not change the algorithms (issue 23) is checked to change no prediction.
Rerun this script only when a change of the predictions is intended, and
say so in the commit.
"""

from pathlib import Path

import numpy as np
import torch

#: Days since trigger at which ``predict_proba_at`` is asked (negative: before the trigger).
DAYS = (-5.0, 0.0, 3.0, 10.0, 40.0)

#: Objects streamed one observation at a time.
N_STREAMED = 12

PATH = Path(__file__).with_name("reference_proba.npz")


def data():
    """The light curves: simulated ZTF, 60 objects, fixed seed."""
    from skltransient.datasets import simulate

    return simulate("ztf", 60, random_state=0, return_X_y=True)


def small_pipeline(representation="observations", method="running_peak", **classifier):
    """A small GRU pipeline, fitted fast and reproducibly on the CPU."""
    from sklearn.pipeline import make_pipeline

    from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler

    params = dict(hidden_size=12, metadata_size=4, head_size=8, max_epochs=3, batch_size=16,
                  random_state=0)
    return make_pipeline(LightCurvePadder(representation), FluxNormalizer(method), MetadataScaler(),
                         GRUClassifier(**{**params, **classifier}))


def stream(model, X, n_objects=N_STREAMED):
    """Probabilities returned by a ClassificationStream fed the first objects' observations."""
    from skltransient.early import ClassificationStream

    part = X[np.arange(n_objects)]
    order = np.argsort(part.time, kind="stable")
    streaming = ClassificationStream(model)
    out = []
    for k in order:  # one observation per update, in time order over all objects
        oid = part.object_ids[part.object_index[k]]
        detected = None if part.detected is None else [bool(part.detected[k])]
        proba = streaming.update([oid], [part.time[k]], [part.band_names[k]], [part.flux[k]],
                                 [part.flux_err[k]], detected=detected,
                                 metadata=part.metadata.loc[[oid]])
        out.append(proba.to_numpy())
    return np.concatenate(out)


def compute():
    """Every array of the reference file, by name."""
    from skltransient import TransferClassifier, pretrained
    from skltransient.early import predict_proba_at, predict_proba_over_time

    torch.set_num_threads(1)
    X, y = data()
    out = {}
    base = pretrained.load("ztf-sims")
    out["pretrained_proba"] = base.predict_proba(X)
    out["pretrained_at"] = predict_proba_at(base, X, DAYS)
    out["pretrained_over_time"] = predict_proba_over_time(base, X[np.arange(10)])[0]
    out["pretrained_stream"] = stream(base, X)
    small = small_pipeline().fit(X, y)
    out["small_proba"] = small.predict_proba(X)
    out["small_decision"] = small.decision_function(X)
    out["small_embed"] = small[-1].embed(small[:-1].transform(X))
    out["small_at"] = predict_proba_at(small, X, DAYS)
    out["small_stream"] = stream(small, X)
    # Two classes, large enough for the stratified validation split of early stopping.
    y2 = np.where(y == "SN Ia", "Ia", "other")
    stopped = small_pipeline(early_stopping=True, validation_fraction=0.2, max_epochs=4,
                             sequence_loss=0.0, batching="random").fit(X, y2)
    out["stopped_proba"] = stopped.predict_proba(X)
    grid = small_pipeline("grid", "peak").fit(X, y)
    out["grid_at"] = predict_proba_at(grid, X, DAYS)  # cut light curves: the grid looks ahead
    tuned = TransferClassifier(base, freeze="encoder", max_epochs=2, random_state=0).fit(
        X[:40], y[:40])
    out["transfer_proba"] = tuned.predict_proba(X)
    out["transfer_at"] = tuned.predict_proba_at(X, DAYS)
    for adaptation in ("coral", "entropy"):
        adapted = TransferClassifier(small, max_epochs=2, random_state=0, adaptation=adaptation,
                                     unlabelled=X[40:], validation_fraction=0.25).fit(X[:40], y2[:40])
        out[f"transfer_{adaptation}_proba"] = adapted.predict_proba(X)
    return out


if __name__ == "__main__":
    np.savez_compressed(PATH, **compute())
    print(f"wrote {PATH}")
