"""NetworkEmbedding: a fitted network's representation of each light curve, as features."""

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._compat import fit_context
from .._padded import PaddedLightCurves
from ..preprocessing import LightCurvePadder
from ..utils import apply_transformers, split_model
from ..utils._validation import check_lightcurves, check_no_nested_params

__all__ = ["NetworkEmbedding"]


class NetworkEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """A fitted network's representation of each light curve, as features.

    Stacking as composition: the encoder's representation of each light
    curve (the last GRU layer's final state, what
    :meth:`GRUClassifier.embed <skltransient.GRUClassifier.embed>` gives)
    becomes a feature matrix for any scikit-learn estimator, alone or beside
    other features in a :class:`~sklearn.pipeline.FeatureUnion`, e.g.
    ``make_union(NetworkEmbedding(model), LightCurveFeatures())`` before a
    gradient-boosting classifier. The model's own preprocessing is applied
    first, so the input is what the model takes (a ``LightCurves`` for the
    usual pipeline).

    ``fit`` trains nothing: the network is used as it is. Like
    :class:`~sklearn.frozen.FrozenEstimator`, the fitted model travels
    through :func:`~sklearn.base.clone`, so every candidate of a
    :class:`~sklearn.model_selection.GridSearchCV` and every fold of
    :func:`~sklearn.model_selection.cross_val_score` embeds with the same
    network; it is shared, not copied, so ``get_params`` does not descend
    into ``estimator`` and ``set_params`` refuses ``estimator__...``.

    Parameters
    ----------
    estimator : GRUClassifier, Pipeline, TransferClassifier or str
        A fitted ``GRUClassifier`` (its input is then padded light curves), a
        fitted ``Pipeline`` ending in one, a fitted ``TransferClassifier``
        (its fine-tuned network, after its transformers), or the name of a
        shipped model (:func:`skltransient.pretrained.available`), loaded
        on CPU in ``fit``.

    Attributes
    ----------
    estimator_ : Pipeline, GRUClassifier or TransferClassifier
        The model that embeds: ``estimator`` itself (shared, not copied), or
        the shipped model it names.
    n_features_out_ : int
        Width of the embedding, the network's ``hidden_size`` (twice it with ``pooling``).

    See Also
    --------
    skltransient.features.LightCurveFeatures : Hand-crafted features to put beside it.
    skltransient.metrics.domain_gap : Compares two data sets in the same representation.

    Notes
    -----
    The embedding is float32, the network's precision. A network fitted on
    the very light curves that the estimator after it is fitted on has seen
    their labels: their embedding separates the classes better than that
    of new light curves, and the estimator after it learns to trust it too
    much. Embed with a network fitted on other data (simulations, a
    pretrained model, another split), as
    :class:`~sklearn.ensemble.StackingClassifier` does with
    cross-validated predictions. A shipped model named by a string is
    loaded again by each ``fit``; to search or cross-validate, load it once
    with :func:`skltransient.pretrained.load` and pass the model.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skltransient import GRUClassifier, LightCurvePadder, MetadataScaler
    >>> from skltransient.features import NetworkEmbedding
    >>> from skltransient.utils._testing import make_toy_lightcurves
    >>> X, y = make_toy_lightcurves(20)
    >>> model = make_pipeline(LightCurvePadder(), MetadataScaler(),
    ...                       GRUClassifier(hidden_size=4, max_epochs=1, random_state=0)).fit(X, y)
    >>> embedding = NetworkEmbedding(model).fit(X)
    >>> embedding.transform(X).shape
    (20, 4)
    >>> embedding.get_feature_names_out().tolist()
    ['networkembedding0', 'networkembedding1', 'networkembedding2', 'networkembedding3']
    """

    # Checked in fit, where the messages can say which kind of model is missing what.
    _parameter_constraints = {"estimator": "no_validation"}

    def __init__(self, estimator):
        self.estimator = estimator

    # -------------------------------------------------------- clone safety
    def get_params(self, deep=True):
        """Parameters of this estimator; never those inside the shared ``estimator``."""
        return super().get_params(deep=False)

    def set_params(self, **params):
        """Set ``estimator``; parameters inside it are refused, as by ``FrozenEstimator``.

        Parameters
        ----------
        **params : dict
            ``estimator=`` only.

        Returns
        -------
        self : object
        """
        check_no_nested_params("NetworkEmbedding", params, "Pass another fitted model as estimator=.")
        return super().set_params(**params)

    def __sklearn_clone__(self):
        return type(self)(self.estimator)

    # ----------------------------------------------------------------- fit
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the model and the input, and record the embedding's width; nothing is trained.

        Parameters
        ----------
        X : LightCurves, PaddedLightCurves or ndarray
            What the model takes: a ``LightCurves`` for a pipeline that
            starts with a ``LightCurvePadder``.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        model = self._resolve()
        steps, classifier = _split(model)
        _check_input(X, steps)
        self.estimator_ = model
        self.n_features_out_ = int(classifier.net_.module_.representation_size)
        return self

    def _resolve(self):
        """The fitted model: ``estimator``, or the shipped model it names."""
        if not isinstance(self.estimator, str):
            return self.estimator
        from .. import pretrained

        if self.estimator not in pretrained.available():
            raise ValueError(f"NetworkEmbedding: no pretrained model {self.estimator!r}; the shipped "
                             f"models are {pretrained.available()}.")
        return pretrained.load(self.estimator)

    def transform(self, X):
        """The network's representation of each light curve.

        Parameters
        ----------
        X : LightCurves, PaddedLightCurves or ndarray
            As in :meth:`fit`.

        Returns
        -------
        embedding : ndarray of shape (n_objects, n_features), float32
            One row per object, in ``X``'s order; ``n_features`` is
            ``n_features_out_``.
        """
        check_is_fitted(self)
        steps, classifier = _split(self.estimator_)
        _check_input(X, steps)
        embedding = classifier.embed(apply_transformers(steps, X))
        if embedding.shape[1] != self.n_features_out_:
            raise ValueError(
                f"NetworkEmbedding was fitted with a network of {self.n_features_out_} hidden units, "
                f"but its estimator now has {embedding.shape[1]}: the shared model was refitted. "
                f"Fit the NetworkEmbedding again.")
        return embedding

    @property
    def _n_features_out(self):
        """What :class:`~sklearn.base.ClassNamePrefixFeaturesOutMixin` names the columns by."""
        return self.n_features_out_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags


