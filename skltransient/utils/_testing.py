"""Tiny deterministic light-curve collections for tests and estimator checks."""

import numpy as np
import pandas as pd

from .._lightcurves import LightCurves

__all__ = ["make_toy_lightcurves"]

_TOY_CLASSES = np.array(["SN Ia", "SN II", "TDE", "KN", "AGN"])


def make_toy_lightcurves(n_objects=60, n_classes=3, n_obs=(8, 25), random_state=0,
                         bands=("ztfg", "ztfr")):
    """Light curves whose class sets the width of a Gaussian flare, and their labels.

    Not a physical simulation (see :func:`skltransient.datasets.simulate`):
    a fast, separable toy problem for tests. Object ids are strings such as
    ``"obj10"`` and ``"obj2"``, so that a lexicographic sort anywhere would
    show up as misaligned labels.

    Parameters
    ----------
    n_objects : int, default=60
    n_classes : int, default=3
        At most 5.
    n_obs : tuple of int, default=(8, 25)
        Range of observations per object.
    random_state : int, default=0
    bands : tuple of str, default=("ztfg", "ztfr")

    Returns
    -------
    lightcurves : LightCurves
        With metadata columns ``redshift`` and ``mwebv``.
    y : ndarray of shape (n_objects,) of str
    """
    rng = np.random.default_rng(random_state)
    y = np.arange(n_objects) % n_classes
    rng.shuffle(y)
    lengths = rng.integers(n_obs[0], n_obs[1] + 1, n_objects)
    obj = np.repeat(np.arange(n_objects), lengths)
    time = 58000 + rng.uniform(0, 80, obj.size)
    width = (5 + 10 * y)[obj]
    flux = 100 * np.exp(-0.5 * ((time - 58040) / width) ** 2) + rng.normal(0, 3, obj.size)
    band = np.asarray(bands)[rng.integers(0, len(bands), obj.size)]
    ids = np.array([f"obj{i}" for i in range(n_objects)])
    metadata = pd.DataFrame(
        {"redshift": rng.uniform(0.01, 0.2, n_objects), "mwebv": rng.uniform(0, 0.1, n_objects)},
        index=pd.Index(ids, name="object_id"))
    lc = LightCurves.from_arrays(ids[obj], time, band, flux, np.full(obj.size, 3.0),
                                 metadata=metadata)
    return lc, _TOY_CLASSES[y]
