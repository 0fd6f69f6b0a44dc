# The official Airflow image with our pinned Python dependencies, for docker-compose.yaml.
# Our code (dags/, plugins/, include/) is mounted by the compose file, not baked in,
# so the image changes only when requirements.txt or constraints.txt do.
#
#   docker compose build          (or: docker build -t littlesis-airflow .)
#
# Python 3.11: constraints.txt was resolved on 3.11, so the image must run the same minor version.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

ARG AIRFLOW_VERSION
# Installed as the image's airflow user, into its own site-packages (the image's documented way).
COPY --chown=airflow:root requirements.txt constraints.txt /opt/littlesis/
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" \
        -r /opt/littlesis/requirements.txt -c /opt/littlesis/constraints.txt

# Mount points of the compose file's named volumes; creating them here, owned by the airflow
# user, makes Docker give a new empty volume the same owner, so no service needs to run as root.
RUN mkdir -p /opt/airflow/artifacts /opt/airflow/auth /opt/airflow/logs

# plugins/ holds the littlesis package: `python -m littlesis ...` works in every container.
ENV PYTHONPATH=/opt/airflow/plugins
