"""Putting the product on a machine: ``bin/littlesis setup`` and the one-command demo (``make demo``).

Nothing in here runs inside Airflow; these modules drive Airflow's own command line and REST API
from outside, so they work the same on SQLite, PostgreSQL and in a container.
"""
