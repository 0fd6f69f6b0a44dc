"""The Airflow side: DAG building, task callables, the approval sensor, and connection helpers."""
