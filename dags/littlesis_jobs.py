"""One DAG per Little SIS Sync job config (include/job_configs/, or $LITTLESIS_JOB_CONFIGS).

A broken config is logged and costs only its own DAG; see littlesis.orchestration.dag_builder.
"""

from pathlib import Path

from littlesis.orchestration.dag_builder import build_dags, default_config_dir

globals().update(build_dags(default_config_dir(Path(__file__).resolve().parents[1])))
