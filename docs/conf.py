"""Sphinx configuration of the skltransient documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
The build needs no network: intersphinx is off. Set the environment variable
``SKLTRANSIENT_DOCS_NO_GALLERY=1`` to render the example gallery without
running the examples (no figures, no outputs), e.g. to check the prose quickly.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

import skltransient  # noqa: E402

# -- Project -----------------------------------------------------------------
project = "skltransient"
author = "the skltransient developers"
copyright = "2025, the skltransient developers"
release = skltransient.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "skltransient_docs",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"
# No nitpicky mode: references to objects outside this package (NumPy,
# scikit-learn, torch) render as plain text because intersphinx is off.
nitpicky = False

# -- autodoc / autosummary / numpydoc -------------------------------------
autosummary_generate = True
autosummary_generate_overwrite = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"
# Class pages show the class docstring, which documents the parameters
# (numpydoc style); __init__ only stores them and has no docstring.
autoclass_content = "class"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skltransient {release}"
html_static_path = ["_static"]
html_css_files = ["skltransient.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_show_sourcelink = False
html_last_updated_fmt = None

# -- Example gallery ---------------------------------------------------------
no_gallery = os.environ.get("SKLTRANSIENT_DOCS_NO_GALLERY", "").lower()
run_gallery = no_gallery in ("", "0", "false", "no")

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Only plot_*.py files are gallery examples (examples/quickstart.py is the
    # README's script, not a gallery page), and all of them are run.
    "filename_pattern": r"plot_",
    "ignore_pattern": r"^(?!plot_)",
    "within_subsection_order": "gallery_hooks.ExampleOrder",
    "plot_gallery": "True" if run_gallery else "False",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skltransient",),
    "image_scrapers": ("matplotlib",),
    # Before each example: reset matplotlib, and use one PyTorch thread (see
    # gallery_hooks.one_torch_thread for why).
    "reset_modules": ("matplotlib", "gallery_hooks.one_torch_thread"),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "show_memory": False,
    "download_all_examples": False,
    "capture_repr": ("_repr_html_", "__repr__"),
}
