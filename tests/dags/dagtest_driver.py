"""Run cricket_stats once with `dag.test()` in this process and print a JSON summary (used by the e2e test).

Runs as its own process so Airflow's global configuration (AIRFLOW_HOME, its DB, its logging)
never leaks into other tests. Usage: `python tests/dags/dagtest_driver.py '<run conf JSON>' [LOGICAL_DATE]`
(an ISO datetime: the run's data interval is the schedule's interval ending at or before it).
"""

from __future__ import annotations

import json
import os
import sys

# The folder Airflow reads DAGs from (the e2e test points it at a DAG bundle, as the deploy uploads it).
DAGS = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]


def main(conf: dict, logical_date: str | None = None) -> int:
    # The DAG processor puts the DAG bundle's folder on sys.path; do the same so helper modules import.
    sys.path.insert(0, str(DAGS))
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    if bag.import_errors:
        print("DAGTEST-RESULT " + json.dumps({"import_errors": bag.import_errors}), flush=True)
        return 1
    kwargs = {}
    if logical_date:
        import datetime as dt

        kwargs["logical_date"] = dt.datetime.fromisoformat(logical_date)
    dr = bag.dags["cricket_stats"].test(run_conf=conf, **kwargs)
    tis = {
        f"{ti.task_id}[{ti.map_index}]": {"state": str(ti.state), "try_number": ti.try_number}
        for ti in dr.get_task_instances()
    }
    print(
        "DAGTEST-RESULT "
        + json.dumps(
            {
                "run_id": dr.run_id,
                "state": str(dr.state),
                "tis": tis,
                "data_interval_end": dr.data_interval_end.isoformat() if dr.data_interval_end else None,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(
        main(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}, sys.argv[2] if len(sys.argv) > 2 else None)
    )
