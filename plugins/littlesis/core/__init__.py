"""Pure domain logic: no Airflow, Google client, database or web imports (a test checks it)."""
