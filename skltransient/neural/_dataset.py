"""A batched data path: batches are sliced from tensors, never assembled per sample."""

import numpy as np
import torch
from torch.utils.data import Dataset

from ..utils._validation import as_padded

__all__ = ["BatchIterator", "PaddedDataset", "as_padded", "bucketed_batches"]


class PaddedDataset(Dataset):
    """Tensors of a padded batch; indexing with an index tensor gives a whole batch.

    Parameters
    ----------
    X : PaddedLightCurves
    y : ndarray of shape (n_objects,) of int, default=None
    from_trigger : bool, default=False
        Give each batch a ``"start"`` tensor: the first step of each light
        curve at or after its trigger (0 without a trigger or without step
        times), where ``GRUClassifier(sequence_loss_from="trigger")`` starts
        the sequence loss.
    """

    def __init__(self, X, y=None, from_trigger=False):
        if not np.all(np.isfinite(X.values)) or not np.all(np.isfinite(X.metadata)):
            bad = "metadata" if np.all(np.isfinite(X.values)) else "values"
            raise ValueError(
                f"The padded input has NaN or infinite {bad}; impute metadata with a "
                f"MetadataScaler and check the light curves' fluxes.")
        self.values = torch.from_numpy(np.ascontiguousarray(X.values, dtype=np.float32))
        self.lengths = torch.from_numpy(np.asarray(X.lengths, dtype=np.int64))
        self.metadata = torch.from_numpy(np.ascontiguousarray(X.metadata, dtype=np.float32))
        self.y = None if y is None else torch.from_numpy(np.asarray(y, dtype=np.int64))
        # Where fluxes and their uncertainties are, and how they were scaled: what noise
        # augmentation perturbs (in flux units) and scales again.
        self.flux_channels = tuple(getattr(X, "flux_channels", ()))
        self.flux_err_channels = tuple(getattr(X, "flux_err_channels", ()))
        self.normalizer = getattr(X, "normalizer", None)
        scale = getattr(X, "flux_scale", None)
        self.flux_scale = None if scale is None else torch.from_numpy(
            np.ascontiguousarray(scale, dtype=np.float32))
        # A grid has no time channel: dropout masks its steps rather than removing them.
        self.representation = getattr(X, "representation", "array")
        # LightCurvePadder(gap_channel=True): the gaps that dropout recomputes.
        channels = tuple(getattr(X, "channels", None) or ())
        self.gap_channel = channels.index("log_gap") if "log_gap" in channels else None
        self.start = None
        if from_trigger:
            times, trigger = getattr(X, "times", None), getattr(X, "trigger", None)
            start = np.zeros(len(self.lengths), np.int64)
            if times is not None and trigger is not None:
                with np.errstate(invalid="ignore"):  # NaN: padding, or no trigger
                    start = np.sum(np.asarray(times) < np.asarray(trigger)[:, None], axis=1)
            self.start = torch.from_numpy(start.astype(np.int64))

    def __len__(self):
        return self.values.shape[0]

    def __getitem__(self, index):
        return self.batch(index)

    def batch(self, index, pin_memory=False):
        """The batch of the objects at ``index``, cut to its longest light curve.

        With ``pin_memory`` the values are gathered straight into pinned host
        memory, ready for an asynchronous copy to a GPU.
        """
        lengths = self.lengths[index]
        steps = int(lengths.max()) if lengths.ndim else int(lengths)
        values = self.values[:, :steps]
        y = self.y[index] if self.y is not None else torch.zeros_like(lengths)
        extra = {} if self.start is None else {"start": self.start[index]}
        if not pin_memory:
            return {"values": values[index], "lengths": lengths,
                    "metadata": self.metadata[index], **extra}, y
        out = torch.empty((len(lengths), steps, values.shape[2]), pin_memory=True)
        X = {"values": torch.index_select(values, 0, index, out=out),
             "lengths": lengths.pin_memory(), "metadata": self.metadata[index].pin_memory(),
             **{key: value.pin_memory() for key, value in extra.items()}}
        return X, y.pin_memory()


