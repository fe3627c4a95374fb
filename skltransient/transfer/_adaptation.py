"""Domain-adaptation terms: small strategies that TransferClassifier hands to the training net.

Each is a function ``(module, labelled, target) -> loss`` of the network and
two batches (dicts of tensors with ``values``, ``lengths`` and ``metadata``):
the labelled batch of the step and a batch of unlabelled target light
curves. The training net adds ``adaptation_weight`` times its value to the
classification loss of every step (``neural._classifier._Net``).
"""

import torch

__all__ = ["ADAPTATIONS", "coral", "information_maximisation"]


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
