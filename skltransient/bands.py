"""Photometric band registry.

Every band that a light curve may carry is registered here once, with a
canonical name (sncosmo's: ``ztfg``, ``lsstu`` ...), its survey and its pivot
wavelength, so that a model can encode a band by its wavelength and a model
trained on one survey can read another survey's bands.

Pivot wavelengths are computed from the public filter curves (ZTF: filter
times CCD quantum efficiency; LSST: syseng throughputs v1.9, atmosphere
included); see ``PHYSICS.md`` section 1 of the project's shared notes. They
agree with the SVO filter service and redback's ``tables/filters.csv``.
"""

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Band",
    "get_band",
    "known_bands",
    "register_band",
    "resolve_bands",
    "wavelengths",
]


@dataclass(frozen=True)
class Band:
    """A photometric band.

    Parameters
    ----------
    name : str
        Canonical (sncosmo) name, e.g. ``"ztfg"``.
    survey : str
        Survey the band belongs to, e.g. ``"ztf"``.
    letter : str
        The band's single-letter name within its survey, e.g. ``"g"``.
    wavelength : float
        Pivot wavelength in Angstrom.
    """

    name: str
    survey: str
    letter: str
    wavelength: float


_BANDS = []
_INDEX = {}
_ALIASES = {}
# Integer band codes, resolved only through the column that carries them.
_INTEGER_CODES = {
    "passband": {i: f"lsst{b}" for i, b in enumerate("ugrizy")},  # PLAsTiCC
    "fid": {1: "ztfg", 2: "ztfr", 3: "ztfi"},  # ZTF alerts
}


def register_band(name, survey, letter, wavelength, aliases=()):
    """Register a band so that light curves may use it.

    Parameters
    ----------
    name : str
        Canonical name; must be new.
    survey : str
        Survey name, used to resolve single-letter band names.
    letter : str
        Single-letter name within the survey.
    wavelength : float
        Pivot wavelength in Angstrom (positive).
    aliases : iterable of str, default=()
        Further names that resolve to this band (matched case-insensitively).

    Returns
    -------
    code : int
        The band's integer code, its index in the registry.
    """
    if name in _INDEX:
        raise ValueError(f"Band {name!r} is already registered.")
    if not np.isfinite(wavelength) or wavelength <= 0:
        raise ValueError(f"Band {name!r} needs a positive wavelength in Angstrom, got {wavelength!r}.")
    code = len(_BANDS)
    _BANDS.append(Band(name, survey, letter, float(wavelength)))
    _INDEX[name] = code
    for alias in (name, f"{survey}_{letter}", f"{survey}-{letter}", f"{survey}{letter}", *aliases):
        _ALIASES[alias.lower()] = code
    return code


for _letter, _wl in zip("gri", (4783.5, 6417.1, 7867.3)):
    register_band(f"ztf{_letter}", "ztf", _letter, _wl)
for _letter, _wl in zip("ugrizy", (3716.5, 4787.0, 6207.6, 7548.9, 8673.8, 9746.2)):
    register_band(f"lsst{_letter}", "lsst", _letter, _wl)


def known_bands():
    """Return the canonical names of all registered bands, in code order."""
    return [band.name for band in _BANDS]


def get_band(name_or_code):
    """Return the :class:`Band` for a canonical name, alias or integer code."""
    if isinstance(name_or_code, (int, np.integer)):
        return _BANDS[int(name_or_code)]
    return _BANDS[resolve_bands([name_or_code])[0]]


def wavelengths(codes=None):
    """Pivot wavelengths in Angstrom of band codes (all bands when None)."""
    table = np.array([band.wavelength for band in _BANDS])
    return table if codes is None else table[np.asarray(codes)]


def resolve_bands(values, *, column=None, survey=None):
    """Map band labels to integer band codes.

    Parameters
    ----------
    values : array-like of str or int
        Band labels: canonical names (``"ztfg"``), aliases (``"ZTF_g"``,
        ``"lsst-r"``), single letters (``"g"``, with ``survey``), or integers
        when ``column`` says what they mean.
    column : {"passband", "fid"} or None, default=None
        Name of the column the labels come from. Integers are only accepted
        with a column that defines them: ``passband`` 0-5 is LSST ugrizy
        (PLAsTiCC), ``fid`` 1-3 is ZTF g, r, i.
    survey : str or None, default=None
        Survey used to resolve single-letter band names such as ``"g"``.

    Returns
    -------
    codes : ndarray of shape (n,), dtype int16

    Examples
    --------
    >>> from skltransient.bands import resolve_bands, known_bands
    >>> [known_bands()[c] for c in resolve_bands(["ZTF_g", "lsstr", "i"], survey="lsst")]
    ['ztfg', 'lsstr', 'lssti']
    """
    values = np.asarray(values)
    if values.dtype.kind in "iuf" and values.size:
        return _resolve_integers(values, column)
    uniques, inverse = np.unique(values.astype(str), return_inverse=True)
    codes = np.array([_resolve_label(str(label), column, survey) for label in uniques], dtype=np.int16)
    return codes[inverse].reshape(values.shape) if uniques.size else np.zeros(0, np.int16)


def _resolve_integers(values, column):
    table = _INTEGER_CODES.get(str(column).lower()) if column is not None else None
    if table is None:
        raise ValueError(
            f"Integer band labels are ambiguous without a column that defines them; got "
            f"column={column!r}. Name the column 'passband' (PLAsTiCC: 0-5 = LSST ugrizy) or "
            f"'fid' (ZTF: 1-3 = g, r, i), or use band names such as 'ztfg'."
        )
    if values.dtype.kind == "f" and not np.all(np.isfinite(values) & (values == np.round(values))):
        raise ValueError(f"Column {column!r} holds non-integer band codes.")
    lookup = np.full(max(table) + 1, -1, dtype=np.int16)
    for key, name in table.items():
        lookup[key] = _INDEX[name]
    ints = values.astype(np.int64)
    bad = (ints < 0) | (ints >= lookup.size)
    codes = np.where(bad, -1, lookup[np.clip(ints, 0, lookup.size - 1)])
    if np.any(codes < 0):
        unknown = np.unique(ints[codes < 0])[:5].tolist()
        raise ValueError(
            f"Unknown band codes {unknown} in column {column!r}; known codes are {sorted(table)}."
        )
    return codes.astype(np.int16)


def _resolve_label(label, column, survey):
    key = label.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    if column is not None and key.lstrip("-").isdigit():
        return _resolve_integers(np.array([int(key)]), column)[0]
    if len(key) == 1:
        matches = [code for code, band in enumerate(_BANDS) if band.letter == key]
        if survey is not None:
            for code in matches:
                if _BANDS[code].survey == survey.lower():
                    return code
        elif matches:
            names = ", ".join(_BANDS[code].name for code in matches)
            raise ValueError(
                f"Band {label!r} is ambiguous: it could be {names}. Pass survey='ztf' or "
                f"survey='lsst', or use canonical names."
            )
    raise ValueError(f"Unknown band {label!r}; known bands are {', '.join(known_bands())}.")
