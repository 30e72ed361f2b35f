"""pytest's configuration for the project: its plugins. Tests live in tests/, notebooks are run by nbval.

nbval_precision compares each printed number at the precision it was printed with (nbval_precision.py);
tools.status records every nbval run for the site's status page (build/status/, see tools/status.py).
"""
pytest_plugins = ["nbval_precision", "tools.status"]
