"""TransferClassifier: fine-tune a fitted GRUClassifier on a new survey or on real data."""

import copy
import fnmatch
import numbers
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from .._compat import Interval, StrOptions, _fit_context
from ..bands import get_band
from ..neural import GRUClassifier
from ..neural._classifier import _seeded

__all__ = ["TransferClassifier", "split_model"]

GROUPS = ("encoder", "metadata", "head")


class TransferClassifier(ClassifierMixin, BaseEstimator):
    """Fine-tune a fitted light-curve classifier on a new, smaller labelled set.

    Starting from a :class:`~skltransient.GRUClassifier` trained on plentiful
    data (e.g. simulated ZTF light curves), ``fit`` copies its network,
    adapts the input layer and the output rows to the target data, freezes
    the requested parameters and trains on the target labels, as in
    Gupta & Muthukrishna (2025). The given estimator is never modified.

    The pretrained model travels through :func:`~sklearn.base.clone` (like
    :class:`~sklearn.frozen.FrozenEstimator`): every candidate of a
    :class:`~sklearn.model_selection.GridSearchCV` and every fold of
    :func:`~sklearn.model_selection.cross_val_score` starts fine-tuning from
    the same pretrained weights. ``get_params`` therefore does not descend
    into ``estimator``, so a search cannot modify it.

    Parameters
    ----------
    estimator : GRUClassifier or Pipeline
        A fitted ``GRUClassifier``, or a fitted ``Pipeline`` whose last step
        is one; its transformers are reused (see ``refit_transformers``).
    freeze : str, tuple of str or None, default="encoder"
        Parameters kept fixed: group names ``"encoder"``, ``"metadata"``,
        ``"head"`` and combinations such as ``("encoder", "metadata")``;
        glob patterns over parameter names (``"encoder.*_l0"``);
        ``"all_but_head"``; or None to fine-tune everything. Frozen
        parameters are bitwise unchanged by ``fit``; a wholly frozen group
        runs in evaluation mode during training (no dropout), so it acts as a
        fixed feature extractor.
    unfreeze_at : int or None, default=None
        Epoch (1-based) from which everything is trained (gradual
        unfreezing); None keeps the frozen parameters frozen.
    reset_head : {"auto", True, False}, default="auto"
        Rows of the output layer for classes shared with the base model
        (after ``class_map``) keep their weights; new classes get freshly
        initialised rows. True re-initialises the whole head; ``"auto"``
        does so only when no class is shared.
    class_map : dict or None, default=None
        Base class name to target class name, e.g. the simulation's eleven
        classes onto the five of the ZTF Bright Transient Survey
        (:data:`skltransient.datasets.BTS_CLASS_MAP`). Several base classes
        mapped to one target class start it from the mean of their rows.
    refit_transformers : bool or list of str, default=False
        Refit the pipeline's transformers on the target data: all (True),
        none (False), or those with the given step names (e.g.
        ``["metadatascaler"]``). With the grid representation and new bands,
        refit the ``LightCurvePadder`` so that it makes the new channels.
    lr : float, default=1e-3
        Learning rate of the parameters being trained.
    lr_pretrained : float or None, default=None
        Learning rate of the pretrained ``encoder`` and ``metadata`` groups
        when trained (None: ``lr``); a smaller value fine-tunes them gently.
    max_epochs : int, default=30
    batch_size : int, default=128
    class_weight : "balanced", dict or None, default="balanced"
    validation_fraction : float or None, default=None
        As in :class:`~skltransient.GRUClassifier`: None wastes no scarce
        labels; a class too small to split makes it fall back with a warning.
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    device : str or None, default=None
        Torch device; None uses the base estimator's.
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
    callbacks : list of (str, skorch.callbacks.Callback) or None, default=None

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    classifier_ : GRUClassifier
        The fine-tuned classifier (``classifier_.net_`` holds the history).
    transformers_ : Pipeline or None
        The fitted transformers applied before the classifier.
    frozen_parameters_ : list of str
        Names of the parameters frozen during fine-tuning.
    new_classes_ : list
        Target classes that the base model did not know.
    n_epochs_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from skltransient import GRUClassifier, TransferClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 5, 2)).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> base = GRUClassifier(hidden_size=8, max_epochs=2, random_state=0).fit(X, y)
    >>> tuned = TransferClassifier(base, freeze="encoder", max_epochs=2, random_state=0).fit(X[:20], y[:20])
    >>> tuned.frozen_parameters_[:2]
    ['encoder.weight_ih_l0', 'encoder.weight_hh_l0']
    """

    _parameter_constraints = {
        "estimator": [GRUClassifier, Pipeline],
        "freeze": [str, tuple, list, None],
        "unfreeze_at": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "reset_head": [StrOptions({"auto"}), "boolean"],
        "class_map": [dict, None],
        "refit_transformers": ["boolean", list],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "lr_pretrained": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "max_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "device": [str, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    def __init__(self, estimator, *, freeze="encoder", unfreeze_at=None, reset_head="auto",
                 class_map=None, refit_transformers=False, lr=1e-3, lr_pretrained=None,
                 max_epochs=30, batch_size=128, class_weight="balanced", validation_fraction=None,
                 n_iter_no_change=5, tol=1e-4, device=None, random_state=None, verbose=0,
                 callbacks=None):
        self.estimator = estimator
        self.freeze = freeze
        self.unfreeze_at = unfreeze_at
        self.reset_head = reset_head
        self.class_map = class_map
        self.refit_transformers = refit_transformers
        self.lr = lr
        self.lr_pretrained = lr_pretrained
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # -------------------------------------------------------- clone safety
    def get_params(self, deep=True):
        """Parameters of this estimator; never those inside ``estimator``."""
        return super().get_params(deep=False)

    def __sklearn_clone__(self):
        params = self.get_params()
        estimator = params.pop("estimator")
        return type(self)(estimator, **{k: clone(v, safe=False) for k, v in params.items()})

    # ----------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fine-tune a copy of the base network on the target data.

        Parameters
        ----------
        X : LightCurves, PaddedLightCurves or ndarray
            Whatever the base estimator takes (a ``LightCurves`` for a pipeline).
        y : array-like of shape (n_objects,)
            Target labels.

        Returns
        -------
        self : object
        """
        steps, base = split_model(self.estimator)
        self.transformers_ = self._fit_transformers(Pipeline(steps) if steps else None, X, y)
        Xt = X if self.transformers_ is None else self.transformers_.transform(X)
        clf = GRUClassifier(
            hidden_size=base.hidden_size, num_layers=base.num_layers, dropout=base.dropout,
            metadata_size=base.metadata_size, head_size=base.head_size,
            max_epochs=self.max_epochs, batch_size=self.batch_size, lr=self.lr,
            optimizer=base.optimizer, weight_decay=base.weight_decay,
            class_weight=self.class_weight, validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change, tol=self.tol,
            prefix_augmentation=base.prefix_augmentation,
            predict_batch_size=base.predict_batch_size,
            device=self.device or base.device_, random_state=self.random_state,
            verbose=self.verbose, callbacks=self.callbacks)
        Xt, y_encoded = clf._check_fit_data(Xt, y)
        if Xt.metadata.shape[1] != base.n_metadata_:
            raise ValueError(
                f"The target data have {Xt.metadata.shape[1]} metadata columns but the base model "
                f"was trained with {base.n_metadata_}; use the same metadata columns (a "
                f"MetadataScaler keeps the width fixed).")
        with _seeded(self.random_state, clf._resolve_device()):
            module = copy.deepcopy(base.module_).to("cpu")
            module.encoder = _adapt_input(module.encoder, base.channels_, clf.channels_)
            self.new_classes_ = self._adapt_head(module, base.classes_, clf.classes_)
            self.frozen_parameters_ = _resolve_freeze(self.freeze, module)
            groups = [g for g in GROUPS if all(
                n in self.frozen_parameters_ for n, _ in getattr(module, g).named_parameters(g))
                and any(True for _ in getattr(module, g).parameters())]
            freezer = _Freezer(self.frozen_parameters_, groups, self.unfreeze_at)
            overrides = {}
            if self.lr_pretrained is not None:
                overrides["optimizer__param_groups"] = [
                    ("encoder.*", {"lr": self.lr_pretrained}),
                    ("metadata.*", {"lr": self.lr_pretrained})]
            clf._train(module, Xt, y_encoded, extra_callbacks=[("freezer", freezer)], **overrides)
        self.classifier_ = clf
        self.classes_ = clf.classes_
        self.n_epochs_ = clf.n_epochs_
        return self

    def _fit_transformers(self, transformers, X, y):
        if transformers is None:
            return None
        refit = self.refit_transformers
        names = [name for name, _ in transformers.steps]
        if isinstance(refit, list):
            unknown = sorted(set(refit) - set(names))
            if unknown:
                raise ValueError(f"refit_transformers names steps {unknown} that are not in the "
                                 f"pipeline's transformers {names}.")
        elif refit:
            refit = names
        else:
            return transformers
        steps, Xt = [], X
        for name, step in transformers.steps:
            step = clone(step).fit(Xt, y) if name in refit else step
            Xt = step.transform(Xt)
            steps.append((name, step))
        return Pipeline(steps)

    def _adapt_head(self, module, base_classes, target_classes):
        """Re-shape the output layer to the target classes; return the new classes."""
        class_map = self.class_map or {}
        unknown = sorted(set(map(str, class_map)) - set(map(str, base_classes)))
        if unknown:
            raise ValueError(f"class_map names base classes {unknown} that the base model does not "
                             f"have; its classes are {list(base_classes)}.")
        mapped = np.array([class_map.get(c, c) for c in base_classes.tolist()], dtype=object)
        sources = [np.flatnonzero(mapped == c) for c in target_classes.tolist()]
        new = [c for c, rows in zip(target_classes.tolist(), sources) if rows.size == 0]
        reset = self.reset_head is True or (self.reset_head == "auto" and
                                            len(new) == len(target_classes))
        if reset:
            for layer in module.head:
                if hasattr(layer, "reset_parameters"):
                    layer.reset_parameters()
            sources = [np.array([], dtype=int)] * len(target_classes)
        old = module.head[-1]
        layer = torch.nn.Linear(old.in_features, len(target_classes))
        with torch.no_grad():
            for row, rows in enumerate(sources):
                if rows.size:
                    layer.weight[row] = old.weight[rows].mean(dim=0)
                    layer.bias[row] = old.bias[rows].mean()
        module.head[-1] = layer
        return list(target_classes) if reset else new

    # ------------------------------------------------------------- predict
    def _transform(self, X):
        check_is_fitted(self, "classifier_")
        return X if self.transformers_ is None else self.transformers_.transform(X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_objects, n_classes), columns in ``classes_`` order."""
        return self.classifier_.predict_proba(self._transform(X))

    def decision_function(self, X):
        """Logits, shape (n_objects, n_classes)."""
        return self.classifier_.decision_function(self._transform(X))

    def predict(self, X):
        """Most probable class of each object."""
        return self.classifier_.predict(self._transform(X))

    def predict_proba_over_time(self, X):
        """Probabilities after each step; see :meth:`GRUClassifier.predict_proba_over_time`."""
        return self.classifier_.predict_proba_over_time(self._transform(X))

    def predict_proba_at(self, X, days_since_trigger):
        """Probabilities at days since trigger; see :meth:`GRUClassifier.predict_proba_at`."""
        return self.classifier_.predict_proba_at(self._transform(X), days_since_trigger)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = self.random_state is None
        return tags


