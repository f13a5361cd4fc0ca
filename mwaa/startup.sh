#!/usr/bin/env bash
# MWAA startup script (StartupScriptS3Path): MWAA sources it on every scheduler, DAG processor, worker,
# triggerer and web server before Airflow starts; what it exports is in their environment.
#
# CRICKET_BACKEND decides which operators cricket_stats has, so the DAG reads it when its file is
# parsed: from the environment, never from an Airflow Variable (a metadata-DB call on every parse).
# Change it here and deploy: the workflow uploads this file and updates the environment when it changed.
# No `exit` in this file: MWAA sources it, and its environment is read after it returns.

export CRICKET_BACKEND="${CRICKET_BACKEND:-ecs}" # ecs | kubernetes (EKS); local only off MWAA

case "$CRICKET_BACKEND" in
  ecs | kubernetes) echo "cricket-stats: CRICKET_BACKEND=$CRICKET_BACKEND" ;;
  *) echo "cricket-stats: CRICKET_BACKEND=$CRICKET_BACKEND is not ecs or kubernetes; the DAG will not import" >&2 ;;
esac
