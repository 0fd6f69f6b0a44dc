"""The review plugin: a FastAPI app mounted at /littlesis on Airflow's API server.

``littlesis.web.app.create_app`` builds it from explicit dependencies (the store, the job config
folder, a DAG-run trigger, a clock...); ``plugins/littlesis_plugin.py`` builds it with the real
ones, lazily, so importing the plugin stays cheap in every Airflow process.
Pages are rendered on the server from autoescaped Jinja2 templates; CSS and JS come from this
package (no internet needed). Every route declares its Airflow permission (``littlesis.web.auth``).
"""
