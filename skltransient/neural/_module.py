"""The torch module: a GRU over the light curve beside a dense metadata branch."""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

__all__ = ["TransientGRU", "n_parameters"]


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
    """

    def __init__(self, n_channels, n_metadata, n_classes, hidden_size=100, num_layers=2,
                 dropout=0.2, metadata_size=16, head_size=64):
        super().__init__()
        self.encoder = nn.GRU(n_channels, hidden_size, num_layers=num_layers, batch_first=True,
                              dropout=dropout if num_layers > 1 else 0.0)
        if n_metadata > 0:
            self.metadata = nn.Sequential(nn.Linear(n_metadata, metadata_size), nn.ReLU())
        else:
            metadata_size = 0
            self.metadata = nn.Sequential()
        self.head = nn.Sequential(
            nn.Linear(hidden_size + metadata_size, head_size), nn.ReLU(), nn.Dropout(dropout),
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
        encoded : tensor of shape (n_objects, hidden_size) or (n_objects, n_steps, hidden_size)
            The last GRU layer's state: at each object's last step
            (:meth:`encode`), after every step (:meth:`forward_sequence`),
            or after the latest step of a stream (:meth:`step`).
        metadata : tensor of shape (n_objects, n_metadata)

        Returns
        -------
        logits : tensor of shape (n_objects, n_classes) or (n_objects, n_steps, n_classes)
        """
        meta = self.metadata(metadata)
        if encoded.ndim == 3:
            meta = meta[:, None, :].expand(-1, encoded.shape[1], -1)
        return self.head(torch.cat([encoded, meta], dim=encoded.ndim - 1))

    def step(self, values, hidden):
        """Run the GRU over new steps from a given state: a pass continued later.

        What a stream of observations does (:class:`~skltransient.early.ClassificationStream`):
        each new observation costs one step, whatever the light curve's
        length; :meth:`classify` of the new state's last layer gives the
        logits, equal to :meth:`forward`'s on the whole light curve.

        Parameters
        ----------
        values : tensor of shape (n_objects, n_steps, n_channels)
            The new steps (all valid: no padding).
        hidden : tensor of shape (num_layers, n_objects, hidden_size)
            The state after the previous steps; zeros before the first.

        Returns
        -------
        hidden : tensor of shape (num_layers, n_objects, hidden_size)
            The state after the new steps; ``hidden[-1]`` is the representation.
        """
        _, hidden = self.encoder(values, hidden)
        return hidden

    def encode(self, values, lengths, packed=True):
        """The last GRU layer's state at each light curve's last valid step.

        Packed by length, the GRU skips the padding. Unpacked
        (``packed=False``), it runs every step of the padded batch and the
        state is read at each length: the same state, because the GRU is
        causal, and faster when a batch's lengths are close (one dense
        kernel instead of a shrinking batch at every step).
        """
        lengths = lengths.clamp(min=1)
        if not packed:
            # Written to trace for ONNX at any batch size: the initial state and the gather
            # take their sizes from the tensors, not from Python ints.
            h0 = values.new_zeros(self.encoder.num_layers, values.shape[0], self.encoder.hidden_size)
            output, _ = self.encoder(values, h0)
            last = (lengths.to(output.device) - 1).view(-1, 1, 1).expand(-1, 1, output.shape[2])
            return output.gather(1, last).squeeze(1)
        packed_values = pack_padded_sequence(values, lengths.cpu(), batch_first=True,
                                             enforce_sorted=False)
        _, hidden = self.encoder(packed_values)
        return hidden[-1]

    def forward_sequence(self, values, metadata):
        """Logits of shape (n_objects, n_steps, n_classes) after every step.

        The GRU is causal, so the logits at step ``t`` use only steps up to
        ``t``; one pass gives every prefix's prediction. Steps beyond an
        object's length are meaningless and are the caller's to mask.
        """
        output, _ = self.encoder(values)
        return self.classify(output, metadata)


def n_parameters(n_channels, n_metadata, n_classes, *, hidden_size, num_layers, metadata_size,
                 head_size):
    """Number of parameters of a :class:`TransientGRU` of these sizes, without building it.

    Exact (Python integers), so that a size can be checked before anything is allocated.
    """
    gru = 3 * hidden_size * (n_channels + hidden_size + 2)
    gru += (num_layers - 1) * 3 * hidden_size * (2 * hidden_size + 2)
    if n_metadata > 0:
        metadata = (n_metadata + 1) * metadata_size
    else:
        metadata = metadata_size = 0
    head = (hidden_size + metadata_size + 1) * head_size + (head_size + 1) * n_classes
    return gru + metadata + head
