"""Modules meet through public seams: no module reads another module's underscore names.

Run as a script (``python tests/test_seams.py [path/to/skltransient]``) to list every cross-module
private reach-in of the package with its file and line. Two kinds count:

- ``from .mod import _name``: a private name (one leading underscore, not a
  dunder) imported from another module of the package;
- ``obj._name``: a private attribute read on something other than ``self``
  or ``cls`` (or ``super()``), that no class of the same module defines
  (a method, a class attribute, an ``obj._name = ...`` assignment).

Private *modules* are not counted: ``from ._padding import LightCurvePadder``
imports a public name, as imbalanced-learn and scikit-learn do.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "skltransient"

#: The reach-ins allowed, each with its reason.
ALLOWED = {
    # scikit-learn's own BaseEstimator._validate_params, called in the one module that
    # wraps scikit-learn's private API (as imbalanced-learn's does).
    ("_compat.py", "estimator._validate_params"),
}


def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _own_names(tree):
    """Private attribute names that this module's classes define."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(item.name)
                elif isinstance(item, ast.Assign):
                    names.update(t.id for t in item.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return names


def _is_self(node):
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "super")


def reach_ins(root=PACKAGE):
    """``(path relative to root, line, code)`` of every cross-module private reach-in."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        own = _own_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (
                    node.level > 0 or (node.module or "").split(".")[0] == root.name):
                found += [(path, node.lineno, f"from {'.' * node.level}{node.module or ''} "
                           f"import {alias.name}") for alias in node.names if _private(alias.name)]
            elif (isinstance(node, ast.Attribute) and _private(node.attr)
                  and not _is_self(node.value) and node.attr not in own):
                found.append((path, node.lineno, ast.unparse(node)))
    return [(str(path.relative_to(root)), line, code) for path, line, code in found]


def test_no_module_reaches_into_another_modules_private_names():
    """Check that no module of the package uses another module's underscore names."""
    unexpected = [f"{path}:{line}: {code}" for path, line, code in reach_ins()
                  if (path, code) not in ALLOWED]
    assert unexpected == []


def test_reach_in_count_sees_a_reach_in(tmp_path):
    """Check that the count finds both kinds of reach-in, and not a module's own private names."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("class A:\n    def _own(self):\n        return self._x\n")
    (package / "b.py").write_text(
        "from .a import _helper, A\n\ndef f(a):\n    return a._secret, A()._own()\n")
    codes = [code for _, _, code in reach_ins(package)]
    assert codes == ["from .a import _helper", "a._secret", "A()._own"]


if __name__ == "__main__":
    import sys

    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else PACKAGE
    rows = reach_ins(root)
    for path, line, code in rows:
        print(f"{root.name}/{path}:{line}: {code}")
    print(f"total: {len(rows)}")
