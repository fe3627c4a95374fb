"""Per-object flux scaling."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._compat import StrOptions, fit_context
from ..utils._validation import check_padded, fitted_state

#: Zero point of the package's fluxes (SNANA FLUXCAL): m = 27.5 - 2.5 log10(flux).
FLUXCAL_ZEROPOINT = 27.5

__all__ = ["FluxNormalizer"]

#: Methods whose scale at a step depends only on the steps up to it.
CAUSAL_METHODS = ("running_peak", "snr", "none")


class FluxNormalizer(TransformerMixin, BaseEstimator):
    """Scale each light curve's flux and flux uncertainty together.

    A stateless transformer on :class:`PaddedLightCurves`: each object is
    scaled by a number computed from its own valid steps, over all of its
    flux channels at once, so that colours are preserved. Uncertainties are
    scaled with the fluxes (for ``"arcsinh"`` they are propagated through the
    derivative). A light curve that is all zero, all negative or a single
    point gives finite output: a scale that is zero or not finite is
    replaced by 1.

    Scaling removes the brightness, which with the redshift gives the
    luminosity, the best single clue to a transient's class; so by default
    the scale itself is kept, as one more channel (``keep_brightness``).

    Parameters
    ----------
    method : {"peak", "running_peak", "median", "arcsinh", "snr", "none"}, default="running_peak"
        - ``"running_peak"``: causal; divide each step by the largest
          absolute flux up to and including that step, so that early steps
          know nothing of the future: predictions over time equal
          predictions on truncated light curves.
        - ``"peak"``: divide by the largest absolute flux of the light curve.
          It looks at the whole light curve, so early steps see the future
          peak.
        - ``"median"``: divide by the median absolute flux.
        - ``"arcsinh"``: ``arcsinh(flux / (2 s))`` with ``s`` the median flux
          uncertainty, a noise-aware compression of the dynamic range.
        - ``"snr"``: causal; ``arcsinh(flux / flux_err)`` of each step on its
          own, the signal-to-noise of each observation in its own band (no
          scale shared across bands or steps), so that the noise of a long
          light curve's seasons without the transient reads as noise. Its
          uncertainty channel becomes ``flux_err / sqrt(flux_err² + flux²)``
          (the derivative, propagated), and the brightness channel is the
          running peak's, as for ``"running_peak"``.
        - ``"none"``: leave the fluxes unchanged.
    keep_brightness : bool, default=True
        Append a channel ``"scale_mag"``: the AB magnitude of each step's
        scale, ``(27.5 - 2.5 log10(scale) - 20) / 5`` (fluxes are FLUXCAL,
        zero point 27.5), so 0 for a scale of magnitude 20. With
        ``"running_peak"`` it is the brightest magnitude so far, causal like
        the scaling (and with ``"snr"``, whose steps are scaled by their
        own noise). Ignored by ``"arcsinh"`` (whose scale is the noise, not
        the source) and ``"none"`` (which keeps the brightness in the
        fluxes). The user guide's ablation ("What makes the classifier
        work") measures what this channel is worth.
    See Also
    --------
    LightCurvePadder : Produces the input of this transformer.

    Examples
    --------
    >>> from skltransient import LightCurves
    >>> from skltransient.preprocessing import LightCurvePadder, FluxNormalizer
    >>> lc = LightCurves.from_arrays(["a", "a"], [0.0, 1.0], ["ztfg", "ztfg"], [2.0, 4.0], [0.2, 0.4])
    >>> padded = LightCurvePadder(metadata_columns=()).fit_transform(lc)
    >>> scaled = FluxNormalizer().fit_transform(padded)
    >>> scaled.values[0, :, 1].tolist()
    [1.0, 1.0]
    >>> scaled.channels[-1], [round(float(v), 3) for v in scaled.values[0, :, -1]]
    ('scale_mag', [1.349, 1.199])
    >>> FluxNormalizer("peak", keep_brightness=False).fit_transform(padded).values[0, :, 1].tolist()
    [0.5, 1.0]
    """

    _parameter_constraints = {
        "method": [StrOptions({"peak", "running_peak", "median", "arcsinh", "snr", "none"})],
        "keep_brightness": ["boolean"],
    }

    def __init__(self, method="running_peak", *, keep_brightness=True):
        self.method = method
        self.keep_brightness = keep_brightness

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the input; the transformer learns nothing.

        Parameters
        ----------
        X : PaddedLightCurves
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_padded(X, type(self).__name__)
        self.n_channels_ = X.n_channels
        return self

    def transform(self, X):
        """Scale the fluxes.

        Parameters
        ----------
        X : PaddedLightCurves

        Returns
        -------
        X_scaled : PaddedLightCurves
            A new object; the input is not modified.
        """
        check_padded(X, type(self).__name__)
        if self.method == "none":
            return X
        return X.apply(self._transform_padded)  # batch by batch when X is deferred

    def _transform_padded(self, X):
        values, scale, _ = self._scale_all(X.values, X.lengths, X.flux_channels,
                                           X.flux_err_channels)
        lookahead = dict(X.lookahead)
        if self.method not in CAUSAL_METHODS:
            lookahead["normalization"] = (
                f"FluxNormalizer(method={self.method!r}) looks at the whole light curve, so early "
                f"steps are scaled by information from the future; use method='running_peak' for "
                f"predictions over time that equal predictions on truncated light curves.")
        return X.replace(values=values, channels=self.output_channels(X.channels), flux_scale=scale,
                         normalizer=self, lookahead=lookahead)

    def _adds_brightness(self):
        return self.keep_brightness and self.method in ("peak", "running_peak", "median", "snr")

    def output_channels(self, channels):
        """Names of the output channels, from the input's: ``"scale_mag"`` appended when added.

        Parameters
        ----------
        channels : sequence of str
            The input's channels (a padder's ``channels_``).

        Returns
        -------
        channels : tuple of str
        """
        return tuple(channels) + (("scale_mag",) if self._adds_brightness() else ())

    def check_fitted_state(self, channels=None, n_metadata=None):
        """Check the fitted input width against the channels it is given.

        For a normaliser restored from a file (:func:`~skltransient.persistence.load_model`
        calls each step's ``check_fitted_state`` in turn).

        Parameters
        ----------
        channels : sequence of str or None, default=None
            The channels the steps before it give; None (no padder before
            it) checks nothing.
        n_metadata : int or None, default=None
            Not its concern.

        Returns
        -------
        gives : dict
            ``{"channels": output_channels(channels)}``, or ``{}`` when
            ``channels`` is None.

        Raises
        ------
        ValueError
            If ``n_channels_`` is not the number of ``channels``.
        """
        if channels is None:
            fitted_state(self, "n_channels_")
            return {}
        if fitted_state(self, "n_channels_") != len(channels):
            raise ValueError(f"n_channels_ is {self.n_channels_} but its input has "
                             f"{len(channels)} channels {list(channels)}.")
        return {"channels": self.output_channels(channels)}

    def unscale(self, values, flux_scale, flux_channels, flux_err_channels):
        """The measured fluxes and uncertainties behind this normaliser's output.

        Parameters
        ----------
        values : ndarray of shape (n_objects, n_steps, n_channels)
            Output of :meth:`transform` (its ``values``), or a batch of it.
        flux_scale : ndarray of shape (n_objects, n_steps)
            The output's ``flux_scale``, for the same objects and steps.
        flux_channels, flux_err_channels : sequence of int
            Channels of the fluxes and of their uncertainties, paired.

        Returns
        -------
        flux, flux_err : ndarray of shape (n_objects, n_steps, n_flux_channels)
            In the units of the padder's output (FLUXCAL), up to rounding.
        """
        flux = values[:, :, list(flux_channels)]
        err = values[:, :, list(flux_err_channels)]
        scale = np.asarray(flux_scale)[:, :, None]
        if self.method in ("arcsinh", "snr"):
            measured = scale * np.sinh(flux)
            return measured, err * np.sqrt(scale**2 + measured**2)
        return flux * scale, err * scale

    def rescale(self, values, lengths, flux, flux_err, flux_channels, flux_err_channels):
        """Scale new measured fluxes into this normaliser's output, as :meth:`transform` does.

        The path by which training batches add noise in flux units
        (``GRUClassifier(flux_noise=...)``): :meth:`unscale` the batch, move
        the fluxes, rescale. The scale (and the ``"scale_mag"`` channel) is
        computed again from the new fluxes, so the output keeps every
        guarantee of :meth:`transform` (``|flux| <= 1`` for ``"peak"`` and
        ``"running_peak"``).

        Parameters
        ----------
        values : ndarray of shape (n_objects, n_steps, n_channels)
            Output of :meth:`transform` (its ``values``), or a batch of it:
            the input's channels, then ``"scale_mag"`` when
            ``keep_brightness`` applies; the channels that are neither
            fluxes nor uncertainties are kept.
        lengths : ndarray of shape (n_objects,)
        flux, flux_err : ndarray of shape (n_objects, n_steps, n_flux_channels)
            Measured fluxes and uncertainties to put in place of the output's.
        flux_channels, flux_err_channels : sequence of int

        Returns
        -------
        values : ndarray of shape (n_objects, n_steps, n_channels), float32
            A new array.
        flux_scale : ndarray of shape (n_objects, n_steps), float32
        """
        n_in = values.shape[2] - int(self._adds_brightness())
        measured = np.array(values[:, :, :n_in], dtype=np.float32)
        measured[:, :, list(flux_channels)] = flux
        measured[:, :, list(flux_err_channels)] = flux_err
        out, scale, _ = self._scale_all(measured, np.asarray(lengths), flux_channels,
                                        flux_err_channels)
        return out, scale

    def scale_batch(self, values, lengths, flux_channels, flux_err_channels, *, peak=None):
        """Scale one batch of padded values, as :meth:`transform` scales every batch.

        The code that :meth:`transform` and :meth:`rescale` run (they keep
        each step's scale as well), for a caller that has the padded values
        but no ``PaddedLightCurves``:
        :class:`~skltransient.early.ClassificationStream` scales one new step
        per object with it, continuing each object's running peak.

        Parameters
        ----------
        values : ndarray of shape (n_objects, n_steps, n_channels), float32
        lengths : ndarray of shape (n_objects,)
        flux_channels, flux_err_channels : tuple of int
        peak : ndarray of shape (n_objects,), float32, default=None
            ``"running_peak"`` and ``"snr"`` only: the largest absolute flux of the steps
            before these, so that :class:`~skltransient.early.ClassificationStream`
            continues a light curve a few steps at a time; None for a light
            curve that starts with these steps.

        Returns
        -------
        values : ndarray of shape (n_objects, n_steps, n_channels_out), float32
            A scaled copy, with the ``"scale_mag"`` channel last when
            ``keep_brightness`` applies (zero beyond each length).
        peak : ndarray of shape (n_objects,), float32 or None
            ``"running_peak"`` and ``"snr"`` only: the running peak after the last step.
        """
        values, _, peak = self._scale_all(values, lengths, flux_channels, flux_err_channels, peak)
        return values, peak

    def _scale_all(self, values, lengths, flux_channels, flux_err_channels, peak=None):
        """:meth:`scale_batch`, with the scale of each step (n_objects, n_steps) as well."""
        flux_ch, err_ch = list(flux_channels), list(flux_err_channels)
        if self.method == "snr" and len(flux_ch) != 1:
            raise ValueError(
                f"FluxNormalizer(method='snr') scales each step by its own flux uncertainty, so it "
                f"needs one flux channel per step (LightCurvePadder('observations')); this input "
                f"has {len(flux_ch)} flux channels {tuple(flux_channels)} (a grid).")
        # One output array, with room for the brightness channel: no second copy to append it.
        n_in = values.shape[2]
        out = np.zeros(values.shape[:2] + (n_in + self._adds_brightness(),), dtype=np.float32)
        out[:, :, :n_in] = values
        values = out
        valid = (np.arange(values.shape[1])[None, :] < lengths[:, None])[:, :, None]
        flux = np.where(valid, values[:, :, flux_ch], 0.0)
        err = np.where(valid, values[:, :, err_ch], 0.0)
        if self.method == "arcsinh":
            noise = _masked_median(err, valid)
            width = 2 * _safe(noise)[:, None, None]
            values[:, :, flux_ch] = np.arcsinh(flux / width)
            values[:, :, err_ch] = err / np.sqrt(width**2 + flux**2)
            return values, _per_step(width, values.shape[1]), None
        running = (_running_peak(np.abs(flux), peak)
                   if self.method in ("running_peak", "snr") else None)
        scale = self._scale(np.abs(flux), valid, running)
        if self.method == "snr":
            # Each step by its own uncertainty (one flux channel per step with observations).
            noise = np.where(valid, _safe(err), 1.0).astype(np.float32)
            values[:, :, flux_ch] = np.arcsinh(flux / noise)
            values[:, :, err_ch] = err / np.sqrt(noise**2 + flux**2)
        else:
            values[:, :, flux_ch] = flux / scale
            values[:, :, err_ch] = err / scale
        if self._adds_brightness():
            magnitude = (FLUXCAL_ZEROPOINT - 2.5 * np.log10(scale[:, :, 0]) - 20.0) / 5.0
            values[:, :, n_in] = np.broadcast_to(magnitude, values.shape[:2]) * valid[:, :, 0]
        step_scale = noise[:, :, 0] if self.method == "snr" else _per_step(scale, values.shape[1])
        return values, step_scale, None if running is None else running[:, -1]

    def _scale(self, size, valid, running):
        if self.method in ("running_peak", "snr"):
            return _safe(running)[:, :, None]
        if self.method == "median":
            return _safe(_masked_median(size, valid))[:, None, None]
        return _safe(size.max(axis=(1, 2)))[:, None, None]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


def _running_peak(size, peak=None):
    """Largest absolute flux of any channel up to each step, shape (n_objects, n_steps).

    ``peak`` is each object's running peak before the first step (streaming).
    """
    running = np.maximum.accumulate(size.max(axis=2), axis=1)
    return running if peak is None else np.maximum(running, peak[:, None])


def _per_step(scale, n_steps):
    """A scale of shape (n, 1 or n_steps, 1) as (n, n_steps), float32."""
    return np.array(np.broadcast_to(scale[:, :, 0], (scale.shape[0], n_steps)), dtype=np.float32)


def _masked_median(values, valid):
    """Median over each object's valid steps and all channels."""
    masked = np.where(valid, values, np.nan).reshape(values.shape[0], -1)
    with np.errstate(all="ignore"):
        return np.nanmedian(masked, axis=1) if masked.shape[1] else np.ones(values.shape[0])


def _safe(scale):
    return np.where(np.isfinite(scale) & (scale > 0), scale, 1.0).astype(np.float32)
