"""Host redshifts as a survey knows them: photometric, spectroscopic or missing.

A simulated object's true redshift is ``true_z``; what a classifier is given
in ``redshift`` is what the survey's alert stream or a host-galaxy catalogue
would report. Photometric redshifts scatter around the truth by
``scatter * (1 + z)`` (a normalised median absolute deviation), and a fraction
are catastrophic outliers, drawn uniformly over the catalogue's redshift
range; some hosts have a spectroscopic redshift instead, and some objects
have no redshift at all (no host found, or a host outside the photo-z
catalogue's footprint).
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["EXACT_REDSHIFTS", "HostRedshifts"]

#: ``|dz| / (1 + z)`` beyond which a photometric redshift is a catastrophic outlier.
OUTLIER_THRESHOLD = 0.15


@dataclass(frozen=True)
class HostRedshifts:
    """How a survey reports its objects' host redshifts.

    Parameters
    ----------
    scatter : float, default=0.0
        Gaussian scatter of a photometric redshift in units of ``1 + z``
        (0: exact redshifts).
    outlier_fraction : float, default=0.0
        Fraction of photometric redshifts that are catastrophic outliers:
        ``|redshift - z| / (1 + z) > 0.15``, the usual definition, drawn
        uniformly over the part of ``outlier_range`` that far from ``z``.
    outlier_range : tuple of float, default=(0.0, 1.0)
        Redshift range of the outliers (the catalogue's range).
    spectroscopic_fraction : float, default=0.0
        Fraction of objects whose host has a spectroscopic redshift, reported
        with ``spectroscopic_scatter`` and no outliers.
    spectroscopic_scatter : float, default=0.0
        Scatter of a spectroscopic redshift in units of ``1 + z``.
    missing_fraction : float, default=0.0
        Fraction of objects with no reported redshift (NaN).
    source : str, default=""
        Where the numbers come from, for ``DESCR`` and the docs.

    Notes
    -----
    ``redshift_err`` reports each redshift's quoted uncertainty:
    ``scatter * (1 + redshift)`` for a photometric one (outliers included: a
    catalogue does not know which of its redshifts are outliers),
    ``spectroscopic_scatter * (1 + redshift)`` for a spectroscopic one, NaN
    when missing. Reported redshifts are clipped at 0.
    """

    scatter: float = 0.0
    outlier_fraction: float = 0.0
    outlier_range: tuple = (0.0, 1.0)
    spectroscopic_fraction: float = 0.0
    spectroscopic_scatter: float = 0.0
    missing_fraction: float = 0.0
    source: str = ""

    def __post_init__(self):
        for name in ("outlier_fraction", "spectroscopic_fraction", "missing_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"HostRedshifts: {name} must be in [0, 1]; got {value!r}.")
        for name in ("scatter", "spectroscopic_scatter"):
            if not getattr(self, name) >= 0.0:
                raise ValueError(f"HostRedshifts: {name} must be 0 or more; got {getattr(self, name)!r}.")
        low, high = self.outlier_range
        if not 0.0 <= low < high:
            raise ValueError(f"HostRedshifts: outlier_range must be (low, high) with 0 <= low < high; "
                             f"got {self.outlier_range!r}.")

    def draw(self, true_z, rng):
        """Reported ``(redshift, redshift_err)`` of objects at ``true_z``.

        Parameters
        ----------
        true_z : ndarray of shape (n_objects,)
        rng : numpy.random.Generator

        Returns
        -------
        redshift, redshift_err : ndarray of shape (n_objects,)
            NaN for the objects with no reported redshift.
        """
        true_z = np.asarray(true_z, dtype=np.float64)
        n = true_z.shape[0]
        spectroscopic = rng.uniform(size=n) < self.spectroscopic_fraction
        scatter = np.where(spectroscopic, self.spectroscopic_scatter, self.scatter)
        redshift = true_z + scatter * (1.0 + true_z) * rng.standard_normal(n)
        outlier = ~spectroscopic & (rng.uniform(size=n) < self.outlier_fraction)
        redshift = np.where(outlier, self._outliers(true_z, rng.uniform(size=n)), redshift)
        redshift = np.clip(redshift, 0.0, None)
        missing = rng.uniform(size=n) < self.missing_fraction
        redshift_err = scatter * (1.0 + redshift)
        return np.where(missing, np.nan, redshift), np.where(missing, np.nan, redshift_err)

    def _outliers(self, true_z, u):
        """Outlier redshifts: ``u`` in [0, 1) mapped uniformly onto the range outside +-0.15 (1 + z)."""
        low, high = self.outlier_range
        near_low = np.clip(true_z - OUTLIER_THRESHOLD * (1.0 + true_z), low, high)
        near_high = np.clip(true_z + OUTLIER_THRESHOLD * (1.0 + true_z), low, high)
        below = near_low - low
        t = u * (below + high - near_high)
        # A range with no room outside the threshold (tiny ranges) falls back to its edges.
        return np.where(t < below, low + t, near_high + (t - below))

    def describe(self):
        """One sentence for ``DESCR``."""
        if self == EXACT_REDSHIFTS:
            return "Reported redshifts are the true ones (exact, none missing)."
        parts = [f"photometric with scatter {self.scatter:g}(1+z) and {100 * self.outlier_fraction:g}% "
                 f"catastrophic outliers uniform in z {self.outlier_range[0]:g}-{self.outlier_range[1]:g}"]
        if self.spectroscopic_fraction:
            parts.insert(0, f"spectroscopic ({self.spectroscopic_scatter:g}(1+z)) for "
                            f"{100 * self.spectroscopic_fraction:g}% of objects, otherwise")
        if self.spectroscopic_fraction == 1.0:
            parts = [f"spectroscopic with scatter {self.spectroscopic_scatter:g}(1+z)"]
        text = "Reported host redshifts are " + " ".join(parts)
        text += f"; {100 * self.missing_fraction:g}% are missing (NaN)."
        return text + (f" Source: {self.source}" if self.source else "")


#: Exact redshifts, none missing: the truth as a classifier's input (an upper bound).
EXACT_REDSHIFTS = HostRedshifts()
