"""Quick start: a light-curve pipeline fitted and scored on generated data.

Run with ``python examples/quickstart.py``.
"""

from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler
from skltransient.utils._testing import make_toy_lightcurves

X, y = make_toy_lightcurves(600, n_classes=3, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
                      GRUClassifier(max_epochs=15, lr=3e-3, random_state=0, verbose=1))
model.fit(X_train, y_train)
print(f"{X_train!r}\ntest accuracy: {model.score(X_test, y_test):.3f}")
