"""One Airflow DAG per Little SIS Sync job config (include/job_configs/, or $LITTLESIS_JOB_CONFIGS).

A broken config is logged and costs only its own DAG; see littlesis.orchestration.dag_builder.
(Airflow's safe-mode discovery only parses files mentioning "airflow" and "dag": this docstring does.)
"""

from pathlib import Path

from littlesis.orchestration.dag_builder import build_dags, default_config_dir

globals().update(build_dags(default_config_dir(Path(__file__).resolve().parents[1])))
