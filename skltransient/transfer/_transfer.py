"""TransferClassifier: fine-tune a fitted GRUClassifier on a new survey or on real data."""

import copy
import fnmatch
import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, Freezer, Unfreezer

from .._compat import Interval, StrOptions, fit_context, validate_estimator_params
from ..bands import get_band
from ..neural import GRUClassifier
from ..neural._dataset import PaddedDataset
from ..neural._seeding import seeded
from ..utils._models import split_model
from ..utils._validation import check_no_nested_params, name_mismatch
from ._adaptation import ADAPTATIONS, DomainAdaptation

__all__ = ["TransferClassifier"]

GROUPS = ("encoder", "metadata", "head")

#: GRUClassifier parameters that shape the pretrained network: fixed by the base.
ARCHITECTURE = ("hidden_size", "num_layers", "metadata_size", "head_size")


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
    the same pretrained weights. Because it is shared, not copied,
    ``get_params`` does not descend into ``estimator`` and ``set_params``
    refuses ``estimator__...`` parameters, so a search cannot modify it;
    ``fit`` works on copies of its network and transformers.

    The fine-tuned classifier follows the base: ``classifier_`` is
    ``clone(base_classifier).set_params(**training, **classifier_params)``,
    where ``training`` are this estimator's own parameters that
    ``GRUClassifier`` shares (``lr``, ``max_epochs``, ``batch_size``,
    ``class_weight``, ``validation_fraction``, ``n_iter_no_change``,
    ``tol``, ``device``, ``random_state``, ``verbose``, ``callbacks``).
    Everything else (optimiser, weight decay, dropout, prefix augmentation,
    prediction batch size, architecture) is the base's unless
    ``classifier_params`` sets it.

    Parameters
    ----------
    estimator : GRUClassifier or Pipeline
        A fitted ``GRUClassifier``, or a fitted ``Pipeline`` whose last step
        is one; its transformers are reused (see ``refit_transformers``).
    freeze : str, tuple of str or None, default=None
        Parameters kept fixed: group names ``"encoder"`` (the GRU and, with
        ``pooling="attention"``, its ``attention`` scores), ``"metadata"``,
        ``"head"`` and combinations such as ``("encoder", "metadata")``;
        glob patterns over parameter names (``"encoder.*_l0"``);
        ``"all_but_head"``; or None (the default) to fine-tune everything
        (the README's headline table compares it with a frozen encoder).
        Frozen
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
        A fraction means early stopping, whatever the number of labels (the
        base's ``early_stopping="auto"`` is not followed here; set
        ``classifier_params={"early_stopping": ...}`` to override).
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    device : str or None, default=None
        Torch device; None uses the base estimator's.
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
    callbacks : list of (str, skorch.callbacks.Callback) or None, default=None
    classifier_params : dict or None, default=None
        Other :class:`~skltransient.GRUClassifier` parameters of the
        fine-tuned classifier, overriding the base's, e.g.
        ``{"weight_decay": 1e-4, "dropout": 0.1, "optimizer": "sgd"}``;
        ``dropout`` is applied to the copied network. The architecture
        (``hidden_size``, ``num_layers``, ``metadata_size``, ``head_size``)
        is the pretrained network's and cannot be set, nor can this
        estimator's own parameters (set ``lr`` on the TransferClassifier).
    adaptation : {None, "coral", "entropy"}, default=None
        Domain adaptation with the ``unlabelled`` light curves, a term added
        to the loss of every training step on a batch of them. ``"coral"``
        (Deep CORAL) aligns the covariance of the encoder's representation
        of the labelled light curves with that of the unlabelled ones: use
        it when the labelled set is of another domain than the data to be
        classified, e.g. fresh simulations (``datasets.simulate``) as the
        labelled set and real alerts as ``unlabelled``, when the target has
        no labels. ``"entropy"`` (information maximisation, as in SHOT)
        makes the predictions on the unlabelled light curves confident and
        diverse; it needs nothing of the source domain, so it works with a
        few target labels, or with simulations as the labelled set. None
        trains on the labels alone. The base model does not store its
        training data: a source-domain labelled set is simulated anew.
    adaptation_weight : float, default=1.0
        Weight of the adaptation term against the classification loss.
    unlabelled : LightCurves (or what the base takes) or None, default=None
        Unlabelled light curves of the domain to be classified, used only by
        ``adaptation``. They are an estimator parameter, not part of ``X``
        and ``y``, so that :func:`~sklearn.model_selection.cross_val_score`
        and :class:`~sklearn.model_selection.GridSearchCV` split and score
        the labelled light curves only and never see an unlabelled one; the
        same unlabelled set serves every fold and candidate (shared between
        clones, like ``estimator``). They pass through the fitted
        transformers (fitted on the labelled data), never refit them.

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
        Epochs trained, including early stopping's patience.
    best_epoch_ : int
        Epochs to converge: the epoch whose weights are kept (that of the
        best validation loss with ``validation_fraction``, else
        ``n_epochs_``), as ``GRUClassifier.best_epoch_``.

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
        # TransferClassifier itself is added below the class.
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
        "classifier_params": [dict, None],
        "adaptation": [StrOptions(set(ADAPTATIONS)), None],
        "adaptation_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "unlabelled": "no_validation",
    }

    def __init__(self, estimator, *, freeze=None, unfreeze_at=None, reset_head="auto",
                 class_map=None, refit_transformers=False, lr=1e-3, lr_pretrained=None,
                 max_epochs=30, batch_size=128, class_weight="balanced", validation_fraction=None,
                 n_iter_no_change=5, tol=1e-4, device=None, random_state=None, verbose=0,
                 callbacks=None, classifier_params=None, adaptation=None, adaptation_weight=1.0,
                 unlabelled=None):
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
        self.classifier_params = classifier_params
        self.adaptation = adaptation
        self.adaptation_weight = adaptation_weight
        self.unlabelled = unlabelled

    # -------------------------------------------------------- clone safety
    def get_params(self, deep=True):
        """Parameters of this estimator; never those inside ``estimator``."""
        return super().get_params(deep=False)

    def set_params(self, **params):
        """Set this estimator's own parameters; those inside ``estimator`` are refused.

        As in :meth:`sklearn.frozen.FrozenEstimator.set_params`: the
        pretrained model is shared between clones, so ``estimator__...``
        would change it and its predictions. Only ``estimator=`` itself may
        be replaced.

        Parameters
        ----------
        **params : dict
            This estimator's parameters.

        Returns
        -------
        self : object
        """
        check_no_nested_params(
            "TransferClassifier", params,
            "Set TransferClassifier's own parameters (freeze, lr, ..., classifier_params for the "
            "fine-tuned classifier's), or pass another fitted model as estimator=.",
            shared="pretrained estimator")
        return super().set_params(**params)

    def __sklearn_clone__(self):
        params = self.get_params()
        estimator, unlabelled = params.pop("estimator"), params.pop("unlabelled")
        return type(self)(estimator, unlabelled=unlabelled,
                          **{k: clone(v, safe=False) for k, v in params.items()})

    # ----------------------------------------------------------------- fit
    @fit_context(prefer_skip_nested_validation=True)
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
        clf = self._make_classifier(base)
        self.transformers_ = self._fit_transformers(steps, X, y)
        Xt = X if self.transformers_ is None else self.transformers_.transform(X)
        Xt, y_encoded = clf.prepare_fit(Xt, y)
        fitted = getattr(base, "metadata_names_", None)  # absent from models saved before
        mismatch = None if fitted is None else name_mismatch(Xt.metadata_names, fitted)
        if mismatch or Xt.metadata.shape[1] != base.n_metadata_:
            raise ValueError(
                f"The target data have the metadata columns {list(Xt.metadata_names)} but the "
                f"base model was trained with {base.n_metadata_} columns"
                f"{'' if fitted is None else ' ' + str(list(fitted))}"
                f"{'' if mismatch is None else ': ' + mismatch}; use the same metadata columns "
                f"in the same order (a MetadataScaler keeps the width fixed).")
        with seeded(self.random_state, clf.device_):
            module = copy.deepcopy(base.module_).to("cpu")
            # A base saved by an older version may carry frozen flags; start clean.
            _release(module)
            _set_dropout(module, clf.dropout)
            module.encoder = _adapt_input(module.encoder, base.channels_, clf.channels_)
            self.new_classes_ = self._adapt_head(module, base.classes_, clf.classes_)
            self.frozen_parameters_ = _resolve_freeze(self.freeze, module)
            self._check_trainable(module)
            callbacks = self._freezing(module) + self._adaptation(clf)
            overrides = {}
            if self.lr_pretrained is not None:
                overrides["optimizer__param_groups"] = [
                    ("encoder.*", {"lr": self.lr_pretrained}),
                    ("metadata.*", {"lr": self.lr_pretrained})]
            clf.train_module(module, Xt, y_encoded, callbacks=callbacks, **overrides)
        self.classifier_ = clf
        self.classes_ = clf.classes_
        self.n_epochs_ = clf.n_epochs_
        self.best_epoch_ = clf.best_epoch_
        return self

    def _adaptation(self, clf):
        """The domain-adaptation callback of training, with the unlabelled set preprocessed."""
        if self.adaptation is None:
            return []
        if self.unlabelled is None:
            raise ValueError(f"adaptation={self.adaptation!r} needs unlabelled light curves of the "
                             f"target domain: pass them as unlabelled=.")
        encoder = [name for name in self.frozen_parameters_ if name.startswith("encoder.")]
        if self.adaptation == "coral" and encoder and self.unfreeze_at is None:
            raise ValueError(f"adaptation='coral' aligns the encoder's representations, but "
                             f"freeze={self.freeze!r} keeps the encoder fixed, so it would do "
                             f"nothing; train the encoder (freeze=None or 'head'), set "
                             f"unfreeze_at, or use adaptation='entropy'.")
        unlabelled = self.unlabelled
        if self.transformers_ is not None:
            unlabelled = self.transformers_.transform(unlabelled)
        unlabelled = clf.validate_input(unlabelled)
        if len(unlabelled) < 2:
            raise ValueError(f"unlabelled has {len(unlabelled)} light curve; adaptation needs at "
                             f"least 2.")
        return [("domain_adaptation", DomainAdaptation(
            ADAPTATIONS[self.adaptation], PaddedDataset(unlabelled), self.adaptation_weight))]

    def _make_classifier(self, base):
        """The unfitted classifier: the base's parameters, ours, then ``classifier_params``."""
        extra = dict(self.classifier_params or {})
        shared = sorted(set(self.get_params()) & set(base.get_params()))
        architecture = sorted(set(extra) & set(ARCHITECTURE))
        if architecture:
            raise ValueError(
                f"classifier_params cannot set {architecture}: the architecture "
                f"({', '.join(ARCHITECTURE)}) is that of the pretrained network.")
        own = sorted(set(extra) & set(shared))
        if own:
            raise ValueError(
                f"classifier_params cannot set {own}: they are TransferClassifier's own "
                f"parameters; set them directly, e.g. TransferClassifier(base, {own[0]}=...).")
        training = {name: getattr(self, name) for name in shared}
        training["device"] = self.device or base.device_
        if "early_stopping" not in extra:
            # Ours: a validation_fraction means early stopping, whatever the set's size.
            training["early_stopping"] = self.validation_fraction is not None
        clf = clone(base).set_params(**training, **extra)
        validate_estimator_params(clf)
        return clf

    def _check_trainable(self, module):
        """Refuse training epochs in which every parameter is frozen (torch cannot step)."""
        everything = len(self.frozen_parameters_) == len(list(module.parameters()))
        frozen_epochs = (self.max_epochs if self.unfreeze_at is None
                         else min(self.max_epochs, self.unfreeze_at - 1))
        if everything and frozen_epochs > 0:
            when = ("there is nothing to train" if self.unfreeze_at is None else
                    f"the epochs before unfreeze_at={self.unfreeze_at} have nothing to train")
            raise ValueError(
                f"freeze={self.freeze!r} freezes every parameter of the network, so {when}. Leave "
                f"some trainable (e.g. freeze='all_but_head'), or set max_epochs=0 to keep the "
                f"base model's weights.")

    def _fit_transformers(self, steps, X, y):
        """Copies of the base's fitted transformers, those named in ``refit_transformers`` refitted."""
        if not steps:
            return None
        names = [name for name, _ in steps]
        refit = self.refit_transformers
        if isinstance(refit, list):
            unknown = sorted(set(refit) - set(names))
            if unknown:
                raise ValueError(f"refit_transformers names steps {unknown} that are not in the "
                                 f"pipeline's transformers {names}.")
        else:
            refit = names if refit else []
        # Copies, so that nothing written through transformers_ reaches the base.
        last = max([names.index(name) for name in refit], default=-1)
        fitted, Xt = [], X
        for index, (name, step) in enumerate(steps):
            step = clone(step).fit(Xt, y) if name in refit else copy.deepcopy(step)
            if index < last:
                Xt = step.transform(Xt)
            fitted.append((name, step))
        return Pipeline(fitted)

    def _freezing(self, module):
        """skorch callbacks that freeze ``frozen_parameters_`` and unfreeze them at ``unfreeze_at``."""
        frozen = list(self.frozen_parameters_)
        groups = [group for group in GROUPS if _group_parameters(module, group)
                  and set(_group_parameters(module, group)) <= set(frozen)]
        callbacks = [("eval_frozen_groups", _EvalFrozenGroups(groups, self.unfreeze_at))]
        if frozen:
            callbacks.append(("freezer", Freezer(frozen)))
        if frozen and self.unfreeze_at is not None:
            callbacks.append(("unfreezer", Unfreezer(frozen, at=self.unfreeze_at)))
        return callbacks

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
        """``X`` through the fitted transformers; read before ``classifier_``, as it checks
        that this estimator is fitted (a NotFittedError, not an AttributeError)."""
        check_is_fitted(self, "classifier_")
        return X if self.transformers_ is None else self.transformers_.transform(X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_objects, n_classes), columns in ``classes_`` order."""
        Xt = self._transform(X)
        return self.classifier_.predict_proba(Xt)

    def decision_function(self, X):
        """Logits, shape (n_objects, n_classes)."""
        Xt = self._transform(X)
        return self.classifier_.decision_function(Xt)

    def predict(self, X):
        """Most probable class of each object."""
        Xt = self._transform(X)
        return self.classifier_.predict(Xt)

    def predict_proba_over_time(self, X):
        """Probabilities after each step; see :meth:`GRUClassifier.predict_proba_over_time`."""
        Xt = self._transform(X)
        return self.classifier_.predict_proba_over_time(Xt)

    def predict_proba_at(self, X, days_since_trigger):
        """Probabilities at days since trigger; see :meth:`GRUClassifier.predict_proba_at`."""
        Xt = self._transform(X)
        return self.classifier_.predict_proba_at(Xt, days_since_trigger)

    def __sklearn_is_fitted__(self):
        """Fitted when it has a fine-tuned classifier."""
        return hasattr(self, "classifier_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = self.random_state is None
        return tags


# A fitted TransferClassifier is a base too: split_model unwraps it.
TransferClassifier._parameter_constraints["estimator"].append(TransferClassifier)


def _resolve_freeze(freeze, module):
    """Names of the parameters that a ``freeze`` specification selects."""
    names = [name for name, _ in module.named_parameters()]
    if freeze is None:
        return []
    specs = [freeze] if isinstance(freeze, str) else list(freeze)
    chosen = []
    for spec in specs:
        if spec == "all_but_head":
            patterns = ["encoder.*", "attention.*", "metadata.*"]
        elif spec == "encoder":  # the representation: the GRU and its pooling's scores
            patterns = ["encoder.*", "attention.*"]
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

    A channel the base model knows keeps its weights bit for bit. A grid
    channel of a band the base model never saw (``flux_lssti``) takes the
    weights of the same kind of channel in the trained band nearest in
    wavelength, divided by the number of new channels that take them: new
    bands standing in for one trained band weigh together as much as it
    (ZTF g, r to LSST g, r, i, z: ``flux_lsstg`` gets ``flux_ztfg``'s
    weights, ``flux_lsstr``, ``flux_lssti`` and ``flux_lsstz`` a third of
    ``flux_ztfr``'s each). A new band beside its source (ZTF g, r to g, r, i)
    thus adds to the source's input; fine-tune the encoder to weigh it.
    """
    base_channels, target_channels = list(base_channels), list(target_channels)
    if base_channels == target_channels:
        return encoder
    source = [_nearest_channel(c, base_channels) for c in target_channels]
    shared = [s for c, s in zip(target_channels, source) if c not in base_channels]
    widened = copy.deepcopy(encoder)
    old = encoder.weight_ih_l0.detach()
    new = torch.stack([old[:, base_channels.index(s)] if c in base_channels
                       else old[:, base_channels.index(s)] / shared.count(s)
                       for c, s in zip(target_channels, source)], dim=1)
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


