"""Optional dependencies: import one, or say in one sentence how to install it.

The one place that words the hint, so that every missing extra reads alike
and names both ways of installing it (from PyPI and from a checkout).
"""

import importlib

#: Import name -> the name pip installs it by.
_PIP_NAMES = {"light_curve": "light-curve", "dask": "'dask[distributed]'"}


def install_hint(package, extra):
    """How to install ``package``, which skltransient's extra ``extra`` brings."""
    pip_name = _PIP_NAMES.get(package, package)
    return (f"pip install {pip_name}, or install skltransient with its {extra!r} extra "
            f"(pip install 'skltransient[{extra}]'; pip install -e '.[{extra}]' in a checkout)")


def import_optional(module, purpose, extra):
    """Import an optional dependency, or raise an ImportError saying how to get it.

    Parameters
    ----------
    module : str
        Module to import, e.g. ``"pyarrow.parquet"``.
    purpose : str
        What needs it, the start of the message ("Parquet files").
    extra : str
        skltransient's extra that installs it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.split(".")[0]
        if exc.name is not None and exc.name.split(".")[0] != package:
            raise  # the package is there but something it imports is broken: say that, not this
        raise ImportError(f"{purpose} needs {package!r}, which is not installed: "
                          f"{install_hint(package, extra)}.") from exc
