"""ssm/runbook-playbook.json: moto accepts it (create_document, send_command), and
its runCommand lines, taken from the JSON and run verbatim by sh inside an
Agent-host sandbox against moto, exit 0 for ok and changed, non-zero for failed.
SSM's own execution (the agent, aws:downloadContent) is not exercised: moto marks
every command Success with empty output. The download is emulated by fetching
the object from moto's S3 and putting it where the document downloads it."""

import json
import os
import re

import boto3
import pytest

from conftest import ROOT, need_services
from fleet import ADDON, AWS_KEYS, image_exists, moto_reset, sh

DOC = ROOT / "ssm" / "runbook-playbook.json"
BUCKET = "runbook-ssm-bin"
URL = "https://%s.s3.us-east-1.amazonaws.com/runbook/0.1.0/runbook" % BUCKET


def document():
    return json.loads(DOC.read_text())


def client(name):
    return boto3.client(name, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")


def render(params):
    """The runCommand lines with SSM's {{ Name }} substitution."""
    steps = {s["action"]: s for s in document()["mainSteps"]}
    script = "\n".join(steps["aws:runShellScript"]["inputs"]["runCommand"]) + "\n"
    for name, value in params.items():
        script = script.replace("{{ %s }}" % name, value)
    assert "{{" not in script, script
    return script


def test_document_shape_and_patterns():
    d = document()
    assert d["schemaVersion"] == "2.2"
    assert set(d["parameters"]) == {"Playbook", "Params", "Check", "BinaryS3Url"}
    assert [s["action"] for s in d["mainSteps"]] == ["aws:downloadContent", "aws:runShellScript"]
    p = {k: re.compile(v["allowedPattern"]) for k, v in d["parameters"].items() if "allowedPattern" in v}
    assert p["Params"].match("user_name=alation-agent-emea region=eu-west-1 secret_arns=* yes=true")
    assert p["Params"].match("")
    for bad in ("x=1;reboot", "x=$(id)", "x='a b'", "x=`id`", "x=1 && id", "a=b\nc=d", "{{x}}=1"):
        assert not p["Params"].match(bad), bad
    assert p["Playbook"].match("alation-agent/doctor") and not p["Playbook"].match("a b")
    assert p["BinaryS3Url"].match(URL) and not p["BinaryS3Url"].match("https://x/'a'")


def test_moto_accepts_the_document_and_send_command():
    need_services()
    moto_reset()
    ssm = client("ssm")
    client("s3").create_bucket(Bucket="runbook-ssm-output")
    ssm.create_document(Content=DOC.read_text(), Name="runbook-playbook", DocumentType="Command",
                        DocumentFormat="JSON")
    desc = ssm.describe_document(Name="runbook-playbook")["Document"]
    assert desc["SchemaVersion"] == "2.2"
    assert {p["Name"] for p in desc["Parameters"]} == {"Playbook", "Params", "Check", "BinaryS3Url"}
    cmd = ssm.send_command(DocumentName="runbook-playbook", InstanceIds=["i-0123456789abcdef0"],
                           Parameters={"Playbook": ["alation-agent/doctor"], "Params": ["region=us-east-1"],
                                       "Check": ["true"], "BinaryS3Url": [URL]},
                           OutputS3BucketName="runbook-ssm-output", OutputS3KeyPrefix="runbook/")["Command"]
    assert cmd["DocumentName"] == "runbook-playbook"
    assert cmd["OutputS3BucketName"] == "runbook-ssm-output"
    assert cmd["Parameters"]["Check"] == ["true"]


@pytest.fixture(scope="module")
def host():
    binary = need_services()
    name = "rb-ssm-%d" % os.getpid()
    had_auth = image_exists("auth")
    env = dict(os.environ, SANDBOX_AUTH_CONTAINER="auth-" + name)
    try:
        sh(str(ROOT / "scripts" / "sandbox.sh"), "up", name, env=env)
        # aws:downloadContent, emulated: the binary goes to S3 (moto) and comes back from there.
        moto_reset()
        s3 = client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.upload_file(str(binary), BUCKET, "runbook/0.1.0/runbook")
        staged = ROOT / ".build" / ("ssm-" + name)
        staged.mkdir(parents=True, exist_ok=True)
        s3.download_file(BUCKET, "runbook/0.1.0/runbook", str(staged / "runbook"))
        sh("docker", "exec", name, "mkdir", "-p", "/var/lib/runbook-ssm/bin")
        sh("docker", "exec", name, "cp", str(staged / "runbook"), "/var/lib/runbook-ssm/bin/runbook")
        sh("docker", "exec", name, "cp", str(ADDON), "/root/" + ADDON.name)
        yield name
    finally:
        sh(str(ROOT / "scripts" / "sandbox.sh"), "down", name, check=False)
        if not had_auth:
            sh("docker", "rmi", "auth", check=False)
        sh("rm", "-rf", str(ROOT / ".build" / ("ssm-" + name)), check=False)


def run_document(host, playbook, params, check):
    script = render({"Playbook": playbook, "Params": params, "Check": check, "BinaryS3Url": URL})
    env = []
    for k in AWS_KEYS:
        if k in os.environ:
            env += ["-e", "%s=%s" % (k, os.environ[k])]
    import subprocess
    p = subprocess.run(["docker", "exec", "-i", *env, host, "sh", "-s"], input=script,
                       capture_output=True, text=True)
    recaps = [json.loads(ln) for ln in p.stdout.splitlines() if ln.startswith("{") and '"event":"recap"' in ln]
    assert recaps, p.stdout + p.stderr
    return p.returncode, recaps[0], p


def setup_params(host):
    return ("user_name=alation-agent-ssm container=auth-%s region=us-east-1 yes=true "
            "addon_archive=/root/%s" % (host, ADDON.name))


def test_run_command_exit_codes_ok_changed_failed(host):
    # Check mode with changes pending: runbook exits 3, the document 0.
    rc, recap, p = run_document(host, "alation-agent/secrets-manager-iam-user", setup_params(host), "true")
    assert rc == 0 and recap["would_change"] > 0, p.stdout + p.stderr
    assert "changes pending" in p.stdout
    assert client("iam").list_users()["Users"] == []
    # Apply: changed, exit 0.
    rc, recap, p = run_document(host, "alation-agent/secrets-manager-iam-user", setup_params(host), "false")
    assert rc == 0 and recap["changed"] > 0 and recap["success"], p.stdout + p.stderr
    # Again: ok, nothing changed, exit 0.
    rc, recap, p = run_document(host, "alation-agent/secrets-manager-iam-user", setup_params(host), "false")
    assert rc == 0 and recap["changed"] == 0 and recap["would_change"] == 0, p.stdout + p.stderr
    # The doctor agrees, in check mode too (nothing pending: exit 0).
    rc, recap, p = run_document(host, "alation-agent/doctor",
                                "user_name=alation-agent-ssm container=auth-%s region=us-east-1" % host, "true")
    assert rc == 0 and recap["checks_failed"] == 0 and recap["checks_passed"] > 0, p.stdout + p.stderr
    # Failed: the group is gone; runbook exits 1 and so does the document.
    sh("docker", "exec", host, "groupdel", "alationdocker")
    rc, recap, p = run_document(host, "alation-agent/secrets-manager-iam-user", setup_params(host), "false")
    assert rc == 1 and not recap["success"], p.stdout + p.stderr
    assert "group 'alationdocker' does not exist" in p.stdout
    assert "runbook: failed (exit code 1)" in p.stderr
