"""pytest's configuration for the project: its plugins. Tests live in tests/, notebooks are run by nbval.

tools.status records every nbval run for the site's status page (build/status/, see tools/status.py).
"""
pytest_plugins = ["tools.status"]
