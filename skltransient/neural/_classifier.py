"""GRUClassifier: the scikit-learn face of the recurrent light-curve classifier."""

import contextlib
import numbers
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import EarlyStopping, ProgressBar
from skorch.helper import predefined_split

from .._compat import Interval, StrOptions, fit_context
from ..utils._memory import check_memory
from ..utils._validation import as_padded, check_labels, has_channel_names, name_mismatch
from ._dataset import BatchIterator, PaddedDataset
from ._module import POOLING, TransientGRU, n_parameters
from ._net import EpochLog, TrainingNet, quiet
from ._runtime import PRECISIONS, runtime
from ._seeding import seeded

# Training holds each parameter four times in float32: the weight, its gradient, Adam's two moments.
_BYTES_PER_TRAINED_PARAMETER = 16

__all__ = ["GRUClassifier"]

#: Steps per light curve of ``predict_batch_size`` that a prediction batch may hold.
_STEPS_PER_LIGHT_CURVE = 256

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


class GRUClassifier(ClassifierMixin, BaseEstimator):
    """Recurrent neural-network classifier of light curves (skorch + torch).

    A two-layer GRU over the padded light curve, read at each true length,
    and a parallel dense branch on per-object metadata, joined by a small
    dense head (:class:`~skltransient.neural.TransientGRU`), trained with
    class-weighted cross-entropy on logits, as in Gupta & Muthukrishna (2025).
    Training runs through a skorch :class:`~skorch.NeuralNetClassifier` built
    in ``fit`` and kept as ``net_``; batches are sliced from tensors rather
    than assembled sample by sample.

    Parameters
    ----------
    hidden_size : int, default=100
        GRU units per layer.
    num_layers : int, default=2
        Stacked GRU layers.
    dropout : float, default=0.2
        Dropout between GRU layers and in the head.
    metadata_size : int, default=16
        Width of the metadata branch.
    head_size : int, default=64
        Width of the head's hidden layer.
    pooling : {"last", "mean", "attention"}, default="last"
        What the head reads beside the metadata: the last GRU layer's state at
        the light curve's last step (``"last"``), or that state beside the mean
        (``"mean"``) or a learned weighted mean (``"attention"``) of its states
        at every step so far; causal, so predictions over time and streams
        stay so (:class:`~skltransient.neural.TransientGRU`; measured in the
        user guide, "Inputs for long, sparse, multi-season light curves").
    max_epochs : int, default=60
        Most training epochs (fewer with early stopping).
    batch_size : int, default=128
        Training mini-batch size.
    lr : float, default=3e-3
        Learning rate (3e-3 beat 1e-3 in the ablation of the user guide).
    optimizer : {"adam", "adamw", "sgd"} or torch optimizer class, default="adam"
        Optimiser.
    weight_decay : float, default=0.0
        L2 penalty passed to the optimiser.
    class_weight : "balanced", dict or None, default="balanced"
        Weights of the cross-entropy: ``"balanced"`` weighs each class by
        ``n_samples / (n_classes * count)`` (the paper's weighted loss); a
        dict maps labels to weights; None weighs all classes equally.
    validation_fraction : float or None, default=0.1
        Fraction of the training labels held out, stratified, for early
        stopping (when ``early_stopping`` is on): training stops after
        ``n_iter_no_change`` epochs without improvement of the validation
        loss and keeps the best epoch's weights. None holds out nothing and
        trains for ``max_epochs``. When a class has too few examples to be
        split, training falls back to no validation and warns.
    n_iter_no_change : int, default=8
        Early-stopping patience in epochs (with ``validation_fraction``).
    tol : float, default=1e-4
        Minimum relative improvement of the validation loss.
    early_stopping : "auto" or bool, default="auto"
        Whether to hold out ``validation_fraction`` of the labels and stop
        early. ``"auto"`` (as in scikit-learn's
        ``HistGradientBoostingClassifier``): only when there are more than
        10,000 training light curves. On fewer, the validation set is too
        small to tell the best epoch, and the augmentation below keeps the
        network from overfitting (user guide, "What makes the classifier
        work", for the measurements). True with ``validation_fraction=None``
        is an error.
    prefix_augmentation : float, default=0.0
        Probability that a training light curve is cut, in each batch, to a
        random prefix, so that the network learns to classify young light
        curves (early classification). Off by default. Pair it with a causal
        normalisation (``FluxNormalizer("running_peak")``), or prefixes see
        a scale set by their future.
    observation_dropout : float, default=0.2
        Probability that each observation of a training light curve is left
        out of its batch (a different draw every epoch; at least one is
        kept): the light curve as a sparser cadence would have seen it. With
        the ``"grid"`` representation, which has no time channel, a dropped
        grid step is masked (its flux and uncertainty channels set to zero,
        as where a band has no observation) and every step keeps its place.
    flux_noise : float, default=1.0
        In every batch, each training flux is moved by ``flux_noise`` times
        its uncertainty times a standard normal draw: a new noise realisation
        of the same light curve. The noise is drawn in flux units, before
        normalisation: a batch scaled by a
        :class:`~skltransient.preprocessing.FluxNormalizer` is scaled again
        from its noisy fluxes by the normaliser's own code, so that the
        fluxes, their uncertainties and the brightness channel are what
        prediction would see for that light curve (none on a plain array,
        which has no flux channels). With ``observation_dropout`` it keeps a
        network trained on a few thousand light curves from learning their
        noise (user guide, "What makes the classifier work", for the
        measurements). Set both to 0 to train on the light curves as they
        are.
    sequence_loss : float, default=0.5
        Share of the training loss spent on the predictions after every
        step: the GRU is causal, so one pass gives the logits of every
        prefix of a light curve, and each is scored against the light
        curve's class (as RAPID, Muthukrishna et al. 2019, trains); the rest
        of the loss is on the whole light curve. This teaches the network
        to classify young light curves without cutting any, and it trains
        better on whole light curves too (see the ablation in the user
        guide, "What makes the classifier work"). 0 trains on whole light
        curves only. Both parts are class-weighted.
    sequence_loss_from : {"first", "trigger"}, default="first"
        Which prefixes the sequence loss scores: ``"first"``, every prefix
        from the first step; ``"trigger"``, only those that end at or after
        the light curve's trigger (its first detection), so that a long
        light curve's pre-explosion noise (hundreds of steps in a
        multi-season survey) is not labelled with the transient's class.
        Light curves without a trigger, or without step times (a plain
        array), are scored from their first step.
    batching : {"bucketed", "random"}, default="bucketed"
        How training light curves are grouped into mini-batches.
        ``"bucketed"``: each epoch, the shuffled light curves are cut into
        buckets of 50 batches, sorted by length within each bucket and cut
        into batches, and the batches are shuffled; a batch then holds light
        curves of similar lengths, and the GRU runs unpacked on it (one
        dense kernel). ``"random"``: a random permutation cut into batches,
        the GRU packed by length (unpacked with ``sequence_loss``, which
        reads every step). Both see every light curve once per epoch.
        ``"bucketed"`` trains faster (user guide, "Scaling out", and
        ``benchmarks/README.md`` for the measurements); the recipe of the
        user guide's ablation was chosen with it.
    predict_batch_size : int or "auto", default="auto"
        Most light curves in a prediction batch; ``"auto"`` is 512 on the
        CPU (the fastest of 128 to 1,024 there, with one or two threads)
        and 8,192 on a GPU, which needs large batches to be kept busy. Prediction pads, scales and
        classifies one batch at a time, light curves of similar lengths
        together, so its memory depends on this number and not on how many
        light curves are classified; a batch also holds at most
        ``256 * predict_batch_size`` steps, so that very long light curves
        come in small batches.
    n_threads : int, default=1
        Torch threads (:func:`torch.set_num_threads`) for training and
        prediction, set for the call to ``fit`` or ``predict_*`` and
        restored afterwards, also when it raises; -1 uses all the cores available to the process
        (``os.sched_getaffinity``). One thread gives the same bits from run to
        run and is the fastest on a shared machine, where threads wait
        on each other's busy cores; run several fits at once (``n_jobs`` of
        a search) to use more cores.
    precision : {"float32", "bf16"}, default="float32"
        ``"bf16"`` trains and predicts under bfloat16 autocast (the GRU and dense layers
        in bfloat16, the loss in float32), faster on a CPU with AVX512-BF16
        and on GPUs with bfloat16 (user guide, "Scaling out", for the
        measurements and what bfloat16 changes in the probabilities). On a device
        without native bfloat16, ``fit`` raises a ValueError naming this
        parameter rather than emulate it slowly.
    device : {"cpu", "cuda", "auto"} or str, default="cpu"
        Torch device; ``"auto"`` picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and shuffling (without touching
        the caller's global torch state); with an int, training on the CPU is
        reproducible to the bit.
    verbose : int, default=0
        0 is quiet; 1 prints skorch's epoch table; 2 adds a progress bar
        (needs tqdm).
    callbacks : list of (str, skorch.callbacks.Callback) or None, default=None
        Further skorch callbacks for training, e.g. a learning-rate scheduler.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of ``predict_proba``'s columns.
    net_ : skorch.NeuralNetClassifier
        The fitted skorch net (``net_.history``, ``net_.module_``).
    module_ : TransientGRU
        The fitted torch module (``net_.module_``).
    n_channels_ : int
        Channels per step seen in ``fit``.
    n_metadata_ : int
        Metadata columns seen in ``fit``.
    channels_ : tuple of str
        Names of the channels seen in ``fit`` (``x0, x1, ...`` for a plain
        array). Prediction refuses other names, as scikit-learn does with
        ``feature_names_in_``; a plain array is checked by its number of
        channels only. To use the network on other channels (another
        survey's bands), fine-tune it with a
        :class:`~skltransient.TransferClassifier`.
    metadata_names_ : tuple of str
        Names of the metadata columns seen in ``fit``; prediction refuses
        others, naming them. A model saved before this attribute existed
        checks the number of columns only.
    n_epochs_ : int
        Epochs trained, including the ``n_iter_no_change`` epochs of
        patience that early stopping waits before it stops.
    best_epoch_ : int
        Epochs to converge: the (1-based) epoch whose weights the model
        keeps, the last one that lowered the validation loss by more than
        ``tol`` (early stopping restores it); ``n_epochs_`` without
        validation.
    do_early_stopping_ : bool
        Whether training held out a validation set and stopped early: what
        ``early_stopping`` (``"auto"`` included) and ``validation_fraction``
        chose for these data, False when a class was too small to split
        (as scikit-learn's ``HistGradientBoostingClassifier`` records it).
        Absent from a model read from a file saved before it was recorded.
    device_ : str
        Device used.

    See Also
    --------
    skltransient.TransferClassifier : Fine-tune a fitted GRUClassifier.

    Examples
    --------
    >>> import numpy as np
    >>> from skltransient.neural import GRUClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 5, 2)).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> clf = GRUClassifier(hidden_size=8, max_epochs=3, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (40, 2)
    """

    _parameter_constraints = {
        "hidden_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "num_layers": [Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "metadata_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "head_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "pooling": [StrOptions(set(POOLING))],
        "max_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "prefix_augmentation": [Interval(numbers.Real, 0, 1, closed="both")],
        "observation_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "flux_noise": [Interval(numbers.Real, 0, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "sequence_loss": [Interval(numbers.Real, 0, 1, closed="both")],
        "sequence_loss_from": [StrOptions({"first", "trigger"})],
        "batching": [StrOptions({"random", "bucketed"})],
        "predict_batch_size": [Interval(numbers.Integral, 1, None, closed="left"),
                               StrOptions({"auto"})],
        "n_threads": [Interval(numbers.Integral, 1, None, closed="left"),
                      Interval(numbers.Integral, -1, 0, closed="left")],
        "precision": [StrOptions(set(PRECISIONS))],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    def __init__(self, *, hidden_size=100, num_layers=2, dropout=0.2, metadata_size=16,
                 head_size=64, pooling="last", max_epochs=60, batch_size=128, lr=3e-3, optimizer="adam",
                 weight_decay=0.0, class_weight="balanced", validation_fraction=0.1,
                 n_iter_no_change=8, tol=1e-4, early_stopping="auto", prefix_augmentation=0.0,
                 observation_dropout=0.2, flux_noise=1.0, sequence_loss=0.5,
                 sequence_loss_from="first", batching="bucketed", predict_batch_size="auto",
                 n_threads=1, precision="float32", device="cpu", random_state=None, verbose=0,
                 callbacks=None):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.metadata_size = metadata_size
        self.head_size = head_size
        self.pooling = pooling
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.early_stopping = early_stopping
        self.prefix_augmentation = prefix_augmentation
        self.observation_dropout = observation_dropout
        self.flux_noise = flux_noise
        self.sequence_loss = sequence_loss
        self.sequence_loss_from = sequence_loss_from
        self.batching = batching
        self.predict_batch_size = predict_batch_size
        self.n_threads = n_threads
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : PaddedLightCurves or ndarray of shape (n_objects, n_steps, n_channels)
            Padded light curves (the output of a
            :class:`~skltransient.preprocessing.LightCurvePadder`).
        y : array-like of shape (n_objects,)
            Class labels, all strings or all integers; a missing label (NaN
            or None) or a mix of types is an error naming its position and
            light curve.

        Returns
        -------
        self : object
        """
        X, y_encoded = self.prepare_fit(X, y)
        self._check_network_size()
        with seeded(self.random_state, self.device_):
            self.train_module(self.build_module(), X, y_encoded)
        return self

    def _check_network_size(self):
        """Refuse, before building it, a network whose training needs more memory than there is."""
        count = self.count_parameters()
        check_memory(count * _BYTES_PER_TRAINED_PARAMETER,
                     f"{type(self).__name__}(hidden_size={self.hidden_size}, num_layers="
                     f"{self.num_layers}, metadata_size={self.metadata_size}, head_size="
                     f"{self.head_size}) has {count:,} parameters; training it",
                     "choose a smaller hidden_size, num_layers or head_size")

    # ------------------------------------------------------------------
    # The seams of training, shared with the estimators built on this one
    # (TransferClassifier) and with persistence: fit is prepare_fit, then
    # build_module and train_module inside seeded().

    def prepare_fit(self, X, y):
        """Check the training data and record what ``fit`` learns of it, before any training.

        Sets ``classes_``, ``n_channels_``, ``n_metadata_``, ``channels_``,
        ``metadata_names_`` and ``device_``: what :meth:`build_module` and
        :meth:`train_module` need. The first step of :meth:`fit`, and of
        :meth:`TransferClassifier.fit <skltransient.TransferClassifier.fit>`
        on the classifier it fine-tunes.

        Parameters
        ----------
        X : PaddedLightCurves or ndarray of shape (n_objects, n_steps, n_channels)
        y : array-like of shape (n_objects,)
            Class labels (see :meth:`fit`).

        Returns
        -------
        X : PaddedLightCurves
        y_encoded : ndarray of shape (n_objects,), int
            Each label's position in ``classes_``.
        """
        X = as_padded(X, type(self).__name__)
        labels, y = y, np.asarray(y)
        if y.ndim != 1 or y.shape[0] != len(X):
            raise ValueError(f"y must be 1-D with one label per light curve; got shape {y.shape} "
                             f"for {len(X)} light curves.")
        # Checked as given: np.asarray would turn ["SN Ia", nan, 3] into the strings "nan", "3".
        check_labels(np.asarray(labels, dtype=object), X.object_ids)
        check_classification_targets(y)
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes in y; got "
                             f"{len(self.classes_)}: {self.classes_.tolist()}.")
        self.n_channels_ = X.values.shape[2]
        self.n_metadata_ = X.metadata.shape[1]
        self.channels_ = tuple(X.channels)
        self.metadata_names_ = tuple(X.metadata_names)
        self.device_ = self.device
        if self.device == "auto":
            self.device_ = "cuda" if torch.cuda.is_available() else "cpu"
        return X, self._label_encoder.transform(y)

    def count_parameters(self):
        """Number of parameters of the network :meth:`build_module` makes, without building it.

        Exact (Python integers), from the architecture parameters and the
        widths seen by :meth:`prepare_fit`: what ``fit`` checks against the
        machine's memory, and :func:`~skltransient.persistence.load_model`
        against the size of the saved weights, before anything is allocated.

        Returns
        -------
        count : int
        """
        return n_parameters(self.n_channels_, self.n_metadata_, len(self.classes_),
                            hidden_size=self.hidden_size, num_layers=self.num_layers,
                            metadata_size=self.metadata_size, head_size=self.head_size,
                            pooling=self.pooling)

    def build_module(self):
        """A new, randomly initialised network for the data seen by :meth:`prepare_fit`.

        The one place where the architecture parameters (``hidden_size``,
        ``num_layers``, ``dropout``, ``metadata_size``, ``head_size``) and
        the fitted widths (``n_channels_``, ``n_metadata_``, ``classes_``)
        make a :class:`~skltransient.neural.TransientGRU`: for :meth:`fit`,
        and for a model read from a file
        (:func:`~skltransient.persistence.load_model`).

        Returns
        -------
        module : TransientGRU
            Initialised from torch's global generator: build it inside
            :class:`~skltransient.neural._seeding.seeded` for reproducible weights.
        """
        return TransientGRU(self.n_channels_, self.n_metadata_, len(self.classes_),
                            hidden_size=self.hidden_size, num_layers=self.num_layers,
                            dropout=self.dropout, metadata_size=self.metadata_size,
                            head_size=self.head_size, pooling=self.pooling)

    def _class_weights(self, y_encoded):
        n_classes = len(self.classes_)
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            present = np.unique(y_encoded)
            weights = np.ones(n_classes)
            weights[present] = compute_class_weight("balanced", classes=present, y=y_encoded)
        else:
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(f"class_weight has labels {sorted(map(str, unknown))} that are "
                                 f"not in y's classes {self.classes_.tolist()}.")
            weights = np.array([self.class_weight.get(c, 1.0) for c in self.classes_.tolist()])
        return torch.as_tensor(weights, dtype=torch.float32)

    def _stops_early(self, n_objects):
        if self.early_stopping is True and self.validation_fraction is None:
            raise ValueError("early_stopping=True needs a validation set; set validation_fraction "
                             "(e.g. 0.1) or early_stopping=False.")
        if self.early_stopping == "auto":
            return self.validation_fraction is not None and n_objects > _AUTO_EARLY_STOPPING
        return bool(self.early_stopping)

    def _split(self, y_encoded, seed):
        """Indices of training and validation sets, or (all, None)."""
        everything = np.arange(len(y_encoded))
        if not self._stops_early(len(y_encoded)):
            return everything, None
        counts = np.bincount(y_encoded)
        counts = counts[counts > 0]
        n_valid = int(np.ceil(self.validation_fraction * len(y_encoded)))
        if counts.min() < 2 or n_valid < len(counts) or len(y_encoded) - n_valid < len(counts):
            warnings.warn(
                f"validation_fraction={self.validation_fraction} cannot be split stratified "
                f"(the smallest class has {counts.min()} examples for {len(counts)} classes); "
                f"training on all {len(y_encoded)} examples without early stopping.", UserWarning)
            return everything, None
        splitter = StratifiedShuffleSplit(1, test_size=n_valid, random_state=seed)
        return next(splitter.split(everything, y_encoded))

    def _make_net(self, module, valid_dataset, class_weights, extra_callbacks=(), **overrides):
        callbacks = list(extra_callbacks) + list(self.callbacks or [])
        if valid_dataset is not None:
            callbacks.append(("early_stopping", EarlyStopping(
                patience=self.n_iter_no_change, threshold=self.tol, load_best=True, sink=quiet)))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        optimizer = _OPTIMIZERS.get(self.optimizer, self.optimizer)
        params = dict(
            module=module, criterion=torch.nn.CrossEntropyLoss, criterion__weight=class_weights,
            optimizer=optimizer, optimizer__weight_decay=self.weight_decay, lr=self.lr,
            max_epochs=self.max_epochs, batch_size=self.batch_size,
            train_split=None if valid_dataset is None else predefined_split(valid_dataset),
            iterator_train=BatchIterator, iterator_valid=BatchIterator,
            iterator_train__shuffle=True, iterator_train__batching=self.batching,
            # Bucketed batches waste few padded steps: the dense GRU beats packing on them.
            train_packed=self.batching == "random", sequence_loss=self.sequence_loss,
            iterator_train__prefix_probability=self.prefix_augmentation,
            iterator_train__observation_dropout=self.observation_dropout,
            iterator_train__flux_noise=self.flux_noise,
            iterator_train__device=self.device_, iterator_valid__device=self.device_,
            iterator_valid__batch_size=self._predict_batch_size(),
            callbacks=callbacks, callbacks__valid_acc=None, callbacks__print_log=EpochLog(),
            device=self.device_,
            verbose=int(self.verbose >= 1), classes=list(range(len(self.classes_))),
        )
        params.update(overrides)
        return TrainingNet(**params)

    def train_module(self, module, X, y_encoded, *, callbacks=(), **net_params):
        """Train ``module`` on ``X`` through a skorch net, and keep the net as ``net_``.

        The one training routine of the package: this classifier's
        optimiser, loss, batching, augmentation, early stopping (the split
        of ``validation_fraction``), threads and precision. :meth:`fit` and
        :class:`~skltransient.TransferClassifier` both train through it. Sets
        ``net_``, ``n_epochs_``, ``best_epoch_`` and ``do_early_stopping_``.

        Parameters
        ----------
        module : TransientGRU
            The network, built for the data of :meth:`prepare_fit`.
        X : PaddedLightCurves
            From :meth:`prepare_fit`.
        y_encoded : ndarray of shape (n_objects,), int
            From :meth:`prepare_fit`.
        callbacks : sequence of (str, skorch.callbacks.Callback), default=()
            Callbacks of this training, run before those of ``callbacks``
            (e.g. :class:`~skorch.callbacks.Freezer`).
        **net_params : dict
            Parameters of the :class:`~skltransient.neural._net.TrainingNet`
            that replace this classifier's (e.g. ``max_epochs``,
            ``optimizer__param_groups``, ``auxiliary_loss``).

        Returns
        -------
        net : TrainingNet
            The fitted net, ``net_``.

        Notes
        -----
        Call it inside :class:`~skltransient.neural._seeding.seeded`, where
        the module was built, as :meth:`fit` does: the validation split, the
        shuffling and the augmentation draw from torch's global generator.
        """
        seed = int(torch.randint(0, 2**31 - 1, ()).item())
        if net_params.get("max_epochs", self.max_epochs) == 0:
            # Nothing to train, nothing to stop early: keep every label and the initial weights.
            train, valid = np.arange(len(y_encoded)), None
        else:
            train, valid = self._split(y_encoded, seed)
        valid_dataset = None if valid is None else PaddedDataset(X[valid], y_encoded[valid])
        net = self._make_net(module, valid_dataset, self._class_weights(y_encoded[train]),
                             callbacks, **net_params)
        from_trigger = self.sequence_loss_from == "trigger" and net.sequence_loss > 0
        with runtime(self.n_threads, self.precision, self.device_):
            net.fit(PaddedDataset(X[train], y_encoded[train], from_trigger=from_trigger), y=None)
        self.net_ = net
        self.n_epochs_ = len(net.history)
        self.do_early_stopping_ = valid is not None
        # Early stopping keeps (load_best) the weights of its best epoch; without
        # validation the last epoch's weights are kept.
        stopper = dict(net.callbacks_).get("early_stopping") if valid is not None else None
        self.best_epoch_ = self.n_epochs_ if stopper is None else int(stopper.best_epoch_)
        return net

    def attach_module(self, module, device):
        """Predict with a trained ``module``: make ``net_`` around it, without training.

        How :func:`~skltransient.persistence.load_model` gives a classifier
        read from a file its network; the fitted attributes (``classes_``,
        ``n_channels_``, ...) must be set already and match the module
        (:meth:`build_module` gives the expected shapes).

        Parameters
        ----------
        module : TransientGRU
            Trained weights; they are copied into the net's module.
        device : str
            Torch device to predict on; recorded as ``device_``.

        Returns
        -------
        self : object
        """
        state = module.state_dict()
        self.device_ = device
        net = self._make_net(module, None, None, max_epochs=0)
        net.initialize()
        net.module_.load_state_dict(state)
        self.net_ = net
        return self

    @property
    def module_(self):
        check_is_fitted(self, "net_")
        return self.net_.module_

    def decision_function(self, X):
        """Logits of each class, shape (n_objects, n_classes)."""
        return self._each_batch(X, lambda logits: logits.float(), None, np.float32)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : PaddedLightCurves or ndarray of shape (n_objects, n_steps, n_channels)

        Returns
        -------
        proba : ndarray of shape (n_objects, n_classes)
            Rows sum to 1; columns follow ``classes_``.
        """
        # Softmax batch by batch: no n-sized array of logits beside the result.
        return self._each_batch(X, lambda logits: torch.softmax(logits.float().double(), dim=1),
                                None, np.float64)

    def embed(self, X):
        """The encoder's representation of each light curve: what the head reads beside the metadata.

        The last GRU layer's final state, and with ``pooling`` its pooled
        states beside it.

        What the classification head and the metadata network build on; used
        to ask whether two data sets look alike to the network
        (:func:`skltransient.metrics.domain_gap`).

        Parameters
        ----------
        X : PaddedLightCurves or ndarray of shape (n_objects, n_steps, n_channels)

        Returns
        -------
        embedding : ndarray of shape (n_objects, representation_size), float32
            ``representation_size`` is ``hidden_size``, twice it with pooling.
        """
        _, out = self._batched(
            X, lambda module, batch, _: module.encode(batch["values"], batch["lengths"]).float(),
            lambda _: (self.net_.module_.representation_size,), np.float32)
        return out

    def predict(self, X):
        """Most probable class of each light curve, shape (n_objects,)."""
        best = self._each_batch(X, lambda logits: logits.argmax(dim=1, keepdim=True), 1, np.int64)
        return self.classes_[best[:, 0]]

    def _each_batch(self, X, then, width, dtype):
        """``then`` of the network's logits, batch by batch, as an array in X's order.

        ``width`` is the number of columns of ``then``'s output (None: one per class).
        """
        _, out = self._batched(X, lambda module, batch, _: then(module(**batch)),
                               lambda _: (len(self.classes_) if width is None else width,), dtype)
        return out

    def _batched(self, X, then, shape, dtype, fill=None):
        """The prediction loop: ``then(module, batch, part)`` of each batch, in X's order.

        Checks the model and the input, puts the network in evaluation mode and
        runs it batch by batch (:meth:`_predict_batches`) in the prediction
        context. ``shape(X)`` is the output's shape after its first axis; a
        batch's result may be shorter along the others (fewer steps), where
        the output keeps ``fill`` (None: left uninitialised, for results that
        fill every row). Returns the checked ``X`` and the output.
        """
        check_is_fitted(self, "net_")
        X = self.validate_input(X)
        module = self.net_.module_.eval()
        size = (len(X), *shape(X))
        out = np.empty(size, dtype=dtype) if fill is None else np.full(size, fill, dtype=dtype)
        with self._inference():
            for index, part, batch in self._predict_batches(X):
                result = then(module, batch, part)
                if isinstance(result, torch.Tensor):
                    result = result.cpu().numpy()
                out[(index, *(slice(0, n) for n in result.shape[1:]))] = result
        return X, out

    def _predict_batch_size(self):
        if self.predict_batch_size != "auto":
            return self.predict_batch_size
        device = getattr(self, "device_", None) or self.device
        on_gpu = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
        return 8192 if on_gpu else 512

    @contextlib.contextmanager
    def _inference(self):
        """Prediction's context: the chosen threads and precision, no autograd."""
        with runtime(self.n_threads, self.precision, self.net_.device), torch.inference_mode():
            yield

    def _predict_batches(self, X):
        """Batches of similar lengths, each padded (when X is deferred) just before inference.

        Yields the positions of the batch's objects in ``X``, the batch as a
        PaddedLightCurves and its tensors on the device. A batch holds at most
        ``predict_batch_size`` light curves and ``predict_batch_size`` x
        ``_STEPS_PER_LIGHT_CURVE`` steps, so memory depends on the batch, not
        on ``len(X)``, and a very long light curve is padded in a small batch.
        """
        device = self.net_.device
        order = np.argsort(X.lengths, kind="stable")
        size = self._predict_batch_size()
        for index, part in X.batches(size, steps_per_batch=size * _STEPS_PER_LIGHT_CURVE,
                                     order=order):
            batch, _ = PaddedDataset(part)[:]
            yield index, part, {k: v.to(device, non_blocking=True) for k, v in batch.items()}

    def _proba_over_steps(self, batch):
        """Probabilities after every step of a batch, NaN beyond each length."""
        logits = self.net_.module_.forward_sequence(batch["values"], batch["metadata"])
        proba = torch.softmax(logits.double(), dim=2).cpu().numpy()
        valid = np.arange(proba.shape[1])[None, :] < batch["lengths"].cpu().numpy()[:, None]
        return np.where(valid[:, :, None], proba, np.nan)

    def predict_proba_over_time(self, X):
        """Class probabilities after each step of each light curve, in one pass.

        The GRU's hidden state at every step gives the prediction from the
        observations up to that step (the GRU is causal), so one pass costs
        the same as :meth:`predict_proba`. With the ``"observations"``
        representation a step is an observation. The preprocessing must be
        causal too for these to equal predictions on truncated light curves;
        where it is not (``X.lookahead``: a ``"peak"`` normalisation, the
        grid's interpolation, ``truncate="start"``, a window placed around a
        trigger still to come), a ``UserWarning`` says what the probabilities
        assume.

        Parameters
        ----------
        X : PaddedLightCurves or ndarray of shape (n_objects, n_steps, n_channels)

        Returns
        -------
        proba : ndarray of shape (n_objects, n_steps, n_classes)
            NaN at steps beyond each object's length.
        """
        before_trigger = []

        def over_steps(module, batch, part):
            before_trigger.append(_steps_before_trigger(part))
            return self._proba_over_steps(batch)

        X, out = self._batched(X, over_steps, lambda X: (int(X.lengths.max()), len(self.classes_)),
                               np.float64, fill=np.nan)
        _warn_lookahead(X.lookahead_reasons(before_trigger=any(before_trigger)), "after each step")
        return out

    def predict_proba_at(self, X, days_since_trigger):
        """Class probabilities using only the steps up to given days after trigger.

        One pass over the padded steps: the result equals the prediction on
        the light curve cut at each day when the preprocessing is causal.
        Where it is not (``X.lookahead``: a ``"peak"`` normalisation, the
        grid's interpolation, ``truncate="start"``, or, for days before the
        trigger, a window placed around the trigger), a ``UserWarning`` says
        what the probabilities assume;
        :func:`skltransient.early.predict_proba_at`, given light curves,
        predicts on the cut light curves instead.

        Parameters
        ----------
        X : PaddedLightCurves
        days_since_trigger : array-like of float
            Days after each object's first detection (negative values are
            before it). A step counts when its time is at or before
            ``trigger + day``, compared in float64 MJD, exactly as
            :meth:`LightCurves.truncate` with ``days_since_trigger`` cuts.

        Returns
        -------
        proba : ndarray of shape (n_objects, n_days, n_classes)
            NaN where an object has no step yet at that time.
        """
        days = np.atleast_1d(np.asarray(days_since_trigger, dtype=np.float64))
        before_trigger = []

        def at_days(module, batch, part):  # one batch at a time: no (n, n_steps, n_classes) array
            before_trigger.append(np.any(days < 0) and _steps_before_trigger(part))
            return _at_days(self._proba_over_steps(batch), part, days)

        X, out = self._batched(X, at_days, lambda _: (days.size, len(self.classes_)), np.float64,
                               fill=np.nan)
        _warn_lookahead(X.lookahead_reasons(before_trigger=any(before_trigger)), "at each day")
        return out

    def validate_input(self, X):
        """Check the input of prediction: the channels and metadata columns seen in fit.

        Names are compared when both sides have them (a plain array's
        channels ``x0, x1, ...`` have none, nor has a model saved before
        ``metadata_names_`` was recorded); counts always. Every prediction
        method checks its input through it, as does
        :class:`~skltransient.TransferClassifier` for its unlabelled light
        curves.

        Parameters
        ----------
        X : PaddedLightCurves or ndarray of shape (n_objects, n_steps, n_channels)

        Returns
        -------
        X : PaddedLightCurves
        """
        X = as_padded(X, type(self).__name__)
        name = type(self).__name__
        named = has_channel_names(X.channels) and has_channel_names(self.channels_)
        if named and tuple(X.channels) != tuple(self.channels_):
            raise ValueError(
                f"{name} was fitted on channels {list(self.channels_)} but X has "
                f"{list(X.channels)}: {name_mismatch(X.channels, self.channels_)}. Pad the light "
                f"curves as for fit (same LightCurvePadder representation and bands), or adapt "
                f"the model to the new channels with a TransferClassifier.")
        fitted = getattr(self, "metadata_names_", None)
        if fitted is not None and tuple(X.metadata_names) != tuple(fitted):
            raise ValueError(
                f"{name} was fitted on metadata columns {list(fitted)} but X has "
                f"{list(X.metadata_names)}: {name_mismatch(X.metadata_names, fitted)}. Give the "
                f"light curves the metadata columns of fit, through the same MetadataScaler.")
        if X.n_channels != self.n_channels_ or X.n_metadata != self.n_metadata_:
            raise ValueError(
                f"X has {X.n_channels} channels and {X.n_metadata} metadata columns, "
                f"but {type(self).__name__} was fitted with {self.n_channels_} and "
                f"{self.n_metadata_}.")
        return X

    def __sklearn_is_fitted__(self):
        """Fitted when it has a trained net (:meth:`prepare_fit` sets ``classes_``, not it)."""
        return hasattr(self, "net_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags


def _steps_before_trigger(X):
    """Whether a padded batch has a step before its object's trigger."""
    return bool(np.any(X.times < X.trigger[:, None]))  # NaN (padding) compares False


def _warn_lookahead(reasons, when):
    """Say what predictions over time assume, where the preprocessing looks ahead."""
    if reasons:
        warnings.warn(
            f"The probabilities {when} are not those of the light curves cut there: "
            + " ".join(reasons), UserWarning, stacklevel=3)


def _at_days(over_time, X, days_since_trigger):
    """Pick, per object and day, the prediction of the last step at or before that day.

    Steps are counted on the unrounded float64 step times (``X.times``), with
    the comparison of :meth:`LightCurves.truncate`, so that the result is
    the prediction on the light curve cut at ``trigger + day``.
    """
    days = np.atleast_1d(np.asarray(days_since_trigger, dtype=np.float64))
    steps = over_time.shape[1]
    valid = np.arange(steps)[None, :] < X.lengths[:, None]
    out = np.full((len(X), days.size, over_time.shape[2]), np.nan)
    rows = np.arange(len(X))
    for j, day in enumerate(days):
        count = np.sum(valid & (X.times[:, :steps] <= (X.trigger + day)[:, None]), axis=1)
        has = count > 0
        out[has, j] = over_time[rows[has], count[has] - 1]
    return out


#: Above this many training light curves, early_stopping="auto" holds out a validation set.
_AUTO_EARLY_STOPPING = 10_000
