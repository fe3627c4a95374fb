"""Fixtures of the transfer tests."""

import pytest
from skorch.callbacks import Callback


class ScriptedValidLoss(Callback):
    """Replace each epoch's validation loss by a known sequence: best at epoch 3.

    Runs after skorch's scoring and before early stopping, so with
    ``n_iter_no_change=3`` training stops after epoch 6 and keeps epoch 3.
    """

    losses = (1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.9, 0.9, 0.9)

    def on_epoch_end(self, net, **kwargs):
        net.history.record("valid_loss", self.losses[len(net.history) - 1])


@pytest.fixture
def scripted_valid_loss():
    return [("script", ScriptedValidLoss())]
