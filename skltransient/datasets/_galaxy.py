"""The Milky Way as the Galactic classes see it: where their stars are, and the dust in front.

* Stars of the disk populations are drawn from the exponential thin and
  thick disks of Juric et al. (2008, Table 10, bias-corrected fit): scale
  heights 300 and 900 pc, scale lengths 2600 and 3600 pc, with the Sun at
  Galactocentric radius 8 kpc and 25 pc above the plane.
* RR Lyrae stars are drawn from the spherical halo that SDSS Stripe 82 RR
  Lyrae trace (Watkins et al. 2009): number density ``r^-2.4`` for
  Galactocentric radii up to 25 kpc and ``r^-4.5`` beyond, taken here over
  1 to 100 kpc.
* Only stars at Galactic latitude ``|b| >= 10`` degrees are kept: the
  extragalactic wide-fast-deep fields of PLAsTiCC's LSST and the
  high-latitude sky of the simulator's surveys (assumed footprint; the
  Galactic plane, which ZTF also observes, is left out).
* Dust is an exponential layer of scale height 125 pc (Marshall et al. 2006
  find 125 pc; Drimmel & Spergel 2001, 134 pc) with A_V = 0.7 mag/kpc in the
  plane near the Sun (the classical 0.7-1 mag/kpc, Spitzer 1978; value
  assumed), R_V = 3.1. A star at distance ``d`` and latitude ``b`` lies
  behind ``E(B-V) = e h / |sin b| (1 - exp(-d |sin b| / h))`` of it, with
  ``e = 0.7 / 3.1`` mag/kpc; a dust map, as a survey reports it in
  ``mwebv``, gives the whole column ``e h / |sin b|`` (0.028 at the poles,
  0.16 at ``|b| = 10`` degrees), which is always at least the star's.
"""

import numpy as np

__all__ = ["DUST_SCALE_HEIGHT", "MIN_LATITUDE", "POPULATIONS", "galactic_dust", "sample_positions"]

#: Galactocentric radius of the Sun and its height above the plane, pc (Juric et al. 2008).
SUN_RADIUS, SUN_HEIGHT = 8000.0, 25.0
#: Exponential disks as (scale height, scale length) in pc (Juric et al. 2008, Table 10),
#: and the halo of RR Lyrae stars (Watkins et al. 2009).
POPULATIONS = {"thin disk": (300.0, 2600.0), "thick disk": (900.0, 3600.0), "halo": None}
#: Lowest absolute Galactic latitude of the simulated fields, degrees (assumed footprint).
MIN_LATITUDE = 10.0
#: Scale height (pc) of the dust layer and its E(B-V) per pc in the plane (A_V 0.7 mag/kpc, assumed).
DUST_SCALE_HEIGHT = 125.0
DUST_EBV_PER_PC = 0.7 / 3.1 / 1000.0
_HALO_BREAK, _HALO_SLOPES, _HALO_RANGE = 25000.0, (2.4, 4.5), (1000.0, 100000.0)


def _disk(n, rng, scale_height, scale_length):
    """Galactocentric (x, y, z) in pc of an exponential disk: ``exp(-R/L - |z|/h)``."""
    radius = rng.gamma(2.0, scale_length, n)  # exp(-R/L) per unit area, times 2 pi R
    azimuth = rng.uniform(0.0, 2 * np.pi, n)
    return radius * np.cos(azimuth), radius * np.sin(azimuth), rng.laplace(0.0, scale_height, n)


def _halo(n, rng):
    """Galactocentric (x, y, z) in pc of the broken power-law halo, by inverse CDF on a grid."""
    grid = np.geomspace(*_HALO_RANGE, 2000)
    inner, outer = _HALO_SLOPES
    density = np.where(grid < _HALO_BREAK, (grid / _HALO_BREAK) ** -inner, (grid / _HALO_BREAK) ** -outer)
    shell = density * grid**2
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (shell[1:] + shell[:-1]) * np.diff(grid))])
    radius = np.interp(rng.uniform(size=n) * cdf[-1], cdf, grid)
    cos_theta, azimuth = rng.uniform(-1.0, 1.0, n), rng.uniform(0.0, 2 * np.pi, n)
    sin_theta = np.sqrt(1.0 - cos_theta**2)
    return radius * sin_theta * np.cos(azimuth), radius * sin_theta * np.sin(azimuth), radius * cos_theta


def sample_positions(n, rng, population):
    """Heliocentric distance and Galactic latitude of ``n`` stars of a population.

    Stars below :data:`MIN_LATITUDE` are redrawn, in vectorised rounds, so that
    the distances follow the population along the lines of sight the
    surveys see.

    Parameters
    ----------
    n : int
    rng : numpy.random.Generator
    population : {"thin disk", "thick disk", "halo"}

    Returns
    -------
    distance : ndarray of shape (n,)
        Heliocentric distance in pc.
    sin_b : ndarray of shape (n,)
        Sine of the Galactic latitude.
    """
    if population not in POPULATIONS:
        raise ValueError(f"Unknown Galactic population {population!r}; expected one of "
                         f"{', '.join(map(repr, POPULATIONS))}.")
    distance, sin_b = np.empty(0), np.empty(0)
    floor = np.sin(np.radians(MIN_LATITUDE))
    while distance.size < n:
        size = 4 * (n - distance.size) + 64
        x, y, z = _halo(size, rng) if population == "halo" else _disk(size, rng, *POPULATIONS[population])
        dx, dz = x - SUN_RADIUS, z - SUN_HEIGHT
        d = np.sqrt(dx**2 + y**2 + dz**2)
        keep = np.abs(dz) >= floor * d
        distance, sin_b = np.concatenate([distance, d[keep]]), np.concatenate([sin_b, (dz / d)[keep]])
    return distance[:n], sin_b[:n]


def galactic_dust(distance, sin_b):
    """E(B-V) in front of a star, and of the whole line of sight (what a dust map reports).

    Parameters
    ----------
    distance : array-like
        Heliocentric distance in pc.
    sin_b : array-like
        Sine of the Galactic latitude (not zero).

    Returns
    -------
    foreground, column : ndarray
        E(B-V) between the Sun and the star, and out of the Galaxy.
    """
    slant = np.abs(np.asarray(sin_b, dtype=np.float64))
    column = DUST_EBV_PER_PC * DUST_SCALE_HEIGHT / slant
    return column * -np.expm1(-np.asarray(distance) * slant / DUST_SCALE_HEIGHT), column
