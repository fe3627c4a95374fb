"""Unwrapping a fitted model: its transformers, then its recurrent classifier.

The one place that knows how the package's models nest, used by early
classification, streaming, metrics, persistence, ONNX export and Dask
prediction alike. It imports nothing at import time: ``skltransient.utils``
is imported by the command line, whose ``--help`` imports neither torch nor
scikit-learn.
"""

__all__ = ["apply_transformers", "split_model"]


def split_model(model):
    """Split a fitted model into its transformers and its final ``GRUClassifier``.

    A ``GRUClassifier``; a ``Pipeline`` ending in one; a
    ``TransferClassifier`` (its fitted ``transformers_`` and
    ``classifier_``); or a ``Pipeline`` ending in a ``TransferClassifier``.

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

    Raises
    ------
    TypeError
        When ``model`` is none of these (e.g. a feature pipeline).

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skltransient import GRUClassifier, LightCurvePadder, MetadataScaler
    >>> from skltransient.utils import split_model
    >>> from skltransient.utils._testing import make_toy_lightcurves
    >>> X, y = make_toy_lightcurves(20)
    >>> model = make_pipeline(LightCurvePadder(), MetadataScaler(),
    ...                       GRUClassifier(hidden_size=4, max_epochs=1, random_state=0)).fit(X, y)
    >>> steps, classifier = split_model(model)
    >>> [name for name, _ in steps], type(classifier).__name__
    (['lightcurvepadder', 'metadatascaler'], 'GRUClassifier')
    """
    # Imported when used: the layers above utils, and scikit-learn, which the command
    # line's help must not wait for.
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from ..neural import GRUClassifier
    from ..transfer import TransferClassifier

    steps = []
    if isinstance(model, Pipeline):
        steps = list(model.steps[:-1])
        model = model.steps[-1][1]
    if isinstance(model, TransferClassifier):
        check_is_fitted(model, msg=(
            "The TransferClassifier is not fitted; fit it on the target data first."))
        if model.transformers_ is not None:
            steps += list(model.transformers_.steps)
        model = model.classifier_
    if not isinstance(model, GRUClassifier):
        raise TypeError(f"Expected a fitted GRUClassifier, TransferClassifier or a Pipeline ending "
                        f"in one; got {type(model).__name__}.")
    check_is_fitted(model, msg=f"The {type(model).__name__} is not fitted; fit it first.")
    return steps, model


def apply_transformers(steps, X):
    """``X`` through the fitted transformers ``steps`` (the first output of :func:`split_model`).

    Parameters
    ----------
    steps : list of (str, estimator)
    X : LightCurves or PaddedLightCurves
        The input of the first step.

    Returns
    -------
    Xt : object
        The last step's output (``X`` itself when ``steps`` is empty).
    """
    for _, step in steps:
        X = step.transform(X)
    return X