class BatchIterator:
    """Yield mini-batches by slicing tensors with index blocks.

    Used by skorch as ``iterator_train`` and ``iterator_valid`` in place of a
    ``DataLoader``, whose per-sample ``__getitem__`` and collation dominate
    the cost of training and prediction on this small model (user guide,
    "Scaling out", for the measurement). Shuffling draws from
    torch's global generator, which the estimators seed inside
    :func:`torch.random.fork_rng`.

    Parameters
    ----------
    dataset : PaddedDataset
    batch_size : int, default=128
    shuffle : bool, default=False
    batching : {"bucketed", "random"}, default="random"
        With ``shuffle``, how objects are grouped into batches.
        ``"random"``: a random permutation cut into batches. ``"bucketed"``:
        batches of similar lengths, in a random order (see
        :func:`bucketed_batches`), so that a batch wastes few padded steps.
        Either way every object is seen once per epoch.
    prefix_probability : float, default=0.0
        Probability that each light curve of a batch is cut to a random
        prefix (its length drawn uniformly from 1 to its true length): the
        truncation augmentation for early classification. Because the GRU's
        state is read at each length (packed or not), cutting a prefix is
        just shortening its length.
    observation_dropout : float, default=0.0
        Probability that each observation of a training light curve is
        dropped from its batch (at least one is kept). A light curve then
        looks as if the survey had visited it less often: the augmentation
        for a sparse or irregular cadence. With the ``"observations"``
        representation (and a plain array) the kept steps close up, in
        order; their time channel keeps their times. A ``"grid"`` has no time
        channel, its time is the position: a dropped grid step is masked
        instead, its flux and uncertainty channels set to zero (what the
        grid holds where a band has no observation), every step staying in
        place. Values are dropped as the normaliser scaled them, so a kept
        point keeps a scale that a dropped point may have set.
    flux_noise : float, default=0.0
        Each training flux is moved by ``flux_noise`` times its own
        uncertainty times a standard normal draw, in every batch: a new
        noise realisation of the same light curve. The noise is drawn in
        flux units, before normalisation: when a
        :class:`~skltransient.preprocessing.FluxNormalizer` scaled the
        dataset, the batch's measured fluxes are recovered
        (:meth:`FluxNormalizer.unscale`), moved, and scaled again by the
        normaliser's own code (:meth:`FluxNormalizer.rescale`), so that the
        scale, the uncertainty channels and the brightness channel follow
        the noisy fluxes as they would at prediction time. Read from the
        dataset's ``flux_channels`` and ``flux_err_channels`` (a padder's
        output has them); an input without flux channels (a plain array)
        gets none.
    device : str or torch.device, default="cpu"
        Where batches go. On a CUDA device each batch is gathered into pinned
        host memory and copied with ``non_blocking=True``, so that the copy
        overlaps the GPU's work.
    **kwargs : dict
        Further skorch/DataLoader options, ignored.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, batching="random",
                 prefix_probability=0.0, observation_dropout=0.0, flux_noise=0.0, device="cpu",
                 **kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.batching = batching
        self.prefix_probability = prefix_probability
        self.observation_dropout = observation_dropout
        self.flux_noise = flux_noise
        self.device = device

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        pinned = torch.device(self.device).type == "cuda"
        for index in self.batches():
            X, y = self.dataset.batch(index, pin_memory=pinned)
            if self.flux_noise > 0:
                X["values"] = _add_flux_noise(X["values"], X["lengths"], index, self.dataset,
                                              self.flux_noise)
            if self.observation_dropout > 0:
                X["values"], X["lengths"], start = _drop_observations(
                    X["values"], X["lengths"], self.observation_dropout,
                    mask=self._masked_channels(), start=X.get("start"),
                    gap=self.dataset.gap_channel)
                if start is not None:
                    X["start"] = start
            if self.prefix_probability > 0:
                X["lengths"] = _random_prefixes(X["lengths"], self.prefix_probability)
            if pinned:
                X = {key: value.to(self.device, non_blocking=True) for key, value in X.items()}
                y = y.to(self.device, non_blocking=True)
            yield X, y

    def _masked_channels(self):
        """Channels zeroed at a dropped grid step, or None where steps are removed."""
        if self.dataset.representation != "grid":
            return None
        return list(self.dataset.flux_channels) + list(self.dataset.flux_err_channels)

    def batches(self):
        """The index tensors of one epoch's batches, in the order they are served."""
        n = len(self.dataset)
        if not self.shuffle:
            return torch.split(torch.arange(n), self.batch_size)
        if self.batching == "bucketed":
            return bucketed_batches(self.dataset.lengths, self.batch_size)
        if self.batching == "random":
            return torch.split(torch.randperm(n), self.batch_size)
        raise ValueError(f"batching must be 'bucketed' or 'random'; got {self.batching!r}.")


