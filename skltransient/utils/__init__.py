"""Utilities: the project's own estimator checks and small test-data helpers."""
