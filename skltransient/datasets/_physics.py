"""Physical laws used by the light-curve simulator, each written once.

* Cosmology: flat Lambda-CDM with H0 = 70 km/s/Mpc and Omega_M = 0.3, the
  PLAsTiCC convention (Kessler et al. 2019), integrated numerically.
* The cosmic star-formation history of Madau & Dickinson (2014, Eq. 15),
  which sets the redshift evolution of the core-collapse rates.
* The Fitzpatrick (1999) dust law, with the optical/IR spline knots of the
  IDL routine ``fm_unred.pro`` (as in Barbary's ``extinction`` package).
* The Planck function.
* Synthetic AB photometry through approximate passbands: top hats whose
  width is the FWHM and whose pivot wavelength is the tabulated pivot of
  :mod:`skltransient.bands`, integrated by Gauss-Legendre quadrature.

Fluxes follow the SNANA/PLAsTiCC convention ``FLUXCAL = 10**(-0.4 (m - 27.5))``
with AB magnitudes ``m``.
"""

import functools
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from ..bands import get_band

__all__ = [
    "FLUXCAL_ZEROPOINT",
    "H0",
    "HC_OVER_K",
    "OMEGA_M",
    "Passband",
    "blackbody_absmag",
    "comoving_distance",
    "differential_comoving_volume",
    "distance_modulus",
    "fitzpatrick99",
    "fluxcal_to_mag",
    "get_passband",
    "luminosity_distance",
    "madau_dickinson_sfr",
    "mag_to_fluxcal",
    "planck",
    "planck_integral",
    "redshift_at_distance_modulus",
]

#: Hubble constant in km/s/Mpc and matter density of the flat Lambda-CDM
#: cosmology used by PLAsTiCC (SIMGEN_TEMPLATE_LSST.INPUT).
H0 = 70.0
OMEGA_M = 0.3
SPEED_OF_LIGHT = 299792.458  # km/s
#: Second radiation constant h c / k_B in Angstrom Kelvin (CODATA 2018).
HC_OVER_K = 1.438776877e8
#: SNANA zero point: FLUXCAL = 10**(-0.4 (m_AB - 27.5)) (PLAsTiCC README).
FLUXCAL_ZEROPOINT = 27.5

_Z_GRID = np.linspace(0.0, 12.0, 48001)


def _efunc(z):
    """Dimensionless Hubble rate E(z) = H(z)/H0 of flat Lambda-CDM."""
    return np.sqrt(OMEGA_M * (1.0 + z) ** 3 + (1.0 - OMEGA_M))


@functools.cache
def _comoving_table():
    integrand = 1.0 / _efunc(_Z_GRID)
    steps = 0.5 * (integrand[1:] + integrand[:-1]) * np.diff(_Z_GRID)
    return SPEED_OF_LIGHT / H0 * np.concatenate([[0.0], np.cumsum(steps)])


def comoving_distance(z):
    """Line-of-sight comoving distance in Mpc.

    Trapezoidal integration of ``c / H0 / E(z)`` on a grid of step 2.5e-4
    in redshift (relative error below 1e-7), interpolated linearly.

    Parameters
    ----------
    z : array-like
        Redshift, between 0 and 12.

    Returns
    -------
    distance : ndarray
    """
    return np.interp(z, _Z_GRID, _comoving_table())


def luminosity_distance(z):
    """Luminosity distance ``(1 + z) D_C`` in Mpc (flat universe)."""
    z = np.asarray(z, dtype=np.float64)
    return (1.0 + z) * comoving_distance(z)


def distance_modulus(z):
    """Distance modulus ``5 log10(D_L / 10 pc)``; about 38.3 at z = 0.1."""
    return 5.0 * np.log10(luminosity_distance(z)) + 25.0


def redshift_at_distance_modulus(mu):
    """Inverse of :func:`distance_modulus`, clipped to the grid (0, 12]."""
    table = 5.0 * np.log10((1.0 + _Z_GRID[1:]) * _comoving_table()[1:]) + 25.0
    return np.interp(mu, table, _Z_GRID[1:])