def split_model(model):
    """Split a fitted model into its transformers and its final ``GRUClassifier``.

    The one place that knows how models nest: a ``GRUClassifier``; a
    ``Pipeline`` ending in one; a ``TransferClassifier`` (its fitted
    ``transformers_`` and ``classifier_``); or a ``Pipeline`` ending in a
    ``TransferClassifier``. Used by fine-tuning, early classification,
    streaming, persistence and Dask prediction alike.

    Parameters
    ----------
    model : GRUClassifier, TransferClassifier or Pipeline
        A fitted model.

    Returns
    -------
    steps : list of (str, estimator)
        The fitted transformers applied before the classifier, in order.
    classifier : GRUClassifier
        The fitted classifier.
    """
    steps = []
    if isinstance(model, Pipeline):
        steps = list(model.steps[:-1])
        model = model.steps[-1][1]
    if isinstance(model, TransferClassifier):
        check_is_fitted(model, "classifier_", msg=(
            "The TransferClassifier is not fitted; fit it on the target data first."))
        if model.transformers_ is not None:
            steps += list(model.transformers_.steps)
        model = model.classifier_
    if not isinstance(model, GRUClassifier):
        raise TypeError(f"Expected a fitted GRUClassifier, TransferClassifier or a Pipeline ending "
                        f"in one; got {type(model).__name__}.")
    check_is_fitted(model, "net_", msg=f"The {type(model).__name__} is not fitted; fit it first.")
    return steps, model


