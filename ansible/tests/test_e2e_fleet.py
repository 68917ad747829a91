"""End to end: ansible/examples/agents.yml over three Agent-host sandboxes
(community.docker.docker connection), runbook's debug build, moto on loopback.
The tests run in order and share the fleet: install, check, apply, rerun,
a broken host, secrets."""

import json
import os

import boto3
import pytest

from conftest import ANSIBLE, need_services
from fleet import ADDON, Fleet, moto_reset

ROLLOUT = "Run alation-agent/secrets-manager-iam-user"
COPY_BINARY = "Copy runbook to "
DOCTOR = "Run alation-agent/doctor"
SECRET = "tok-ansible-e2e-7Qz3Xk9"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    binary = need_services()
    names = ["rb-ansible-%d-%d" % (os.getpid(), i) for i in (1, 2, 3)]
    moto_reset()
    f = Fleet(names, binary, tmp_path_factory.mktemp("fleet"))
    try:
        f.up()
        yield f
    finally:
        f.down()


def iam():
    return boto3.client("iam", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")


def agent_users():
    return sorted(u["UserName"] for u in iam().list_users()["Users"] if u["UserName"].startswith("alation-agent-"))


def doctor_rows(f):
    return json.loads(f.report.read_text())


def test_install_role_check_mode_changes_nothing(fleet):
    run = fleet.agents("--tags", "install", "--check")
    res = run.results(COPY_BINARY)
    assert sorted(res) == fleet.names
    assert all(r["changed"] for r in res.values()), res
    assert all(r["changed"] for r in run.results("Copy the add-on archive").values())
    for h in fleet.names:
        assert not fleet.exists(h, "/usr/local/bin/runbook"), h
        assert not fleet.exists(h, "/root/" + ADDON.name), h


def test_install_role_installs_then_is_idempotent_by_checksum(fleet):
    run = fleet.agents("--tags", "install")
    assert all(r["changed"] for r in run.results(COPY_BINARY).values())
    again = fleet.agents("--tags", "install")
    for h in fleet.names:
        assert again.stats[h]["changed"] == 0, again.stats
        assert again.results(COPY_BINARY)[h].get("skipped"), h
        out = fleet.exec(h, "sha256sum", "/usr/local/bin/runbook").stdout.split()[0]
        local = fleet.exec(h, "sha256sum", str(fleet.binary)).stdout.split()[0]
        assert out == local


def test_check_diff_changes_nothing_and_reports_changed(fleet):
    run = fleet.agents("--check", "--diff")
    res = run.results(ROLLOUT)
    assert sorted(res) == fleet.names
    for h, r in res.items():
        assert r["changed"] is True, (h, r.get("msg"))
        assert r["recap"]["check"] is True and r["recap"]["would_change"] > 0
        assert "--check" in r["cmd"] and "--diff" in r["cmd"]
    # Nothing changed on any host, nor in moto.
    assert agent_users() == []
    assert iam().list_policies(Scope="Local")["Policies"] == []
    for h in fleet.names:
        assert not fleet.exists(h, "/etc/hydra/auth/.aws/credentials"), h
        assert not fleet.container_exists("auth-" + h), h
    # The doctor table has rows from all three hosts.
    assert sorted({r["host"] for r in doctor_rows(fleet)}) == fleet.names


def test_apply_changes_every_host_and_doctor_passes(fleet):
    run = fleet.agents()
    res = run.results(ROLLOUT)
    for h in fleet.names:
        assert res[h]["changed"] is True, (h, res[h].get("msg"))
        assert res[h]["rc"] == 0
        assert res[h]["checklist"]["Profile Name"] == "alation_auth"
        facts = res[h]["ansible_facts"]["runbook_rollout"]
        assert facts["recap"]["changed"] > 0
        assert fleet.exists(h, "/etc/hydra/auth/.aws/credentials"), h
        assert fleet.container_exists("auth-" + h), h
    assert agent_users() == sorted("alation-agent-" + h for h in fleet.names)
    rows = doctor_rows(fleet)
    assert sorted({r["host"] for r in rows}) == fleet.names
    failed = [r for r in rows if not r["passed"]]
    assert failed == [], failed


def test_rerun_reports_unchanged_from_the_recap(fleet):
    run = fleet.agents()
    res = run.results(ROLLOUT)
    for h in fleet.names:
        assert res[h]["changed"] is False, (h, res[h]["recap"])
        assert res[h]["recap"]["changed"] == 0 and res[h]["recap"]["would_change"] == 0
        assert run.stats[h]["changed"] == 0, run.stats[h]


def test_broken_host_fails_with_runbooks_message_others_complete(fleet):
    broken = fleet.names[-1]
    fleet.exec(broken, "groupdel", "alationdocker")
    # ansible-playbook exits 2 when a host failed.
    run = fleet.agents("--tags", "rollout,doctor", expect_rc=(2,))
    res = run.results(ROLLOUT)
    bad = res[broken]
    assert bad.get("failed") is True and bad["rc"] == 1
    assert bad["msg"].startswith("step 'Check prerequisites' failed: ")
    assert "group 'alationdocker' does not exist on this host" in bad["msg"]
    for h in fleet.names[:-1]:
        assert not res[h].get("failed"), (h, res[h].get("msg"))
        assert run.stats[h]["failures"] == 0
    assert run.stats[broken]["failures"] == 1
    # The others went on to the diagnosis (max_fail_percentage), the broken one did not.
    assert sorted(run.results(DOCTOR)) == fleet.names[:-1]
    assert sorted({r["host"] for r in doctor_rows(fleet)}) == fleet.names[:-1]


def test_secret_param_masked_in_vvv(fleet, tmp_path):
    play = tmp_path / "secret.yml"
    play.write_text(
        "- hosts: agents\n  gather_facts: false\n  tasks:\n"
        "    - name: hello with a secret\n"
        "      runbook.agent.playbook:\n"
        "        name: examples/hello\n"
        "        secret_params: {token: %s}\n"
        "      register: hello\n"
        "    - ansible.builtin.debug: {var: hello}\n" % SECRET)
    p = fleet.playbook(play, "-vvv", callback="default")
    out = p.stdout + p.stderr
    assert "hello with a secret" in out
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in out or "********" in out
    assert "the token is ********" in out
    assert SECRET not in out


def test_no_secret_in_any_output(fleet):
    secrets = [SECRET]
    for h in fleet.names:
        text = fleet.exec(h, "cat", "/etc/hydra/auth/.aws/credentials").stdout
        for line in text.splitlines():
            if line.strip().startswith("aws_secret_access_key"):
                secrets.append(line.split("=", 1)[1].strip())
    secrets = [s for s in secrets if len(s) >= 8]
    assert len(secrets) >= 1 + len(fleet.names)
    outputs = fleet.outputs + [fleet.report.read_text()]
    assert len(fleet.outputs) >= 7
    for s in secrets:
        for i, out in enumerate(outputs):
            assert s not in out, "a secret appears in output %d" % i


def test_example_inventory_and_playbook_parse(fleet):
    p = fleet.playbook(ANSIBLE / "examples" / "agents.yml", "--syntax-check", "-i",
                       str(ANSIBLE / "examples" / "inventory.yml"), callback="default")
    assert "playbook: " in p.stdout