def _describe(model):
    if isinstance(model, Pipeline):
        return f"a Pipeline ending in {type(model[-1]).__name__}"
    name = type(model).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def _split(model):
    """``split_model``, with messages that say what NetworkEmbedding was given."""
    try:
        return split_model(model)
    except NotFittedError as error:
        raise NotFittedError(
            f"NetworkEmbedding needs a fitted model, but its estimator ({_describe(model)}) is not "
            f"fitted. Fit it first, or pass a pretrained model's name such as 'ztf-sims'.") from error
    except TypeError as error:
        raise TypeError(
            f"NetworkEmbedding embeds with a recurrent network, but its estimator is "
            f"{_describe(model)}, which has none. Pass a fitted GRUClassifier, a Pipeline ending in "
            f"one, a TransferClassifier, or a pretrained model's name such as 'ztf-sims'.") from error


def _check_input(X, steps):
    """Refuse an input of the wrong kind for the model, naming NetworkEmbedding."""
    if steps and isinstance(steps[0][1], LightCurvePadder):
        check_lightcurves(X, "NetworkEmbedding")
    elif not steps and not isinstance(X, (PaddedLightCurves, np.ndarray)):
        raise TypeError(
            f"NetworkEmbedding's estimator is a GRUClassifier without preprocessing, which takes "
            f"padded light curves (a PaddedLightCurves or an array of shape (n_objects, n_steps, "
            f"n_channels)); got {type(X).__name__}. To embed LightCurves, pass the whole fitted "
            f"Pipeline (LightCurvePadder, ..., GRUClassifier) as estimator.")
