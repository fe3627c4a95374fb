"""Collection of the package's doctests: modules whose optional engine is absent are skipped."""

import importlib.util

# The Fink-shaped processor declares its Spark UDFs at import, as Fink's modules do.
collect_ignore = [] if importlib.util.find_spec("pyspark") else ["skltransient/spark/processor.py"]
