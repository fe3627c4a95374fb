"""Sphinx helpers for the skltransient documentation.

- Skip the ``set_<method>_request`` methods that scikit-learn's metadata
  routing adds to every estimator: they are scikit-learn's API, documented
  there, and their docstrings link to scikit-learn's user guide.
- Resolve cross-references to a public alias of a documented object. A
  docstring may name ``skltransient.preprocessing.MetadataScaler`` while the
  API reference documents the same class as ``skltransient.MetadataScaler``;
  the reference is resolved to the documented page.
- Give a re-exported constant the ``#:`` comment written where it is defined
  (autodoc only reads comments in the module named in the directive).
- ``.. command-help:: <command>`` shows the ``--help`` text of a command of
  the ``skltransient`` command line, so that the documented options are the
  real ones.
- Check that the API reference is complete: every object in the ``__all__``
  of a public module must be documented under some public name, or the
  build warns (and fails with ``-W``).
"""

import contextlib
import importlib
import inspect
import io
import os
import pkgutil
import re

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

logger = logging.getLogger(__name__)

PACKAGE = "skltransient"
_REQUEST_METHOD = re.compile(r"^set_\w+_request$")
_PY_ROLES = {"class", "func", "meth", "attr", "data", "obj", "exc", "mod", "const"}


def public_modules():
    """Names of the package's public modules: no path component starts with ``_``."""
    package = importlib.import_module(PACKAGE)
    names = [PACKAGE]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{PACKAGE}."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts):
            continue
        names.append(info.name)
    return names


def lookup(fullname):
    """The object a dotted name refers to, importing the longest module prefix; None if none."""
    parts = fullname.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def skip_member(app, what, name, obj, skip, options):
    if _REQUEST_METHOD.match(name) or name == "__init__":
        return True
    return None


def resolve_alias(app, env, node, contnode):
    """Resolve a Python reference by the object it names, when that name is not documented."""
    if node.get("refdomain") != "py" or node.get("reftype") not in _PY_ROLES:
        return None
    target = node.get("reftarget", "")
    if not target.startswith(f"{PACKAGE}."):
        module = node.get("py:module") or ""
        target = f"{module}.{target}" if module.startswith(PACKAGE) else target
    if not target.startswith(f"{PACKAGE}."):
        return None
    obj = lookup(target)
    if obj is None:
        return None
    domain = env.get_domain("py")
    for name in _documented_names(env, obj):
        if name == target:
            continue
        refnode = node.deepcopy()
        refnode["reftarget"] = name
        refnode["refexplicit"] = True
        resolved = domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], name,
                                       refnode, contnode)
        if resolved is not None:
            return resolved
    return None


def _documented_names(env, obj):
    """Documented names (in the Python domain) that refer to ``obj``."""
    cache = env.app.__dict__.setdefault("_skltransient_documented", {})
    domain = env.get_domain("py")
    if not cache or cache.get("__count__") != len(domain.objects):
        cache.clear()
        cache["__count__"] = len(domain.objects)
        for name, entry in domain.objects.items():
            if entry.aliased or not name.startswith(f"{PACKAGE}."):
                continue
            found = lookup(name)
            if found is not None and _has_identity(found):
                cache.setdefault(id(found), []).append(name)
    return cache.get(id(obj), []) if _has_identity(obj) else []


def _has_identity(obj):
    """Whether an object is identified by ``id`` (not a small int, string or None)."""
    return not isinstance(obj, (int, float, str, bytes, bool, type(None)))


def doc_comment_of_reexport(app, what, name, obj, options, lines):
    """Fill an empty data docstring with the ``#:`` comment of the defining module."""
    if what != "data" or not name.startswith(f"{PACKAGE}."):
        return
    # Runs before numpydoc (see setup), on the raw docstring: empty, or the
    # docstring of the value's type (a tuple's, for instance), means "none".
    text = "\n".join(lines).strip()
    if text and text != inspect.cleandoc(type(obj).__doc__ or ""):
        return
    module_name, attr = name.rsplit(".", 1)
    module = importlib.import_module(module_name)
    candidates = [module_name] + sorted(
        m for m in _submodules(module) if getattr(importlib.import_module(m), attr, None) is obj)
    for candidate in candidates:
        comment = ModuleAnalyzer.for_module(candidate).find_attr_docs().get(("", attr))
        if comment:
            lines[:] = list(comment)
            return


def _submodules(module):
    path = getattr(module, "__path__", None)
    if path is None:
        return []
    return [info.name for info in pkgutil.walk_packages(path, prefix=f"{module.__name__}.")]


def check_api_complete(app, env):
    """Warn for every public object that the API reference does not document."""
    domain = env.get_domain("py")
    documented = set()
    documented_names = set()
    for name, entry in domain.objects.items():
        if entry.aliased or not name.startswith(f"{PACKAGE}."):
            continue
        documented_names.add(name)
        found = lookup(name)
        if found is not None and _has_identity(found):
            documented.add(id(found))
    for module_name in public_modules():
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # a public module that cannot be imported is a bug
            logger.warning(f"public module {module_name} cannot be imported: {error!r}",
                           type="skltransient", subtype="api")
            continue
        for attr in getattr(module, "__all__", ()):
            if attr.startswith("__"):
                continue
            obj = getattr(module, attr, None)
            name = f"{module_name}.{attr}"
            if name in documented_names:
                continue
            if _has_identity(obj) and id(obj) in documented:
                continue
            if not _has_identity(obj) and any(d.endswith(f".{attr}") for d in documented_names):
                continue
            logger.warning(f"{name} is public (in {module_name}.__all__) but not documented: "
                           f"add it to an autosummary list in docs/api.rst",
                           type="skltransient", subtype="api")


class CommandHelp(Directive):
    """The ``--help`` output of ``skltransient <command>`` as a literal block."""

    required_arguments = 0
    optional_arguments = 1

    def run(self):
        from skltransient.cli import main

        argv = [*self.arguments, "--help"]
        out = io.StringIO()
        previous = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "80"  # argparse wraps to the terminal width
        try:
            with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
                main(argv)
        finally:
            if previous is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = previous
        text = out.getvalue().rstrip()
        if not text:
            raise self.error(f"skltransient {' '.join(argv)} printed nothing.")
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app):
    app.add_directive("command-help", CommandHelp)
    app.connect("autodoc-skip-member", skip_member)
    app.connect("autodoc-process-docstring", doc_comment_of_reexport, priority=400)
    app.connect("missing-reference", resolve_alias)
    app.connect("env-check-consistency", check_api_complete)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
