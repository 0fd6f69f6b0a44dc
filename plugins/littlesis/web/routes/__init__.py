"""The app's routes, one module per page; each route names its Airflow permission (littlesis.web.auth)."""
