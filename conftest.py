"""pytest's configuration for the project: its plugins. Tests live in tests/, notebooks are run by nbval.

nbval_precision compares each printed number at the precision it was printed with (nbval_precision.py);
tools.status records every nbval run for the site's status page (build/status/, see tools/status.py).
"""
pytest_plugins = ["nbval_precision", "tools.status"]

# nbval validates the English notebooks; the Chinese ones carry the same code cells and outputs by
# construction (tools/translate.py), which tests/test_translations.py checks without a kernel.
collect_ignore = ["notebooks/zh"]
