"""Services: the steps of a sync run over core, store and classroom (the CLI and the DAG tasks call them)."""