def _group_parameters(module, group):
    return [name for name, _ in getattr(module, group).named_parameters(group)]


def _release(module):
    """Leave nothing frozen: every parameter trainable, no group held in evaluation mode."""
    for parameter in module.parameters():
        parameter.requires_grad_(True)
    module.eval_groups = ()


def _set_dropout(module, p):
    """Give a copied TransientGRU the dropout ``p``, where its constructor puts it."""
    if module.encoder.num_layers > 1:
        module.encoder.dropout = float(p)
    for layer in module.modules():
        if isinstance(layer, torch.nn.Dropout):
            layer.p = float(p)


class _EvalFrozenGroups(Callback):
    """Keep wholly frozen groups in evaluation mode until ``unfreeze_at``; release all at the end.

    skorch's :class:`~skorch.callbacks.Freezer` stops the gradients; this
    also turns off the dropout of a wholly frozen group, so that a frozen
    encoder is a fixed feature extractor. When training ends it leaves
    nothing frozen (every parameter trainable, no group held in evaluation
    mode), so that the fitted model fine-tunes again as given. A training
    that fails leaves its module behind unused: ``fit`` keeps nothing of it.
    """

    def __init__(self, groups, unfreeze_at=None):
        self.groups = groups
        self.unfreeze_at = unfreeze_at

    def on_train_begin(self, net, **kwargs):
        net.module_.eval_groups = tuple(self.groups)

    def on_epoch_begin(self, net, **kwargs):
        if self.unfreeze_at is not None and len(net.history) >= self.unfreeze_at:
            net.module_.eval_groups = ()

    def on_train_end(self, net, **kwargs):
        _release(net.module_)
