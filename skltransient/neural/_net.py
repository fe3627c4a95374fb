"""The skorch net that trains a TransientGRU, and its epoch log."""

import re
import sys

from skorch import NeuralNetClassifier
from skorch.callbacks import PrintLog

from ._loss import sequence_cross_entropy

__all__ = ["EpochLog", "TrainingNet", "quiet"]


class TrainingNet(NeuralNetClassifier):
    """skorch's classifier, with the sequence loss, the unpacked GRU and an extra loss term.

    Built by :class:`~skltransient.GRUClassifier` in ``fit`` and kept as its
    ``net_``.

    Parameters
    ----------
    module : TransientGRU
    train_packed : bool, default=True
        False calls the module with ``packed=False`` in training mode (see
        :meth:`TransientGRU.encode`); validation and prediction stay packed.
    sequence_loss : float, default=0.0
        Share of the training loss taken over the logits after every step
        (see :class:`~skltransient.GRUClassifier` and
        :func:`sequence_cross_entropy`); the rest is the loss of the whole
        light curve. Validation scores whole light curves only.
    auxiliary_loss : callable or None, default=None
        ``auxiliary_loss(module, batch) -> tensor`` of a training batch (the
        dict of tensors the module takes), added to every training step's
        loss: how domain adaptation
        (:class:`skltransient.transfer._adaptation.DomainAdaptation`) trains; None adds
        nothing.
    **kwargs : dict
        :class:`skorch.NeuralNetClassifier`'s parameters.
    """

    def __init__(self, module, *, train_packed=True, sequence_loss=0.0, auxiliary_loss=None,
                 **kwargs):
        super().__init__(module, **kwargs)
        self.train_packed = train_packed
        self.sequence_loss = sequence_loss
        self.auxiliary_loss = auxiliary_loss

    def train_step_single(self, batch, **fit_params):
        if self.auxiliary_loss is None:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = batch
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss = loss + self.auxiliary_loss(self.module_, Xi)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def infer(self, x, **fit_params):
        if self.module_.training and self.sequence_loss > 0:
            # Every step's logits: (n, n_steps, n_classes); get_loss reads them.
            return self.module_.forward_sequence(x["values"], x["metadata"])
        # The step where the sequence loss starts is the loss's, not the module's.
        x = {key: value for key, value in x.items() if key != "start"}
        if self.module_.training and not self.train_packed:
            fit_params = {**fit_params, "packed": False}
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if y_pred.ndim != 3:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        return sequence_cross_entropy(y_pred, y_true, X["lengths"], self.criterion_.weight,
                                      self.sequence_loss, X.get("start"))


def quiet(*args, **kwargs):
    """Sink for skorch messages when not verbose."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class EpochLog(PrintLog):
    """skorch's epoch table, with its colour codes only when standard output is a terminal.

    skorch marks each column's best value with ANSI colours; in a log file or
    a notebook's captured output they are raw ``\\x1b[36m`` noise.
    """

    def table(self, row):
        text = super().table(row)
        isatty = getattr(sys.stdout, "isatty", None)
        return text if isatty is not None and isatty() else _ANSI.sub("", text)