def differential_comoving_volume(z):
    """Comoving volume per unit redshift over the full sky, dV/dz in Mpc^3.

    ``dV/dz = 4 pi D_C(z)^2 c / (H0 E(z))`` (Hogg 1999, Eq. 28).
    """
    z = np.asarray(z, dtype=np.float64)
    return 4.0 * np.pi * comoving_distance(z) ** 2 * SPEED_OF_LIGHT / (H0 * _efunc(z))


def madau_dickinson_sfr(z):
    """Cosmic star-formation rate density in Msun/yr/Mpc^3 (Salpeter IMF).

    ``psi(z) = 0.015 (1 + z)^2.7 / (1 + ((1 + z) / 2.9)^5.6)``
    (Madau & Dickinson 2014, ARA&A 52, 415, Eq. 15).
    """
    zp1 = 1.0 + np.asarray(z, dtype=np.float64)
    return 0.015 * zp1**2.7 / (1.0 + (zp1 / 2.9) ** 5.6)


# Fitzpatrick (1999) constants: the FM90 ultraviolet curve with the average
# Galactic parameters (x0, gamma, c3, c4, c5), and the optical/IR spline knots
# in inverse microns, as in fm_unred.pro (IDL astrolib).
_F99_X0, _F99_GAMMA, _F99_C3, _F99_C4, _F99_C5 = 4.596, 0.99, 3.23, 0.41, 5.9
_F99_KNOTS = 1e4 / np.array([np.inf, 26500.0, 12200.0, 6000.0, 5470.0, 4670.0, 4110.0, 2700.0, 2600.0])


def _f99_uv(x, r_v):
    """E(lambda - V)/E(B - V) of the FM90 ultraviolet curve (x in 1/micron)."""
    c2 = -0.824 + 4.717 / r_v
    c1 = 2.030 - 3.007 * c2
    x2 = x * x
    drude = x2 / ((x2 - _F99_X0**2) ** 2 + x2 * _F99_GAMMA**2)
    y = np.clip(x - _F99_C5, 0.0, None)
    return c1 + c2 * x + _F99_C3 * drude + _F99_C4 * (0.5392 * y**2 + 0.05644 * y**3)


@functools.cache
def _f99_spline(r_v):
    knots = np.array([
        -r_v,
        0.26469 * r_v / 3.1 - r_v,
        0.82925 * r_v / 3.1 - r_v,
        -0.422809 + 1.00270 * r_v + 2.13572e-04 * r_v**2 - r_v,
        -5.13540e-02 + 1.00216 * r_v - 7.35778e-05 * r_v**2 - r_v,
        0.700127 + 1.00184 * r_v - 3.32598e-05 * r_v**2 - r_v,
        1.19456 + 1.01707 * r_v - 5.46959e-03 * r_v**2 + 7.97809e-04 * r_v**3
        - 4.45636e-05 * r_v**4 - r_v,
    ])
    knots = np.concatenate([knots, _f99_uv(_F99_KNOTS[7:], r_v)])
    return CubicSpline(_F99_KNOTS, knots, bc_type="natural")


