"""infra/cricket-stats.yaml: cfn-lint clean, deployed into moto's CloudFormation, and least privilege in every policy."""

from __future__ import annotations

import ast
import fnmatch
import json
import subprocess
import warnings
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.decode import cfn_yaml

from tests.helpers import REPO, start_moto

TEMPLATE = REPO / "infra" / "cricket-stats.yaml"
PROJECT, ENV, BRANCH, REPOSITORY = "cricket-stats", "dev", "dev", "example-org/cricket-stats"
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
GLUE_DB = "cricket_stats_dev"
DATA_BUCKET = f"{PROJECT}-{ENV}-data-{ACCOUNT}"
MWAA_BUCKET = f"airflow-{PROJECT}-{ENV}-{ACCOUNT}"

# moto's CloudFormation has no model for these types (it skips them with a warning), so the deployed
# stack lacks them; they are checked statically below instead. If moto learns one, this set must shrink.
MOTO_UNSUPPORTED = {
    "AWS::Athena::WorkGroup",
    "AWS::EKS::AccessEntry",
    "AWS::EKS::PodIdentityAssociation",
    "AWS::Glue::Database",
    "AWS::IAM::OIDCProvider",
    "AWS::MWAA::Environment",
    "AWS::S3::BucketPolicy",
}
# moto's S3 model applies only BucketEncryption and Tags from a template; versioning, public access
# block, ownership and lifecycle are checked statically.

# Actions AWS does not scope to resources: the only ones allowed with "Resource": "*".
UNSCOPED_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ecs:DescribeTaskDefinition",
    "ecs:RegisterTaskDefinition",
    "logs:DescribeLogGroups",
    "cloudwatch:PutMetricData",
    "s3:GetAccountPublicAccessBlock",
    "ecs:ListTasks",  # the policy narrows it with an ecs:cluster condition instead
}
# Resources outside the project's names: MWAA's own Celery queues (execution role), and the account's
# Glue catalog, which Glue authorizes alongside the database and table ARNs on every table call.
FOREIGN_RESOURCES = {f"arn:aws:sqs:{REGION}:*:airflow-celery-*", f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog"}


def load_template() -> dict[str, Any]:
    return json.loads(json.dumps(cfn_yaml.loads(TEMPLATE.read_text(), str(TEMPLATE))))


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v]


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    # moto keeps a conditional statement that resolved to AWS::NoValue as null; CloudFormation drops it.
    return [st for st in _as_list(doc["Statement"]) if st is not None]


def policy_violations(doc: dict[str, Any], where: str) -> list[str]:
    """The least-privilege rules, over a resolved policy document."""
    bad = []
    for st in _statements(doc):
        if st["Effect"] != "Allow":
            continue
        actions = _as_list(st.get("Action", []))
        if "NotAction" in st:
            bad.append(f"{where}: NotAction in an Allow statement")
        for a in actions:
            if a == "*" or a.endswith(":*"):
                bad.append(f"{where}: action {a!r} grants a whole service")
        if "NotResource" in st:
            # Only the MWAA pattern: AWS-owned SQS keys, reached through SQS, never this account's keys.
            ok = str(st["NotResource"]).endswith(f":{ACCOUNT}:key/*") and "kms:ViaService" in json.dumps(
                st.get("Condition", {})
            )
            if not ok or not all(a.startswith("kms:") for a in actions):
                bad.append(f"{where}: NotResource outside the documented MWAA KMS case: {st}")
            continue
        for r in _as_list(st["Resource"]):
            if r == "*":
                if not set(actions) <= UNSCOPED_ACTIONS:
                    bad.append(f"{where}: Resource '*' for {sorted(set(actions) - UNSCOPED_ACTIONS)}")
            elif r not in FOREIGN_RESOURCES and PROJECT not in r and GLUE_DB not in r:
                bad.append(f"{where}: resource {r} is not one of the project's")
    return bad


def allows(docs: list[dict[str, Any]], action: str, resource: str) -> bool:
    """Does any Allow statement match (conditions ignored: this asks what the role could ever do)?"""
    for doc in docs:
        for st in _statements(doc):
            if st["Effect"] != "Allow" or "NotResource" in st:
                continue
            if any(fnmatch.fnmatchcase(action, a) for a in _as_list(st["Action"])) and any(
                fnmatch.fnmatchcase(resource, r) for r in _as_list(st["Resource"])
            ):
                return True
    return False


