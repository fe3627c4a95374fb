"""A batched data path: batches are sliced from tensors, never assembled per sample."""

import numpy as np
import torch
from torch.utils.data import Dataset

from .._padded import PaddedLightCurves

__all__ = ["BatchIterator", "PaddedDataset", "as_padded"]


def as_padded(X, name="The model"):
    """Accept a PaddedLightCurves or a 3-D array of shape (n, n_steps, n_channels)."""
    if isinstance(X, PaddedLightCurves):
        return X
    if isinstance(X, np.ndarray) and X.ndim == 3:
        n, steps, _ = X.shape
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{name} got an input array with NaN or infinite values.")
        return PaddedLightCurves(
            values=np.ascontiguousarray(X, dtype=np.float32), lengths=np.full(n, steps, np.int64),
            metadata=np.zeros((n, 0), np.float32), times=np.zeros((n, steps)), t0=np.zeros(n),
            trigger=np.zeros(n), channels=tuple(f"x{i}" for i in range(X.shape[2])), metadata_names=(),
            flux_channels=(), flux_err_channels=(), object_ids=np.arange(n), representation="array")
    raise TypeError(
        f"{name} expects a PaddedLightCurves (put a LightCurvePadder before it in a pipeline) or "
        f"a 3-D array of shape (n_objects, n_steps, n_channels); got {type(X).__name__}.")


class PaddedDataset(Dataset):
    """Tensors of a padded batch; indexing with an index tensor gives a whole batch.

    Parameters
    ----------
    X : PaddedLightCurves
    y : ndarray of shape (n_objects,) of int, default=None
    """

    def __init__(self, X, y=None):
        if not np.all(np.isfinite(X.values)) or not np.all(np.isfinite(X.metadata)):
            bad = "metadata" if np.all(np.isfinite(X.values)) else "values"
            raise ValueError(
                f"The padded input has NaN or infinite {bad}; impute metadata with a "
                f"MetadataScaler and check the light curves' fluxes.")
        self.values = torch.from_numpy(np.ascontiguousarray(X.values, dtype=np.float32))
        self.lengths = torch.from_numpy(np.asarray(X.lengths, dtype=np.int64))
        self.metadata = torch.from_numpy(np.ascontiguousarray(X.metadata, dtype=np.float32))
        self.y = None if y is None else torch.from_numpy(np.asarray(y, dtype=np.int64))

    def __len__(self):
        return self.values.shape[0]

    def __getitem__(self, index):
        lengths = self.lengths[index]
        steps = int(lengths.max()) if lengths.ndim else int(lengths)
        X = {"values": self.values[index, :steps], "lengths": lengths,
             "metadata": self.metadata[index]}
        return X, (self.y[index] if self.y is not None else torch.zeros_like(lengths))


class BatchIterator:
    """Yield mini-batches by slicing tensors with index blocks.

    Used by skorch as ``iterator_train`` and ``iterator_valid`` in place of a
    ``DataLoader``, whose per-sample ``__getitem__`` and collation cost 3x in
    training and 10x in prediction on this model. Shuffling draws from
    torch's global generator, which the estimators seed inside
    :func:`torch.random.fork_rng`.

    Parameters
    ----------
    dataset : PaddedDataset
    batch_size : int, default=128
    shuffle : bool, default=False
    prefix_probability : float, default=0.0
        Probability that each light curve of a batch is cut to a random
        prefix (its length drawn uniformly from 1 to its true length): the
        truncation augmentation for early classification. Because sequences
        are packed by length, cutting a prefix is just shortening its length.
    **kwargs : dict
        Further skorch/DataLoader options, ignored.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, prefix_probability=0.0, **kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.prefix_probability = prefix_probability

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = torch.randperm(n) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            X, y = self.dataset[order[start:start + self.batch_size]]
            if self.prefix_probability > 0:
                X["lengths"] = _random_prefixes(X["lengths"], self.prefix_probability)
            yield X, y


def _random_prefixes(lengths, probability):
    cut = torch.rand(lengths.shape) < probability
    prefix = 1 + (torch.rand(lengths.shape) * lengths).long().clamp(max=lengths - 1)
    return torch.where(cut, prefix, lengths)
