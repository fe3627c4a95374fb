"""The training loss of the recurrent classifier: whole light curves and all their prefixes."""

import torch

__all__ = ["sequence_cross_entropy"]


def sequence_cross_entropy(logits, y, lengths, weight, share, start=None):
    """Class-weighted cross-entropy of the whole light curves and of all their prefixes.

    ``(1 - share)`` times the loss of each light curve's last valid step plus
    ``share`` times the mean, over light curves, of the mean loss over their
    valid steps; both weighted by class as the plain loss is, so that
    ``share=0`` is exactly the plain loss. The GRU is causal, so the logits
    after step ``t`` are those of the light curve cut after ``t`` (as RAPID,
    Muthukrishna et al. 2019, trains).

    Parameters
    ----------
    logits : tensor of shape (n, n_steps, n_classes)
    y : tensor of shape (n,), int64
    lengths : tensor of shape (n,), int64
    weight : tensor of shape (n_classes,) or None
    share : float
        ``GRUClassifier(sequence_loss=...)``.
    start : tensor of shape (n,), int64, or None, default=None
        The first step of each light curve whose prefix is scored
        (``GRUClassifier(sequence_loss_from="trigger")``: the first step at
        or after the trigger), clipped to its last step; None scores every
        prefix.

    Returns
    -------
    loss : tensor of shape ()
    """
    n, n_steps, n_classes = logits.shape
    lengths = lengths.to(logits.device).clamp(min=1, max=n_steps)
    rows = torch.arange(n, device=logits.device)
    last = torch.nn.functional.cross_entropy(logits[rows, lengths - 1], y, weight=weight)
    if share == 0:
        return last
    steps = torch.nn.functional.cross_entropy(
        logits.reshape(-1, n_classes), y.repeat_interleave(n_steps), weight=None,
        reduction="none").reshape(n, n_steps)
    position = torch.arange(n_steps, device=logits.device)[None, :]
    valid = position < lengths[:, None]
    if start is not None:
        first = torch.minimum(start.to(logits.device), lengths - 1)
        valid = valid & (position >= first[:, None])
    valid = valid.to(steps.dtype)
    per_object = (steps * valid).sum(dim=1) / valid.sum(dim=1)
    w = torch.ones_like(per_object) if weight is None else weight[y].to(per_object.dtype)
    return (1 - share) * last + share * (per_object * w).sum() / w.sum()