def test_cfn_lint_clean():
    res = subprocess.run(
        [str(REPO / ".venv" / "bin" / "cfn-lint"), str(TEMPLATE)], capture_output=True, text=True, cwd=REPO
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_moto_really_lacks_the_types_checked_statically():
    from moto.cloudformation.parsing import resource_class_from_type

    types = {r["Type"] for r in load_template()["Resources"].values()}
    assert MOTO_UNSUPPORTED <= types
    assert {t for t in types if resource_class_from_type(t) is None} == MOTO_UNSUPPORTED


def moto_variant(template: dict[str, Any]) -> dict[str, Any]:
    """The template without the types moto cannot create (and outputs that name them)."""
    t = json.loads(json.dumps(template))
    dropped = {k for k, r in t["Resources"].items() if r["Type"] in MOTO_UNSUPPORTED}
    for k in dropped:
        del t["Resources"][k]
    t["Outputs"] = {
        k: o for k, o in t["Outputs"].items() if not any(d in json.dumps(o["Value"]) for d in dropped)
    }
    leftover = [d for d in dropped if f'"{d}"' in json.dumps(t["Resources"])]
    assert not leftover, f"supported resources reference unsupported ones: {leftover}"
    return t


@pytest.fixture(scope="module")
def moto_server():
    """A moto server of this module's own: the stack's roles, buckets and repositories stay out of
    the session-wide `moto_s3` that other tests list and count things in."""
    srv = start_moto()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def stack(moto_server):
    """The stack deployed into the moto server, with a VPC and two subnets for MWAA and the tasks."""
    kw = {
        "endpoint_url": moto_server.url,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    ec2 = boto3.client("ec2", **kw)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    cfn = boto3.client("cloudformation", **kw)
    params = {
        "Environment": ENV,
        "GitHubRepository": REPOSITORY,
        "GitHubBranch": BRANCH,
        "VpcId": vpc,
        "PrivateSubnetIds": ",".join(subnets),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfn.create_stack(
            StackName=f"{PROJECT}-{ENV}",
            TemplateBody=json.dumps(moto_variant(load_template())),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
    desc = cfn.describe_stacks(StackName=f"{PROJECT}-{ENV}")["Stacks"][0]
    assert desc["StackStatus"] == "CREATE_COMPLETE", desc.get("StackStatusReason")
    clients = {name: boto3.client(name, **kw) for name in ("s3", "ecr", "iam", "ecs", "logs")}
    clients["cfn"], clients["ec2"] = cfn, ec2
    clients["outputs"] = {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}
    clients["resources"] = cfn.list_stack_resources(StackName=f"{PROJECT}-{ENV}")["StackResourceSummaries"]
    return clients


def test_every_supported_resource_was_created(stack):
    expected = {k for k, r in load_template()["Resources"].items() if r["Type"] not in MOTO_UNSUPPORTED}
    created = {r["LogicalResourceId"] for r in stack["resources"] if r["ResourceStatus"] == "CREATE_COMPLETE"}
    assert created == expected


def test_buckets_exist_encrypted(stack):
    s3 = stack["s3"]
    for bucket in (DATA_BUCKET, MWAA_BUCKET):
        s3.head_bucket(Bucket=bucket)
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert stack["outputs"]["DataBucketName"] == DATA_BUCKET
    assert stack["outputs"]["MwaaBucketName"] == MWAA_BUCKET


def test_ecr_repositories_scan_on_push_with_immutable_sha_tags(stack):
    repos = {r["repositoryName"]: r for r in stack["ecr"].describe_repositories()["repositories"]}
    assert set(repos) == {f"{PROJECT}-{ENV}/{n}" for n in ("base", "scraper", "transformer")}
    for repo in repos.values():
        # moto stores the template's {"ScanOnPush": true} verbatim and its answer's key no longer matches
        # the API's camelCase, so scan-on-push is checked statically in test_static_ecr_scan_on_push.
        assert repo["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
        # Only the branch tag may move; every commit-SHA tag is immutable.
        assert repo["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": BRANCH}]


def test_ecs_cluster_and_task_definitions(stack):
    ecs = stack["ecs"]
    cluster = ecs.describe_clusters(clusters=[f"{PROJECT}-{ENV}"])["clusters"][0]
    assert cluster["status"] == "ACTIVE"
    # moto's CloudFormation registers only family, containers, volumes and memory of a task
    # definition; roles, Fargate and awsvpc are checked statically in test_static_task_definitions.
    for name in ("scraper", "transformer"):
        td = ecs.describe_task_definition(taskDefinition=f"{PROJECT}-{ENV}-{name}")["taskDefinition"]
        (container,) = td["containerDefinitions"]
        assert container["name"] == name
        assert container["image"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{PROJECT}-{ENV}/{name}:main"
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert env["CRICKET_RAW_URI"] == f"s3://{DATA_BUCKET}/raw"
        assert not any("SECRET" in k or "ACCESS_KEY" in k for k in env)
        assert container["logConfiguration"]["options"]["awslogs-group"] == f"/ecs/{PROJECT}-{ENV}"
    groups = stack["logs"].describe_log_groups(logGroupNamePrefix=f"/ecs/{PROJECT}-{ENV}")["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [30]


def _doc(value: Any) -> dict[str, Any]:
    """A policy document as IAM returns it. moto keeps a role's inline policies from a template as
    the Python repr of the dict (not JSON), so read that too."""
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return ast.literal_eval(value)


def _role_docs(iam, role: str) -> list[dict[str, Any]]:
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert names, f"{role} has no inline policy"
    assert not iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"], (
        "no managed policies on roles"
    )
    return [_doc(iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]) for n in names]


ROLES = ("deploy", "task-execution", "scraper", "transformer", "mwaa-execution")


def test_every_deployed_policy_is_least_privilege(stack):
    iam = stack["iam"]
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert {f"{PROJECT}-{ENV}-{r}" for r in ROLES} <= roles
    bad = []
    for r in ROLES:
        for doc in _role_docs(iam, f"{PROJECT}-{ENV}-{r}"):
            bad += policy_violations(doc, r)
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{PROJECT}-{ENV}-athena-reader"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    reader = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    bad += policy_violations(_doc(reader), "athena-reader")
    assert not bad, "\n".join(bad)


def test_the_rules_catch_what_they_forbid():
    wide = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    service = {
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{DATA_BUCKET}"}]
    }
    foreign = {
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]
    }
    star = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    assert len(policy_violations(wide, "w")) == 2
    assert len(policy_violations(service, "s")) == 1
    assert len(policy_violations(foreign, "f")) == 1
    assert len(policy_violations(star, "x")) == 1


def test_task_roles_separate_raw_and_curated(stack):
    iam = stack["iam"]
    scraper = _role_docs(iam, f"{PROJECT}-{ENV}-scraper")
    transformer = _role_docs(iam, f"{PROJECT}-{ENV}-transformer")
    raw, curated = (
        f"arn:aws:s3:::{DATA_BUCKET}/raw/statsguru/run_id=1/part-00000.jsonl.gz",
        (f"arn:aws:s3:::{DATA_BUCKET}/curated/players/run_id=1/part-00000.parquet"),
    )
    table = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{GLUE_DB}/batting_career"
    assert allows(scraper, "s3:PutObject", raw)
    assert not allows(scraper, "s3:PutObject", curated)
    assert not allows(scraper, "s3:GetObject", curated)
    assert not allows(scraper, "glue:UpdateTable", table)
    assert not allows(scraper, "s3:DeleteObject", raw)
    assert allows(transformer, "s3:GetObject", raw)
    assert not allows(transformer, "s3:PutObject", raw)
    assert not allows(transformer, "s3:DeleteObject", raw)
    assert allows(transformer, "s3:PutObject", curated)
    assert allows(transformer, "glue:UpdateTable", table)
    smoke = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{GLUE_DB}_smoke/batting_career"
    assert allows(transformer, "glue:UpdateTable", smoke)
    workgroup = f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{PROJECT}-{ENV}"
    assert allows(transformer, "athena:StartQueryExecution", workgroup)
    assert not allows(
        transformer, "athena:StartQueryExecution", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/primary"
    )
    assert allows(transformer, "s3:PutObject", f"arn:aws:s3:::{DATA_BUCKET}/athena-results/q.csv")
    assert not allows(scraper, "athena:StartQueryExecution", workgroup)
    assert not allows(transformer, "glue:UpdateTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/other_db/t")
    assert not allows(transformer, "glue:DeleteTable", table)


def test_mwaa_role_runs_only_the_pipeline_tasks(stack):
    mwaa = _role_docs(stack["iam"], f"{PROJECT}-{ENV}-mwaa-execution")
    td = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{PROJECT}-{ENV}"
    assert allows(mwaa, "ecs:RunTask", f"{td}-scraper:7")
    assert not allows(mwaa, "ecs:RunTask", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/other:1")
    assert allows(mwaa, "s3:GetObject", f"arn:aws:s3:::{DATA_BUCKET}/curated/_current.json")
    assert allows(mwaa, "s3:GetObject", f"arn:aws:s3:::{DATA_BUCKET}/curated/_smoke/_current.json")
    # Without EksClusterName the stack grants nothing on EKS.
    assert not allows(mwaa, "eks:DescribeCluster", f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/x")
    assert not allows(mwaa, "s3:GetObject", f"arn:aws:s3:::{DATA_BUCKET}/curated/players/x.parquet")
    assert not allows(mwaa, "s3:PutObject", f"arn:aws:s3:::{MWAA_BUCKET}/dags/x.py")
    assert allows(mwaa, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{ENV}-scraper")
    stream = (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/{PROJECT}-{ENV}:log-stream:cricket/scraper/0123abcd"
    )
    assert allows(mwaa, "logs:GetLogEvents", stream)
    assert not allows(
        mwaa, "logs:GetLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/other:log-stream:x"
    )
    (list_tasks,) = [st for doc in mwaa for st in _statements(doc) if st.get("Action") == "ecs:ListTasks"]
    cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{PROJECT}-{ENV}"
    assert list_tasks["Condition"] == {"ArnEquals": {"ecs:cluster": cluster}}


def test_deploy_role_trusts_only_the_repo_and_its_environment(stack):
    iam = stack["iam"]
    role = iam.get_role(RoleName=f"{PROJECT}-{ENV}-deploy")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = _doc(trust)
    (st,) = trust["Statement"]
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert (
        st["Principal"]["Federated"]
        == f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    )
    # Only the GitHub environment's jobs (its reviewers apply), matched exactly: no branch subject, no wildcard.
    assert st["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"repo:{REPOSITORY}:environment:{ENV}",
        }
    }
    deploy = _role_docs(iam, f"{PROJECT}-{ENV}-deploy")
    assert allows(
        deploy, "ecr:PutImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{PROJECT}-{ENV}/scraper"
    )
    assert allows(deploy, "s3:PutObject", f"arn:aws:s3:::{MWAA_BUCKET}/dags/cricket_stats.py")
    assert allows(
        deploy, "airflow:InvokeRestApi", f"arn:aws:airflow:{REGION}:{ACCOUNT}:role/{PROJECT}-{ENV}/User"
    )
    assert allows(deploy, "s3:PutObject", f"arn:aws:s3:::{MWAA_BUCKET}/startup.sh")
    # REST only: no CLI token (it cannot reach a PRIVATE_ONLY web server, and a fallback hides IAM mistakes).
    mwaa_env = f"arn:aws:airflow:{REGION}:{ACCOUNT}:environment/{PROJECT}-{ENV}"
    assert not allows(deploy, "airflow:CreateCliToken", mwaa_env)
    assert allows(deploy, "airflow:UpdateEnvironment", mwaa_env)
    assert not allows(
        deploy, "airflow:InvokeRestApi", f"arn:aws:airflow:{REGION}:{ACCOUNT}:role/{PROJECT}-{ENV}/Admin"
    )
    assert not allows(
        deploy, "s3:PutObject", f"arn:aws:s3:::{DATA_BUCKET}/curated/x"
    )  # data is the DAG's job
    assert not allows(deploy, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/someone-else")


# ----------------------------------------------------------------- static checks (not deployable in moto)


def _resources(template, rtype):
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == rtype}


def test_static_buckets_versioned_private_with_raw_lifecycle():
    buckets = _resources(load_template(), "AWS::S3::Bucket")
    assert set(buckets) == {"DataBucket", "MwaaBucket"}
    for props in buckets.values():
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert (
            all(props["PublicAccessBlockConfiguration"].values())
            and len(props["PublicAccessBlockConfiguration"]) == 4
        )
        assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    rules = {r["Id"]: r for r in buckets["DataBucket"]["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-old-raw-runs"]["Prefix"] == "raw/"
    assert rules["expire-old-raw-runs"]["ExpirationInDays"] == {"Ref": "RawRunRetentionDays"}
    assert "NoncurrentVersionExpiration" in rules["expire-noncurrent-versions"]
    (policy,) = _resources(load_template(), "AWS::S3::BucketPolicy").values()
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_static_ecr_scan_on_push():
    repos = _resources(load_template(), "AWS::ECR::Repository")
    assert set(repos) == {"BaseRepository", "ScraperRepository", "TransformerRepository"}
    for props in repos.values():
        assert props["ImageScanningConfiguration"] == {"ScanOnPush": True}
        assert json.loads(props["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]


def test_static_task_definitions():
    tds = _resources(load_template(), "AWS::ECS::TaskDefinition")
    for logical, role in (
        ("ScraperTaskDefinition", "ScraperTaskRole"),
        ("TransformerTaskDefinition", "TransformerTaskRole"),
    ):
        td = tds[logical]
        assert td["RequiresCompatibilities"] == ["FARGATE"] and td["NetworkMode"] == "awsvpc"
        assert td["TaskRoleArn"] == {"Fn::GetAtt": [role, "Arn"]}
        assert td["ExecutionRoleArn"] == {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]}


def test_static_glue_athena_oidc_mwaa():
    t = load_template()
    (glue,) = _resources(t, "AWS::Glue::Database").values()
    assert glue["DatabaseInput"]["Name"] == {"Fn::Sub": "${GlueDatabasePrefix}_${Environment}"}
    (wg,) = _resources(t, "AWS::Athena::WorkGroup").values()
    conf = wg["WorkGroupConfiguration"]
    assert conf["EnforceWorkGroupConfiguration"] is True
    assert conf["ResultConfiguration"]["OutputLocation"] == {"Fn::Sub": "s3://${DataBucket}/athena-results/"}
    assert conf["BytesScannedCutoffPerQuery"] > 0
    (oidc,) = _resources(t, "AWS::IAM::OIDCProvider").values()
    assert oidc["Url"] == "https://token.actions.githubusercontent.com"
    assert oidc["ClientIdList"] == ["sts.amazonaws.com"]
    assert t["Resources"]["GitHubOidcProvider"]["Condition"] == "MakeOidcProvider"
    (mwaa,) = _resources(t, "AWS::MWAA::Environment").values()
    assert mwaa["ExecutionRoleArn"] == {"Fn::GetAtt": ["MwaaExecutionRole", "Arn"]}
    assert mwaa["SourceBucketArn"] == {"Fn::GetAtt": ["MwaaBucket", "Arn"]}
    assert (mwaa["DagS3Path"], mwaa["RequirementsS3Path"]) == ("dags", "requirements.txt")
    assert t["Parameters"]["AirflowVersion"]["Default"].startswith("3.")  # the DAG imports airflow.sdk
    assert mwaa["Name"] == {"Fn::Sub": "${Project}-${Environment}"}
    # MWAA starts only once dags/ and requirements.txt are in its bucket: a second stack update creates it.
    assert t["Resources"]["MwaaEnvironment"]["Condition"] == "MakeMwaa"
    assert t["Conditions"]["MakeMwaa"] == {"Fn::Equals": [{"Ref": "CreateMwaaEnvironment"}, "true"]}


def _branches(statements: list) -> list[dict[str, Any]]:
    """Statements with each conditional one (`Fn::If: [cond, statement, AWS::NoValue]`) in its granted form."""
    out = []
    for st in statements:
        if "Fn::If" in st:
            out += [b for b in st["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"}]
        else:
            out.append(st)
    return out


def test_static_no_managed_full_access_no_keys_no_wildcards():
    text = TEMPLATE.read_text()
    assert "FullAccess" not in text and "ManagedPolicyArns" not in text
    assert "AWS::IAM::AccessKey" not in text and "aws_secret_access_key" not in text.lower()
    t = load_template()
    for name, res in t["Resources"].items():
        for pol in res["Properties"].get("Policies", []):
            for st in _branches(pol["PolicyDocument"]["Statement"]):
                if st["Effect"] == "Allow":
                    assert all(a != "*" and not a.endswith(":*") for a in _as_list(st["Action"])), name


def test_infra_readme_names_the_template():
    readme = Path(REPO / "infra" / "README.md").read_text()
    assert "cricket-stats.yaml" in readme and "CAPABILITY_NAMED_IAM" in readme


def test_static_mwaa_runs_the_startup_script_at_pinned_versions():
    t = load_template()
    (mwaa,) = _resources(t, "AWS::MWAA::Environment").values()
    assert mwaa["StartupScriptS3Path"] == "startup.sh" and (REPO / "mwaa" / "startup.sh").is_file()
    # A stack update passes the versions the deploy workflow set, instead of rolling MWAA back.
    assert mwaa["RequirementsS3ObjectVersion"] == {
        "Fn::If": ["PinRequirements", {"Ref": "RequirementsS3ObjectVersion"}, {"Ref": "AWS::NoValue"}]
    }
    assert mwaa["StartupScriptS3ObjectVersion"] == {
        "Fn::If": ["PinStartupScript", {"Ref": "StartupScriptS3ObjectVersion"}, {"Ref": "AWS::NoValue"}]
    }


def test_static_eks_access_for_the_kubernetes_backend():
    """With EksClusterName: MWAA's role may describe the cluster and edit its namespace only; pods get the task roles."""
    t = load_template()
    assert t["Conditions"]["UseEks"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "EksClusterName"}, ""]}]}
    assert t["Parameters"]["EksClusterName"]["Default"] == ""  # ECS-only stacks create nothing on EKS
    (entry,) = _resources(t, "AWS::EKS::AccessEntry").values()
    assert t["Resources"]["MwaaEksAccessEntry"]["Condition"] == "UseEks"
    assert entry["PrincipalArn"] == {"Fn::GetAtt": ["MwaaExecutionRole", "Arn"]}
    (policy,) = entry["AccessPolicies"]
    assert policy["PolicyArn"]["Fn::Sub"].endswith(":cluster-access-policy/AmazonEKSEditPolicy")
    assert policy["AccessScope"] == {"Type": "namespace", "Namespaces": [{"Ref": "EksNamespace"}]}
    pods = {
        p["ServiceAccount"]: p["RoleArn"] for p in _resources(t, "AWS::EKS::PodIdentityAssociation").values()
    }
    # The service accounts the DAG defaults to (CRICKET_K8S_*_SERVICE_ACCOUNT).
    assert pods == {
        "cricket-scraper": {"Fn::GetAtt": ["ScraperTaskRole", "Arn"]},
        "cricket-transformer": {"Fn::GetAtt": ["TransformerTaskRole", "Arn"]},
    }
    dag = (REPO / "dags" / "cricket_stats.py").read_text()
    assert "'cricket-scraper'" in dag and "'cricket-transformer'" in dag
    for role in ("ScraperTaskRole", "TransformerTaskRole"):
        trust = t["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        (pod,) = [b for b in _branches(trust) if b["Principal"] == {"Service": "pods.eks.amazonaws.com"}]
        assert pod["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    mwaa = t["Resources"]["MwaaExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    (describe,) = [b for b in _branches(mwaa) if b.get("Sid") == "FindTheEksCluster"]
    assert describe["Action"] == "eks:DescribeCluster"
    assert describe["Resource"]["Fn::Sub"].endswith(":cluster/${EksClusterName}")