def _resolve_freeze(freeze, module):
    """Names of the parameters that a ``freeze`` specification selects."""
    names = [name for name, _ in module.named_parameters()]
    if freeze is None:
        return []
    specs = [freeze] if isinstance(freeze, str) else list(freeze)
    chosen = []
    for spec in specs:
        if spec == "all_but_head":
            patterns = ["encoder.*", "metadata.*"]
        elif spec in GROUPS:
            patterns = [f"{spec}.*"]
        else:
            patterns = [spec]
        matched = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        if not matched and spec not in ("metadata", "all_but_head"):
            raise ValueError(
                f"freeze={spec!r} matches no parameter. Use the groups {GROUPS}, 'all_but_head', "
                f"or glob patterns over the parameter names, e.g. {names[:3]}.")
        chosen.extend(n for n in matched if n not in chosen)
    return chosen


def _adapt_input(encoder, base_channels, target_channels):
    """Widen or re-order the GRU's input layer for the target's channels.

    Identical channel names keep their weights. A grid channel of a band the
    base model never saw (``flux_lssti``) takes the weights of the same kind
    of channel in the trained band nearest in wavelength, divided by the
    number of target channels that share that source, so that the summed
    input to the GRU keeps its scale.
    """
    base_channels, target_channels = list(base_channels), list(target_channels)
    if base_channels == target_channels:
        return encoder
    source = [_nearest_channel(c, base_channels) for c in target_channels]
    counts = {s: source.count(s) for s in set(source)}
    widened = copy.deepcopy(encoder)
    old = encoder.weight_ih_l0.detach()
    new = torch.stack([old[:, base_channels.index(s)] / counts[s] for s in source], dim=1)
    widened.weight_ih_l0 = torch.nn.Parameter(new.contiguous())
    widened.input_size = len(target_channels)
    widened.flatten_parameters() if hasattr(widened, "flatten_parameters") else None
    return widened


