"""Export a fitted network to ONNX, and predict with onnxruntime.

:func:`to_onnx` writes the torch module of a fitted
:class:`~skltransient.GRUClassifier` (alone, in a pipeline or inside a
:class:`~skltransient.TransferClassifier`) as an ONNX graph with a variable
batch size and a variable number of steps. The graph takes what the
classifier takes, the padded, normalised light curves:

========== ======================================= =========
input      shape                                   type
========== ======================================= =========
values     (n_objects, n_steps, n_channels)        float32
lengths    (n_objects,)                            int64
metadata   (n_objects, n_metadata)                 float32
========== ======================================= =========

and gives ``logits`` and ``probabilities`` (softmax), both of shape
(n_objects, n_classes), columns in the order of ``classes_``.

The pre-processing stays in Python, where it is written once: the
pipeline's :class:`~skltransient.preprocessing.LightCurvePadder`,
:class:`~skltransient.preprocessing.FluxNormalizer` and
:class:`~skltransient.preprocessing.MetadataScaler` turn a
:class:`~skltransient.LightCurves` into a
:class:`~skltransient.PaddedLightCurves` whose ``values``, ``lengths`` and
``metadata`` are the graph's inputs. :class:`OnnxClassifier` does that and
runs the graph; a caller outside Python must reproduce those three steps
(the channels, the time scale, the normalisation and the metadata's mean,
scale and missing-value flags), which the graph's metadata names.

The GRU runs over every step of the padded batch and its state is read at
each light curve's length, which gives the same state as the packed
sequences torch uses in prediction (the GRU is causal: steps after the
last valid one never reach it), so padding never leaks into a prediction.
"""

import json
import numbers

import numpy as np
import torch
from torch import nn

from ._optional import import_optional
from .utils import split_model

__all__ = ["OnnxClassifier", "to_onnx"]

_INPUTS = ("values", "lengths", "metadata")
_OUTPUTS = ("logits", "probabilities")
_CHUNK = 2048  # light curves padded at once by OnnxClassifier.predict_proba