def fitzpatrick99(wave, r_v=3.1):
    """Extinction per unit colour excess, A(lambda) / E(B - V), of Fitzpatrick (1999).

    The FM90 ultraviolet curve below 2700 Angstrom and a natural cubic spline
    through the optical/IR anchor points above it (Fitzpatrick 1999, PASP
    111, 63; knots as in ``fm_unred.pro``). Valid from 1000 Angstrom to 3.5
    microns; shorter wavelengths are clipped to 1000 Angstrom.

    Parameters
    ----------
    wave : array-like
        Wavelength in Angstrom.
    r_v : float or array-like, default=3.1
        Ratio of total to selective extinction, broadcast against ``wave``.

    Returns
    -------
    a_over_ebv : ndarray
        ``A(lambda) / E(B - V)``, e.g. 3.1 near 5500 Angstrom for R_V = 3.1.

    Examples
    --------
    >>> import numpy as np
    >>> from skltransient.datasets._physics import fitzpatrick99
    >>> np.round(fitzpatrick99([3006.78, 5530.52]) / 3.1, 5)  # A/A_V of fm_unred.pro
    array([1.79285, 0.97024])
    """
    x = 1e4 / np.clip(np.asarray(wave, dtype=np.float64), 1000.0, None)
    x, r_v = np.broadcast_arrays(x, np.asarray(r_v, dtype=np.float64))
    out = np.empty(x.shape)
    uv = x >= _F99_KNOTS[7]
    for value in np.unique(r_v):
        rows = r_v == value
        optical = rows & ~uv
        out[optical] = _f99_spline(value)(x[optical]) + value
        out[rows & uv] = _f99_uv(x[rows & uv], value) + value
    return out


def planck(wave, temperature):
    """Planck function B_lambda up to a constant factor.

    ``(wave / 1 micron)^-5 / (exp(hc / (k wave T)) - 1)``; the constant
    ``2 h c^2`` cancels wherever the simulator uses it, because every
    spectrum is normalised to an absolute magnitude.

    Parameters
    ----------
    wave : array-like
        Wavelength in Angstrom.
    temperature : array-like
        Temperature in Kelvin, broadcast against ``wave``.
    """
    wave = np.asarray(wave, dtype=np.float64)
    return (wave / 1e4) ** -5 / np.expm1(HC_OVER_K / (wave * temperature))


def planck_integral(temperature):
    """Integral of :func:`planck` over all wavelengths (Angstrom), which grows as T^4.

    ``1e20 (T / (hc/k))^4 pi^4 / 15``, the Stefan-Boltzmann law in the
    units of :func:`planck`.
    """
    return 1e20 * (np.asarray(temperature, dtype=np.float64) / HC_OVER_K) ** 4 * np.pi**4 / 15


#: Nominal solar luminosity in erg/s (IAU 2015 Resolution B3), 10 parsecs in cm, and the speed
#: of light in Angstrom/s: the absolute scale of a star's AB magnitudes.
SOLAR_LUMINOSITY = 3.828e33
_TEN_PARSECS = 3.0856775814913673e19
_C_ANGSTROM = 2.99792458e18


def blackbody_absmag(temperature, luminosity, band):
    """Absolute AB magnitude in a band of a blackbody star of given luminosity.

    The band-averaged ``f_nu`` at 10 pc of a Planck spectrum carrying
    ``luminosity`` solar luminosities: ``-2.5 log10(<f_nu>) - 48.6`` with
    ``<f_nu> = L / (4 pi (10 pc)^2) * <B_lambda> / (c int B_lambda)``. A
    5772 K blackbody of one solar luminosity gives M_V = 4.88 (the Sun: 4.8).

    Parameters
    ----------
    temperature : array-like
        Effective temperature in K.
    luminosity : array-like
        Bolometric luminosity in solar units.
    band : str
        A band name accepted by :func:`get_passband`.

    Returns
    -------
    absmag : ndarray
    """
    passband = get_passband(band)
    temperature = np.asarray(temperature, dtype=np.float64)
    band_flux = passband.integrate(planck(passband.wave, temperature[..., None]))
    fraction = band_flux / planck_integral(temperature)
    bolometric = np.asarray(luminosity) * SOLAR_LUMINOSITY / (4 * np.pi * _TEN_PARSECS**2)
    return -2.5 * np.log10(fraction * bolometric / _C_ANGSTROM) - 48.6


