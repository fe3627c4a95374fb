"""Tiny deterministic light-curve collections for tests, estimator checks and benchmarks."""

import numpy as np
import pandas as pd

from .._lightcurves import LightCurves

__all__ = ["make_fink_ztf_alerts", "make_toy_lightcurves"]

_TOY_CLASSES = np.array(["SN Ia", "SN II", "TDE", "KN", "AGN"])
_ZTF_FID = {"ztfg": 1, "ztfr": 2, "ztfi": 3}
# Fink's ZTF history arrays, in the order of datasets.ALERT_HISTORY_FIELDS["ztf"].
FINK_ZTF_COLUMNS = ("cjd", "cfid", "cmagpsf", "csigmapsf", "cdiffmaglim", "cisdiffpos")


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


def make_fink_ztf_alerts(lightcurves):
    """ZTF light curves as one alert each, with Fink's history arrays, as a pyarrow table.

    The inverse of :func:`skltransient.datasets.read_alert_history` up to
    its conversions: a detection (``lightcurves.detected``, or a flux above
    five sigma when there are no flags) becomes ``magpsf``, ``sigmapsf``
    and ``isdiffpos``; every epoch gets the five-sigma ``diffmaglim`` of
    its uncertainty, so that a non-detection reads back as an upper limit
    (flux 0). No loop over objects.

    Parameters
    ----------
    lightcurves : LightCurves
        In the ZTF bands (``ztfg``, ``ztfr``, ``ztfi``).

    Returns
    -------
    alerts : pyarrow.Table
        Columns ``objectId`` (the position of the light curve) and
        ``cjd``, ``cfid``, ``cmagpsf``, ``csigmapsf``, ``cdiffmaglim``,
        ``cisdiffpos``, one array per alert.
    """
    import pyarrow as pa

    lc = lightcurves
    band = pd.Series(np.asarray(lc.band_names))
    fid = band.map(_ZTF_FID)
    if fid.isna().any():
        raise ValueError(f"make_fink_ztf_alerts takes ZTF light curves; band "
                         f"{band[fid.isna()].iloc[0]!r} has no ZTF fid.")
    detected = lc.detected if lc.detected is not None else lc.flux > 5 * lc.flux_err
    with np.errstate(divide="ignore", invalid="ignore"):
        magpsf = np.where(detected, 27.5 - 2.5 * np.log10(np.abs(lc.flux)), np.nan)
        sigmapsf = np.where(detected, lc.flux_err / np.abs(lc.flux) * 2.5 / np.log(10), np.nan)
        diffmaglim = 27.5 - 2.5 * np.log10(5 * lc.flux_err)
    isdiffpos = pa.array(np.where(detected, np.where(lc.flux >= 0, "t", "f"), None),
                         type=pa.string())
    values = (lc.time + 2400000.5, fid.to_numpy(np.int64), magpsf, sigmapsf, diffmaglim)
    offsets = pa.array(lc.offsets.astype(np.int32))
    arrays = [pa.ListArray.from_arrays(offsets, pa.array(v, from_pandas=True)) for v in values]
    arrays.append(pa.ListArray.from_arrays(offsets, isdiffpos))
    return pa.table({"objectId": pa.array(np.arange(len(lc))),
                     **dict(zip(FINK_ZTF_COLUMNS, arrays, strict=True))})