def _nearest_channel(channel, base_channels):
    if channel in base_channels:
        return channel
    kind, _, band = channel.rpartition("_")
    candidates = [c for c in base_channels if c.rpartition("_")[0] == kind]
    if not kind or not candidates:
        raise ValueError(
            f"The target's channel {channel!r} has no counterpart among the base model's channels "
            f"{base_channels}; use the same LightCurvePadder representation for both.")
    wavelength = get_band(band).wavelength
    return min(candidates, key=lambda c: abs(get_band(c.rpartition("_")[2]).wavelength - wavelength))


class _Freezer(Callback):
    """Freeze named parameters from the first epoch; unfreeze all at ``unfreeze_at``.

    Wholly frozen groups are kept in evaluation mode while frozen, so that
    their dropout is off and a frozen encoder is a fixed feature extractor.
    """

    def __init__(self, names, groups, unfreeze_at=None):
        self.names = names
        self.groups = groups
        self.unfreeze_at = unfreeze_at

    def on_train_begin(self, net, **kwargs):
        self._set(net, frozen=True)

    def on_epoch_begin(self, net, **kwargs):
        if self.unfreeze_at is not None and len(net.history) >= self.unfreeze_at:
            self._set(net, frozen=False)

    def on_train_end(self, net, **kwargs):
        net.module_.eval_groups = ()

    def _set(self, net, frozen):
        for name, parameter in net.module_.named_parameters():
            if name in self.names:
                parameter.requires_grad_(not frozen)
        net.module_.eval_groups = tuple(self.groups) if frozen else ()