#: FWHM in Angstrom of the survey passbands, from the public filter curves
#: (PHYSICS.md section 1: ZTF filter x CCD QE; LSST syseng throughputs v1.9).
PASSBAND_FWHM = {
    "ztfg": 1320.0, "ztfr": 1555.0, "ztfi": 1462.0,
    "lsstu": 464.0, "lsstg": 1485.0, "lsstr": 1400.0, "lssti": 1286.0, "lsstz": 1040.0,
    "lssty": 863.0,
}
#: Rest-frame Johnson-Cousins bands in which literature peak magnitudes are
#: quoted, as (effective wavelength, FWHM) in Angstrom from Bessell (2005,
#: ARA&A 43, 293, Table 1). Taken as AB; the AB - Vega offset of B and V is
#: about 0.1 mag or less, well inside the population scatter.
REST_FRAME_BANDS = {"bessellb": (4380.0, 900.0), "bessellv": (5450.0, 850.0)}

_N_NODES = 6  # quadrature error below 2 mmag for the simulator's spectra


def _tophat_pivot(low, high):
    """Pivot wavelength of a top-hat photon-counting passband."""
    return np.sqrt((high**2 - low**2) / (2.0 * np.log(high / low)))


@dataclass(frozen=True)
class Passband:
    """A top-hat approximation of a photometric passband.

    The transmission is 1 over an interval of width ``fwhm`` placed so that
    its pivot wavelength equals ``pivot``; band fluxes are photon-counting
    averages of f_nu (AB convention), computed with ``n_nodes``-point
    Gauss-Legendre quadrature.

    Parameters
    ----------
    name : str
        Band name.
    pivot : float
        Pivot wavelength in Angstrom.
    fwhm : float
        Width in Angstrom.

    Attributes
    ----------
    edges : tuple of float
        Start and end of the top hat in Angstrom.
    wave : ndarray of shape (n_nodes,)
        Quadrature nodes in Angstrom.
    weights : ndarray of shape (n_nodes,)
        Weights such that ``weights @ f_lambda(wave)`` is the band-averaged
        f_nu (times the speed of light), in the units of ``f_lambda``.
    """

    name: str
    pivot: float
    fwhm: float

    @functools.cached_property
    def edges(self):
        """Wavelengths in Angstrom where the top hat starts and ends."""
        centre = self.pivot
        for _ in range(20):  # move the top hat until its pivot is the tabulated one
            centre += self.pivot - _tophat_pivot(centre - self.fwhm / 2, centre + self.fwhm / 2)
        return centre - self.fwhm / 2, centre + self.fwhm / 2

    @functools.cached_property
    def _nodes(self):
        centre = 0.5 * sum(self.edges)
        unit_nodes, unit_weights = np.polynomial.legendre.leggauss(_N_NODES)
        wave = centre + 0.5 * self.fwhm * unit_nodes
        raw = 0.5 * self.fwhm * unit_weights
        # <f_nu> = int f_lambda lambda T dlambda / int (c / lambda) T dlambda
        return wave, raw * wave / np.sum(raw / wave)

    @property
    def wave(self):
        return self._nodes[0]

    @property
    def weights(self):
        return self._nodes[1]

    def integrate(self, f_lambda):
        """Band-averaged flux of spectra sampled at :attr:`wave` (last axis)."""
        return np.asarray(f_lambda) @ self.weights


@functools.cache
def get_passband(name):
    """Return the :class:`Passband` of a survey band or rest-frame band.

    Parameters
    ----------
    name : str
        A canonical band name of :mod:`skltransient.bands` (``"ztfg"``) or
        ``"bessellb"``/``"bessellv"``.
    """
    if name in REST_FRAME_BANDS:
        return Passband(name, *REST_FRAME_BANDS[name])
    band = get_band(name)
    return Passband(band.name, band.wavelength, PASSBAND_FWHM[band.name])


def mag_to_fluxcal(mag):
    """FLUXCAL of an AB magnitude: ``10**(-0.4 (m - 27.5))``."""
    return 10.0 ** (-0.4 * (np.asarray(mag, dtype=np.float64) - FLUXCAL_ZEROPOINT))


def fluxcal_to_mag(flux):
    """AB magnitude of a FLUXCAL flux (NaN where the flux is not positive)."""
    flux = np.asarray(flux, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(flux > 0, FLUXCAL_ZEROPOINT - 2.5 * np.log10(flux), np.nan)
