"""The torch module: a GRU over the light curve beside a dense metadata branch."""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["POOLING", "TransientGRU", "n_parameters"]

#: What the representation holds beside the last step's state (``TransientGRU(pooling=)``).
POOLING = ("last", "mean", "attention")

# Attention scores are bounded to +-ATTENTION_BOUND (weights within a factor e**10 of each
# other), so that the running sums of exp(score) never overflow and need no running maximum.
ATTENTION_BOUND = 5.0


class TransientGRU(nn.Module):
    """Recurrent light-curve classifier after Gupta & Muthukrishna (2025).

    A stacked GRU reads the padded light curve, packed by true lengths so that
    padding costs nothing and never leaks into the state; a dense branch reads
    the per-object metadata (redshift, Milky Way E(B-V), ...); a small dense
    head classifies their concatenation. The three parts are the named
    submodules ``encoder``, ``metadata`` and ``head``: these names are public
    API, because transfer learning freezes parameters by them.

    Parameters
    ----------
    n_channels : int
        Channels per step of the input.
    n_metadata : int
        Metadata columns; 0 disables the metadata branch.
    n_classes : int
        Number of output classes (logits).
    hidden_size : int, default=100
        GRU units per layer (torch's name).
    num_layers : int, default=2
        Stacked GRU layers (torch's name).
    dropout : float, default=0.2
        Dropout between GRU layers and in the head.
    metadata_size : int, default=16
        Width of the metadata branch.
    head_size : int, default=64
        Width of the head's hidden layer.
    pooling : {"last", "mean", "attention"}, default="last"
        The representation the head reads: ``"last"``, the last GRU layer's
        state at the last step; ``"mean"``, that state beside the mean of
        the states of every step so far; ``"attention"``, beside their
        weighted mean, each step's weight ``exp(score)`` with a learned
        score (the submodule ``attention``, a linear map of the state,
        bounded to +-5 by a tanh). The pooled part is causal: at step ``t``
        it averages steps up to ``t`` (running sums), so that predictions
        over time and streams stay causal.

    Attributes
    ----------
    representation_size : int
        Width of the representation (:meth:`encode`): ``hidden_size``, or
        twice it with pooling.
    pool_size : int
        Width of a stream's running pool state (:meth:`step`): 0, or
        ``hidden_size + 1`` with pooling.
    """

    def __init__(self, n_channels, n_metadata, n_classes, hidden_size=100, num_layers=2,
                 dropout=0.2, metadata_size=16, head_size=64, pooling="last"):
        super().__init__()
        if pooling not in POOLING:
            raise ValueError(f"pooling={pooling!r} is not one of {POOLING}.")
        self.pooling = pooling
        self.encoder = nn.GRU(n_channels, hidden_size, num_layers=num_layers, batch_first=True,
                              dropout=dropout if num_layers > 1 else 0.0)
        if pooling == "attention":
            self.attention = nn.Linear(hidden_size, 1)
        self.representation_size = hidden_size * (1 if pooling == "last" else 2)
        self.pool_size = 0 if pooling == "last" else hidden_size + 1
        if n_metadata > 0:
            self.metadata = nn.Sequential(nn.Linear(n_metadata, metadata_size), nn.ReLU())
        else:
            metadata_size = 0
            self.metadata = nn.Sequential()
        self.head = nn.Sequential(
            nn.Linear(self.representation_size + metadata_size, head_size), nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(head_size, n_classes))
        # Names of submodules kept in evaluation mode while training (frozen groups).
        self.eval_groups = ()

    def train(self, mode=True):
        """Set training mode, keeping the groups in ``eval_groups`` in evaluation mode."""
        super().train(mode)
        for name in self.eval_groups:
            getattr(self, name).eval()
        return self

    def forward(self, values, lengths, metadata, packed=True):
        """Logits of shape (n_objects, n_classes) from each full light curve.

        ``packed=False`` gives the same logits by another road (see :meth:`encode`).
        """
        return self.classify(self.encode(values, lengths, packed), metadata)

    def classify(self, encoded, metadata):
        """Logits from the encoder's representation and the metadata: the head's part of a pass.

        Parameters
        ----------
        encoded : tensor of shape (n_objects, representation_size) or \
(n_objects, n_steps, representation_size)
            The representation: at each object's last step (:meth:`encode`),
            after every step (:meth:`forward_sequence`), or after the latest
            step of a stream (:meth:`step`).
        metadata : tensor of shape (n_objects, n_metadata)

        Returns
        -------
        logits : tensor of shape (n_objects, n_classes) or (n_objects, n_steps, n_classes)
        """
        meta = self.metadata(metadata)
        if encoded.ndim == 3:
            meta = meta[:, None, :].expand(-1, encoded.shape[1], -1)
        return self.head(torch.cat([encoded, meta], dim=encoded.ndim - 1))

    def step(self, values, hidden, pooled):
        """Run the network over new steps from a given state: a pass continued later.

        What a stream of observations does (:class:`~skltransient.early.ClassificationStream`):
        each new observation costs one step, whatever the light curve's
        length; :meth:`classify` of the representation it returns gives the
        logits, equal to :meth:`forward`'s on the whole light curve.

        Parameters
        ----------
        values : tensor of shape (n_objects, n_steps, n_channels)
            The new steps (all valid: no padding).
        hidden : tensor of shape (num_layers, n_objects, hidden_size)
            The GRU's state after the previous steps; zeros before the first.
        pooled : tensor of shape (n_objects, pool_size)
            The pooling's running sums after the previous steps (the weighted
            sum of the states, then the sum of the weights); zeros before the
            first; of width 0 with ``pooling="last"``.

        Returns
        -------
        encoded : tensor of shape (n_objects, representation_size)
            The representation after the last new step.
        hidden, pooled : tensors
            The states after the new steps, shaped as given.
        """
        output, hidden = self.encoder(values, hidden)
        if self.pooling != "last":
            weights = self._weights(output)
            pooled = pooled + torch.cat([(weights * output).sum(1), weights.sum(1)], dim=1)
        return self.represent(hidden[-1], pooled), hidden, pooled

    def represent(self, state, pooled):
        """The representation from a stream's last state and running pool (see :meth:`step`)."""
        if self.pooling == "last":
            return state
        return torch.cat([state, pooled[:, :-1] / pooled[:, -1:]], dim=1)

    def encode(self, values, lengths, packed=True):
        """The representation at each light curve's last valid step.

        Packed by length, the GRU skips the padding. Unpacked
        (``packed=False``), it runs every step of the padded batch and the
        state is read at each length: the same state, because the GRU is
        causal, and faster when a batch's lengths are close (one dense
        kernel instead of a shrinking batch at every step).
        """
        lengths = lengths.clamp(min=1)
        if packed:
            packed_values = pack_padded_sequence(values, lengths.cpu(), batch_first=True,
                                                 enforce_sorted=False)
            if self.pooling == "last":
                _, hidden = self.encoder(packed_values)
                return hidden[-1]
            output, _ = pad_packed_sequence(self.encoder(packed_values)[0], batch_first=True)
        else:
            # Written to trace for ONNX at any batch size: the initial state and the gather
            # take their sizes from the tensors, not from Python ints.
            h0 = values.new_zeros(self.encoder.num_layers, values.shape[0], self.encoder.hidden_size)
            output, _ = self.encoder(values, h0)
        output = self.pool(output)
        last = (lengths.to(output.device) - 1).view(-1, 1, 1).expand(-1, 1, output.shape[2])
        return output.gather(1, last).squeeze(1)

    def pool(self, output):
        """The representation after every step from the last layer's states.

        Parameters
        ----------
        output : tensor of shape (n_objects, n_steps, hidden_size)
            The last GRU layer's state after each step.

        Returns
        -------
        encoded : tensor of shape (n_objects, n_steps, representation_size)
            ``output`` itself with ``pooling="last"``; else each step's state
            beside the (weighted) mean of the states up to it. Padding after
            a light curve's end never reaches its valid steps.
        """
        if self.pooling == "last":
            return output
        weights = self._weights(output)
        pooled = torch.cumsum(weights * output, dim=1) / torch.cumsum(weights, dim=1)
        return torch.cat([output, pooled], dim=2)

    def _weights(self, output):
        if self.pooling == "mean":
            return torch.ones_like(output[..., :1])
        return torch.exp(ATTENTION_BOUND * torch.tanh(self.attention(output)))

    def forward_sequence(self, values, metadata):
        """Logits of shape (n_objects, n_steps, n_classes) after every step.

        The GRU is causal, so the logits at step ``t`` use only steps up to
        ``t``; one pass gives every prefix's prediction. Steps beyond an
        object's length are meaningless and are the caller's to mask.
        """
        output, _ = self.encoder(values)
        return self.classify(self.pool(output), metadata)


def n_parameters(n_channels, n_metadata, n_classes, *, hidden_size, num_layers, metadata_size,
                 head_size, pooling="last"):
    """Number of parameters of a :class:`TransientGRU` of these sizes, without building it.

    Exact (Python integers), so that a size can be checked before anything is allocated.
    """
    gru = 3 * hidden_size * (n_channels + hidden_size + 2)
    gru += (num_layers - 1) * 3 * hidden_size * (2 * hidden_size + 2)
    if n_metadata > 0:
        metadata = (n_metadata + 1) * metadata_size
    else:
        metadata = metadata_size = 0
    width = hidden_size if pooling == "last" else 2 * hidden_size
    attention = hidden_size + 1 if pooling == "attention" else 0
    head = (width + metadata_size + 1) * head_size + (head_size + 1) * n_classes
    return gru + metadata + attention + head