class _Exported(nn.Module):
    """The module's unpacked forward pass (traceable at any size), with its softmax."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, values, lengths, metadata):
        logits = self.module(values, lengths, metadata, packed=False)
        return logits, torch.softmax(logits, dim=1)


def to_onnx(model, path, *, opset=17):
    """Write a fitted network as an ONNX file with variable batch size and length.

    Parameters
    ----------
    model : GRUClassifier, Pipeline or TransferClassifier
        Fitted; a pipeline or transfer classifier gives its final
        ``GRUClassifier``, and its transformers are named in the file's
        metadata (the caller applies them; see the module docstring).
    path : str or path-like
        The ``.onnx`` file to write.
    opset : int, default=17
        ONNX operator set.

    Returns
    -------
    path : str

    Notes
    -----
    The file's metadata (``onnx.ModelProto.metadata_props``) holds, as
    JSON, ``classes`` (the labels in column order), ``channels``,
    ``metadata_names`` and ``preprocessing`` (the transformers' classes
    and parameters), so that the file says what its inputs must be.

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("onnxruntime")
    >>> import tempfile
    >>> from skltransient import pretrained
    >>> from skltransient.onnx import OnnxClassifier, to_onnx
    >>> from skltransient.utils._testing import make_toy_lightcurves
    >>> model = pretrained.load("ztf-sims")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = to_onnx(model, f"{folder}/ztf.onnx")
    ...     onnx_model = OnnxClassifier(path, preprocessing=model[:-1])
    ...     lc, _ = make_toy_lightcurves(5, random_state=0)
    ...     gap = abs(onnx_model.predict_proba(lc) - model.predict_proba(lc)).max()
    >>> bool(gap < 1e-5)
    True
    """
    onnx = import_optional("onnx", "Exporting to ONNX", "onnx")
    steps, classifier = split_model(model)
    module = classifier.module_
    was_training = module.training
    device = next(module.parameters()).device
    example = (torch.zeros(2, 3, classifier.n_channels_, device=device),
               torch.tensor([3, 1], device=device),
               torch.zeros(2, classifier.n_metadata_, device=device))
    axes = {"values": {0: "n_objects", 1: "n_steps"}, "lengths": {0: "n_objects"},
            "metadata": {0: "n_objects"}, "logits": {0: "n_objects"},
            "probabilities": {0: "n_objects"}}
    module.eval()
    try:
        with torch.no_grad(), _quiet_exporter():
            torch.onnx.export(_Exported(module), example, str(path), input_names=list(_INPUTS),
                              output_names=list(_OUTPUTS), dynamic_axes=axes,
                              opset_version=opset, dynamo=False)
    finally:
        module.train(was_training)
    graph = onnx.load(str(path))
    description = {
        "classes": [plain(label) for label in classifier.classes_],
        "channels": list(classifier.channels_),
        "metadata_names": list(getattr(classifier, "metadata_names_", None) or []),
        "preprocessing": [{"step": name, "class": type(step).__name__,
                           "params": {k: plain(v) for k, v in step.get_params(deep=False).items()}}
                          for name, step in steps],
    }
    for key, value in description.items():
        graph.metadata_props.add(key=key, value=json.dumps(value))
    onnx.save(graph, str(path))
    return str(path)


def plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, np.ndarray)):
        return [plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, list, dict, type(None))) else repr(value)


class _quiet_exporter:
    """Silence the legacy exporter's notices, which do not apply to this graph.

    It warns that a GRU traced at one batch size may fail at another, which
    the traced initial state rules out (the tests run other sizes), and
    that it is deprecated in favour of the torch.export-based exporter,
    which cannot yet export a GRU.
    """

    def __enter__(self):
        import warnings

        self._context = warnings.catch_warnings()
        self._context.__enter__()
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch")
        warnings.filterwarnings("ignore", category=UserWarning, module="torch")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


class OnnxClassifier:
    """Class probabilities from an ONNX file written by :func:`to_onnx`, with onnxruntime.

    Parameters
    ----------
    path : str or path-like
        The ``.onnx`` file.
    preprocessing : estimator or None, default=None
        The fitted transformers that turn a :class:`~skltransient.LightCurves`
        into the network's input, e.g. ``model[:-1]`` of the exported
        pipeline. None: ``predict_proba`` takes padded light curves.
    n_threads : int, default=1
        onnxruntime's intra-op threads (one, as the package's models use).
    batch_size : int, default=32
        Light curves per onnxruntime call, taken in order of length. The
        graph runs the GRU over every step up to the batch's longest light
        curve, where torch's packed sequences stop at each length, so
        small batches of similar lengths waste the least
        (``benchmarks/bench_engines.py`` measures it). The light curves
        are padded 2,048 at a time, and each call gets its batch's steps
        only.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, from the file.
    channels_ : tuple of str
        The channels the network reads, from the file.
    metadata_names_ : tuple of str
        Its metadata columns, from the file.
    session_ : onnxruntime.InferenceSession
    """

    def __init__(self, path, *, preprocessing=None, n_threads=1, batch_size=32):
        if (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                or batch_size < 1):
            raise ValueError(f"OnnxClassifier: batch_size must be a positive integer (light "
                             f"curves per onnxruntime call); got {batch_size!r}.")
        ort = import_optional("onnxruntime", "OnnxClassifier", "onnx")
        options = ort.SessionOptions()
        options.intra_op_num_threads = n_threads
        options.inter_op_num_threads = 1
        self.session_ = ort.InferenceSession(str(path), options,
                                             providers=["CPUExecutionProvider"])
        meta = {k: json.loads(v)
                for k, v in self.session_.get_modelmeta().custom_metadata_map.items()}
        if "classes" not in meta:
            raise ValueError(f"The ONNX file '{path}' has no 'classes' metadata; it was not "
                             f"written by skltransient.onnx.to_onnx. Export the model with it.")
        self.classes_ = np.asarray(meta["classes"])
        self.channels_ = tuple(meta["channels"])
        self.metadata_names_ = tuple(meta["metadata_names"])
        self.preprocessing = preprocessing
        self.batch_size = int(batch_size)

    def predict_proba(self, X):
        """Class probabilities, shape (n_objects, n_classes), columns in ``classes_`` order.

        Parameters
        ----------
        X : LightCurves or PaddedLightCurves
            Light curves when ``preprocessing`` was given, else padded ones.
        """
        if self.preprocessing is not None:
            X = self.preprocessing.transform(X)
        self._check(X)
        out = np.empty((len(X), len(self.classes_)), dtype=np.float64)
        order = np.argsort(X.lengths, kind="stable")  # batches of similar lengths pad little
        size = self.batch_size
        # Padded in chunks of many batches (padding has a cost per call), run batch by batch.
        chunk = max(size, _CHUNK)
        for index, part in X.batches(chunk, steps_per_batch=chunk * 256, order=order):
            values = np.asarray(part.values, dtype=np.float32)
            lengths = np.asarray(part.lengths, dtype=np.int64)
            metadata = np.asarray(part.metadata, dtype=np.float32)
            for start in range(0, len(index), size):
                rows = slice(start, start + size)
                # A chunk is as wide as its longest light curve: the GRU would run on.
                width = int(lengths[rows].max())
                (logits,) = self.session_.run(["logits"], {
                    "values": np.ascontiguousarray(values[rows, :width]),
                    "lengths": lengths[rows],
                    "metadata": np.ascontiguousarray(metadata[rows])})
                out[index[rows]] = _softmax(logits.astype(np.float64))
        return out

    def predict(self, X):
        """Most probable class of each light curve, shape (n_objects,)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _check(self, X):
        if tuple(X.channels) != self.channels_ or tuple(X.metadata_names) != self.metadata_names_:
            raise ValueError(
                f"The ONNX network reads channels {list(self.channels_)} and metadata "
                f"{list(self.metadata_names_)}, but X has {list(X.channels)} and "
                f"{list(X.metadata_names)}. Pass the exported pipeline's transformers as "
                f"preprocessing= (e.g. model[:-1]).")


def _softmax(logits):
    """The softmax of float32 logits in float64, as ``GRUClassifier.predict_proba`` takes it."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
