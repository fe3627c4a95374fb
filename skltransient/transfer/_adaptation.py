"""Domain adaptation: a skorch callback and the strategies it trains with.

Each strategy is a function ``(module, labelled, target) -> loss`` of the
network and two batches (dicts of tensors with ``values``, ``lengths`` and
``metadata``): the labelled batch of the step and a batch of unlabelled
target light curves. :class:`DomainAdaptation` owns the unlabelled light
curves and adds ``weight`` times the strategy's value to the classification
loss of every training step (through the training net's ``auxiliary_loss``);
the neural layer knows nothing of domains.
"""

import torch
from skorch.callbacks import Callback

__all__ = ["ADAPTATIONS", "DomainAdaptation", "coral", "information_maximisation"]


class DomainAdaptation(Callback):
    """skorch callback: add a domain-adaptation term to every training step's loss.

    For the training of :class:`~skltransient.TransferClassifier` with
    ``adaptation=``. At the start of training it becomes the net's
    ``auxiliary_loss``; at the end it leaves the net and lets go of the
    unlabelled light curves, so that the fitted model carries none of them.

    Parameters
    ----------
    strategy : callable
        ``strategy(module, labelled, target) -> loss``, e.g. :func:`coral`
        or :func:`information_maximisation` (the values of :data:`ADAPTATIONS`).
    unlabelled : PaddedDataset
        Unlabelled light curves of the target domain, preprocessed.
    weight : float, default=1.0
        Weight of the term against the classification loss.
    """

    def __init__(self, strategy, unlabelled, weight=1.0):
        self.strategy = strategy
        self.unlabelled = unlabelled
        self.weight = weight

    def on_train_begin(self, net, **kwargs):
        net.auxiliary_loss = self

    def on_train_end(self, net, **kwargs):
        net.auxiliary_loss = None
        self.unlabelled = None

    def __call__(self, module, labelled):
        """The weighted term for one labelled batch, on as many unlabelled light curves.

        They are drawn with torch's global generator, which training seeds.
        """
        n = len(self.unlabelled)
        index = torch.randint(n, (min(len(labelled["lengths"]), n),))
        target, _ = self.unlabelled.batch(index)
        target = {key: value.to(labelled["values"].device) for key, value in target.items()}
        return self.weight * self.strategy(module, labelled, target)


def coral(module, labelled, target):
    """Deep CORAL (Sun & Saenko 2016), with the means.

    The squared distance between the means, plus the squared Frobenius
    distance between the covariances, of the encoder's representations of
    the labelled batch and of the target batch: it pulls the two domains'
    features onto the same first and second moments. It needs labelled
    light curves of the other domain (fresh simulations, or the target's
    few labels).
    """
    source = module.encode(labelled["values"], labelled["lengths"], packed=False)
    other = module.encode(target["values"], target["lengths"], packed=False)
    means = ((source.mean(dim=0) - other.mean(dim=0)) ** 2).sum()
    return means + ((_covariance(source) - _covariance(other)) ** 2).sum()


def information_maximisation(module, labelled, target):
    """Information maximisation, as in SHOT (Liang et al. 2020).

    The mean entropy of the predictions on the target batch (each light
    curve predicted confidently) minus the entropy of their mean (the
    classes kept diverse). It needs nothing of the source domain; the
    labelled batch is not used.
    """
    logits = module(target["values"], target["lengths"], target["metadata"], packed=False)
    log_p = torch.log_softmax(logits.float(), dim=1)
    p = log_p.exp()
    entropy = -(p * log_p).sum(dim=1).mean()
    marginal = p.mean(dim=0)
    diversity = -(marginal * torch.log(marginal.clamp(min=1e-12))).sum()
    return entropy - diversity


def _covariance(features):
    centred = features - features.mean(dim=0, keepdim=True)
    return centred.T @ centred / max(len(features) - 1, 1)


#: The methods ``TransferClassifier(adaptation=...)`` accepts.
ADAPTATIONS = {"coral": coral, "entropy": information_maximisation}