def bucketed_batches(lengths, batch_size, batches_per_bucket=50, generator=None):
    """Shuffled batches, each of light curves of similar lengths.

    Objects are shuffled, cut into buckets of ``batches_per_bucket`` batches,
    sorted by length inside each bucket, cut into batches, and the batches
    are shuffled: each epoch still sees every object once, in a random batch
    order, but a batch wastes few padded steps (and the packed GRU few
    shrinking time steps). Buckets keep the batches of an epoch different
    from those of the next, which a global sort by length would not.

    Parameters
    ----------
    lengths : tensor of shape (n_objects,) of int
    batch_size : int
    batches_per_bucket : int, default=50
    generator : torch.Generator, default=None
        Source of randomness; None is torch's global generator.

    Returns
    -------
    batches : list of tensor of int64
        Index tensors of at most ``batch_size`` objects that together hold
        every index once; only the last batch of the last bucket may be
        short, and it is shuffled with the others.
    """
    lengths = torch.as_tensor(lengths)
    n = len(lengths)
    order = torch.randperm(n, generator=generator)
    # One stable sort by (bucket, length) sorts every bucket at once.
    bucket = torch.arange(n) // (batch_size * batches_per_bucket)
    key = bucket * (int(lengths.max()) + 1 if n else 1) + lengths[order]
    batches = torch.split(order[torch.argsort(key, stable=True)], batch_size)
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def _random_prefixes(lengths, probability):
    cut = torch.rand(lengths.shape) < probability
    prefix = 1 + (torch.rand(lengths.shape) * lengths).long().clamp(max=lengths - 1)
    return torch.where(cut, prefix, lengths)


def _drop_observations(values, lengths, probability, mask=None, start=None, gap=None):
    """Drop each observation with ``probability``, keeping at least one.

    The kept steps close up in order; with ``mask`` (a list of channels,
    for a grid, whose time is the position) the dropped steps stay in place
    instead, with those channels set to zero, and lengths are unchanged.
    ``start`` (each light curve's first step of the sequence loss, or None)
    follows its step: it becomes the number of kept steps before it.
    ``gap`` (the channel of ``LightCurvePadder(gap_channel=True)``, or None)
    is recomputed: a kept step's gap runs from the previous kept step.
    Returns the values, the lengths and the start.
    """
    n, steps, _ = values.shape
    inside = torch.arange(steps)[None, :] < lengths[:, None]
    keep = inside & (torch.rand(n, steps) >= probability)
    # A light curve that lost everything keeps one observation drawn at random.
    lost = ~keep.any(1)
    if lost.any():
        pick = (torch.rand(int(lost.sum())) * lengths[lost]).long().clamp(max=lengths[lost] - 1)
        keep[lost.nonzero()[:, 0], pick] = True
    if mask is not None:
        # In place: a batch is gathered from the dataset by index, so it is already a copy.
        values[:, :, mask] *= keep[:, :, None].to(values.dtype)
        return values, lengths, start
    if start is not None:
        before = torch.arange(steps)[None, :] < start[:, None]
        start = (keep & before).sum(1)
    # A stable sort puts the kept steps first, in their order.
    order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)
    if gap is not None:  # days since the first step, read back from the gaps
        elapsed = torch.cumsum(torch.pow(10.0, values[:, :, gap]) - 1.0, dim=1)
    values = torch.gather(values, 1, order[:, :, None].expand_as(values))
    if gap is not None:
        elapsed = torch.gather(elapsed, 1, order)
        days = torch.diff(elapsed, dim=1, prepend=elapsed[:, :1]).clamp(min=0.0)
        values[:, :, gap] = torch.log10(1.0 + days)
    return values, keep.sum(1), start


def _add_flux_noise(values, lengths, index, dataset, scale):
    """Noise in flux units, on the measured fluxes, scaled again by the dataset's normaliser."""
    flux, err = list(dataset.flux_channels), list(dataset.flux_err_channels)
    if not flux:  # a plain array: no channel is known to be a flux
        return values
    if len(flux) != len(err):
        raise ValueError(
            f"flux_noise needs one flux_err channel per flux channel; this input has flux "
            f"channels {dataset.flux_channels} and flux_err channels {dataset.flux_err_channels}.")
    noise = torch.randn(values.shape[:2] + (len(flux),))
    if dataset.normalizer is None:
        # In place: a batch is gathered from the dataset by index, so it is already a copy.
        values[:, :, flux] += scale * values[:, :, err].abs() * noise
        return values
    batch = values.numpy()
    flux_scale = dataset.flux_scale[index, :values.shape[1]].numpy()
    measured, measured_err = dataset.normalizer.unscale(batch, flux_scale, flux, err)
    noisy = measured + scale * np.abs(measured_err) * noise.numpy()
    scaled, _ = dataset.normalizer.rescale(batch, lengths.numpy(), noisy, measured_err, flux, err)
    values.copy_(torch.from_numpy(scaled))  # in place: keeps pinned memory pinned
    return values
