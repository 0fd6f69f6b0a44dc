"""Little SIS Sync for Airflow: SIS exports -> Google Classroom, as reviewed Airflow jobs."""

__version__ = "0.1.0"
