"""
=========================================
Reading PLAsTiCC, alert and Parquet files
=========================================

Every reader of :mod:`skltransient.datasets` returns a
:class:`~skltransient.LightCurves` with fluxes in the SNANA ``FLUXCAL``
unit (AB zero point 27.5), times in MJD and bands from the band registry,
so light curves from any source can be mixed, classified and written to
one Parquet file. This example builds light curves from a table of its
own, reads the PLAsTiCC format, reads real ZTF alert packets and simulated
Rubin alerts, and writes and reads a Parquet file.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# From a table of your own
# ------------------------
#
# :meth:`LightCurves.from_pandas <skltransient.LightCurves.from_pandas>`
# takes a long table, one row per observation, and finds its columns
# through an alias map: here SNANA's names ``SNID``, ``MJD``, ``FLT``,
# ``FLUXCAL`` and ``FLUXCALERR``. Single-letter band names need the survey.
# The metadata table, indexed by object id, sets the order of the objects.
import numpy as np
import pandas as pd

from skltransient import LightCurves

observations = pd.DataFrame({
    "SNID": ["sn1", "sn1", "sn1", "sn2", "sn2"],
    "MJD": [60001.2, 60000.1, 60003.0, 60010.5, 60012.4],
    "FLT": ["g", "r", "r", "i", "g"],
    "FLUXCAL": [120.0, 95.0, 140.0, 30.0, 42.0],
    "FLUXCALERR": [8.0, 7.5, 9.0, 6.0, 6.5],
})
metadata = pd.DataFrame({"redshift": [0.05, 0.31], "mwebv": [0.02, 0.11]},
                        index=pd.Index(["sn2", "sn1"], name="object_id"))
lc = LightCurves.from_pandas(observations, metadata, survey="lsst")
print(lc)
lc.to_pandas()

# %%
# The PLAsTiCC format
# -------------------
#
# :func:`~skltransient.datasets.read_plasticc` reads the two tables of the
# PLAsTiCC challenge, observations (``passband`` 0 to 5 is LSST ``ugrizy``)
# and metadata, from CSV files or data frames, and returns the light curves
# and their class names. The redshift is the host's spectroscopic redshift
# where there is one and its photometric redshift otherwise.
from skltransient.datasets import read_plasticc

plasticc_observations = pd.DataFrame({
    "object_id": [615, 615, 615, 713, 713],
    "mjd": [59750.42, 59750.43, 59751.40, 59825.21, 59826.17],
    "passband": [2, 1, 3, 3, 4],
    "flux": [-544.8, -816.4, -471.4, 5.2, 6.9],
    "flux_err": [3.6, 5.6, 3.8, 1.1, 1.4],
    "detected_bool": [1, 1, 1, 0, 0],
})
plasticc_metadata = pd.DataFrame({
    "object_id": [615, 713], "hostgal_specz": [0.0, -9.0], "hostgal_photoz": [0.0, 1.627],
    "hostgal_photoz_err": [0.0, 0.255], "mwebv": [0.017, 0.007], "target": [92, 88],
})
lc, labels = read_plasticc(plasticc_observations, plasticc_metadata)
print(lc, labels)

# %%
# :func:`~skltransient.datasets.load_plasticc` reads the whole labelled
# PLAsTiCC training set, 7,848 simulated LSST light curves of 14 classes,
# from a local copy. By default that is the copy inside the PyPI package
# ``snmachine``, installed without its dependencies
# (``pip install --no-deps snmachine``); nothing is downloaded. The bar
# chart shows how unequal the classes are.
import matplotlib.pyplot as plt

from skltransient.datasets import load_plasticc

try:
    plasticc = load_plasticc()
except (ImportError, FileNotFoundError) as error:
    print(f"PLAsTiCC training set not available here: {error}")
else:
    print(plasticc.lightcurves)
    names, counts = np.unique(plasticc.target, return_counts=True)
    order = np.argsort(counts)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.barh(names[order], counts[order], color="tab:blue")
    ax.set_xlabel("Light curves")
    ax.set_title("Classes of the PLAsTiCC training set")
    fig.tight_layout()

# %%
# Alert packets
# -------------
#
# Alert brokers export alert packets as Parquet files; the surveys
# distribute them as Avro files. :func:`~skltransient.datasets.read_ztf_alerts`
# and :func:`~skltransient.datasets.read_lsst_alerts` read either and join
# each object's alerts into one light curve, keeping each epoch once.
#
# The samples read here are small public test sets of the Fink broker: real
# ZTF alerts and simulated Rubin alerts of the ELAsTiCC challenge. They are
# looked for in a ``shared/data`` folder beside the repository; where they
# are absent, this part is skipped.
from pathlib import Path

from skltransient.datasets import read_lsst_alerts, read_ztf_alerts

candidates = [Path("../shared/data"), Path("../../shared/data")]
data_dir = next((path for path in candidates
                 if (path / "ztf_alerts_history_sample.parquet").is_file()), None)
print("alert samples:", data_dir.resolve() if data_dir else "not found")

# %%
# A ZTF alert holds the detection that triggered it and up to 30 days of
# history, including non-detections, whose 5-sigma limiting magnitude
# becomes a flux of zero with an uncertainty of a fifth of the limiting
# flux and ``detected`` False. Alerts carry no redshift, so ``redshift`` is
# NaN, for a :class:`~skltransient.MetadataScaler` to flag as missing.
BAND_COLOURS = {"ztfg": "tab:green", "ztfr": "tab:red", "lsstu": "tab:purple",
                "lsstg": "tab:green", "lsstr": "tab:red", "lssti": "tab:brown",
                "lsstz": "tab:grey", "lssty": "black"}


def plot_alert_lightcurve(ax, one):
    """Detections with error bars; non-detections as their 5-sigma upper limits."""
    detected = one.detected if one.detected is not None else np.ones(len(one.time), bool)
    start = one.trigger_time[0]
    for band in np.unique(one.band_names):
        rows = one.band_names == band
        colour = BAND_COLOURS.get(band, "black")
        hit, limit = rows & detected, rows & ~detected
        ax.errorbar(one.time[hit] - start, one.flux[hit], one.flux_err[hit], fmt="o", ms=4,
                    color=colour, label=band)
        ax.plot(one.time[limit] - start, 5 * one.flux_err[limit], "v", color=colour, alpha=0.5)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("Days since first detection")
    ax.set_ylabel("Flux (FLUXCAL)")
    ax.legend(fontsize="small", ncol=2)


if data_dir is not None:
    ztf = read_ztf_alerts(data_dir / "ztf_alerts_history_sample.parquet")
    print(ztf)
    print("detected fraction:", ztf.detected.mean().round(2))
    n_detections = np.add.reduceat(ztf.detected.astype(int), ztf.offsets[:-1])
    richest = int(np.argmax(n_detections))
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_alert_lightcurve(ax, ztf[richest])
    ax.set_title(f"ZTF alerts of {ztf.object_ids[richest]}, the object with most detections"
                 "\n(triangles: 5-sigma upper limits of non-detections)", fontsize="medium")
    fig.tight_layout()

# %%
# ELAsTiCC's simulated Rubin alerts have fluxes in nanojansky, converted to
# ``FLUXCAL`` by the reader, and carry the Milky Way reddening and, for
# objects in a galaxy, the host's redshift. Like any alert stream, the
# sample mixes transients with long-lived variable sources; we plot the
# object with the most detections among those with a host redshift.
if data_dir is not None:
    lsst = read_lsst_alerts(data_dir / "elasticc_alerts_sample.parquet")
    print(lsst)
    print(lsst.metadata[["redshift", "redshift_err", "mwebv"]].describe().round(3))
    has_host = lsst.metadata["redshift"].notna().to_numpy()
    n_detections = np.add.reduceat(lsst.detected.astype(int), lsst.offsets[:-1])
    richest = int(np.argmax(np.where(has_host, n_detections, -1)))
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_alert_lightcurve(ax, lsst[richest])
    z = lsst.metadata["redshift"].iloc[richest]
    ax.set_title(f"Simulated Rubin alerts of object {lsst.object_ids[richest]} (z = {z:.2f})")
    fig.tight_layout()

# %%
# Parquet files
# -------------
#
# :meth:`~skltransient.LightCurves.to_parquet` writes observations, metadata
# and, optionally, labels to one file, and
# :meth:`~skltransient.LightCurves.read_parquet` reads them back exactly:
# the same ids, observations, metadata and labels, with the same dtypes.
# It is the format that ``skltransient simulate`` writes and every command
# of the command line reads. Here we write the ZTF alerts read above or,
# without the alert samples, simulated ZTF light curves.
import tempfile

from skltransient.datasets import simulate

if data_dir is not None:
    to_write, labels = ztf, None
else:
    to_write, labels = simulate("ztf", 50, random_state=0, return_X_y=True)

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "lightcurves.parquet"
    to_write.to_parquet(path, y=labels)
    print(f"{path.name}: {path.stat().st_size / 1024:.0f} kB")
    again, again_labels = LightCurves.read_parquet(path)

print(again)
same_observations = all(np.array_equal(getattr(again, name), getattr(to_write, name))
                        for name in ("object_ids", "time", "band", "flux", "flux_err"))
same_metadata = np.allclose(again.metadata.to_numpy(float), to_write.metadata.to_numpy(float),
                            rtol=1e-14, atol=0, equal_nan=True)
print("observations identical:", same_observations, "| metadata equal:", same_metadata)
plt.show()
