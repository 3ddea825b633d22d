"""Checks of the repository itself that `make test` runs: dependency advisories (audit.py) and
a secret scan (secrets.py)."""
