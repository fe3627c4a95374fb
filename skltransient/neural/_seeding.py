"""Seeded training without touching the caller's global torch generators."""

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["seeded"]


class seeded:
    """Context in which torch's global generators are seeded from ``random_state``.

    Inside :func:`torch.random.fork_rng`, so the caller's generators are as
    they were when the context ends. Everything random in a fit (weight
    initialisation, dropout, shuffling, augmentation, the validation split)
    draws from torch's generator inside it, so an int ``random_state`` makes
    training on the CPU reproducible to the bit. :meth:`GRUClassifier.fit
    <skltransient.GRUClassifier.fit>` and
    :meth:`TransferClassifier.fit <skltransient.TransferClassifier.fit>`
    build their networks and train them inside one.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        The seed is drawn from it (see :func:`sklearn.utils.check_random_state`).
    device : str
        Torch device; a CUDA device's generator is forked and seeded too.

    Examples
    --------
    >>> import torch
    >>> from skltransient.neural._seeding import seeded
    >>> with seeded(0, "cpu"):
    ...     a = torch.rand(2)
    >>> with seeded(0, "cpu"):
    ...     b = torch.rand(2)
    >>> bool(torch.equal(a, b))
    True
    """

    def __init__(self, random_state, device):
        self.seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        self.device = device

    def __enter__(self):
        devices = [torch.cuda.current_device()] if str(self.device).startswith("cuda") else []
        self._fork = torch.random.fork_rng(devices=devices)
        self._fork.__enter__()
        torch.manual_seed(self.seed)
        return self

    def __exit__(self, *exc):
        return self._fork.__exit__(*exc)
