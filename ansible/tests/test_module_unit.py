"""Unit tests of the runbook.agent.playbook module's functions, and of main()
through ansible's own argument passing (a real runbook stand-in script, no mocks
of runbook's output format: the lines are the documented schema's)."""

import json
import os
import stat
import sys

import pytest

from conftest import COLLECTION, load_module

pb = load_module()

RECAP_CHANGED = {"changed": 2, "check": False, "checks_failed": 0, "checks_passed": 0,
                 "duration_ms": 5, "event": "recap", "failed": 0, "interrupted": False,
                 "ok": 3, "skipped": 0, "success": True, "v": 1, "would_change": 0}


def lines(*events):
    return "\n".join(json.dumps(e) for e in events) + "\n"


def step(n, title, status="ok", error=None):
    return [{"event": "step_start", "step": n, "title": title, "v": 1},
            {"event": "step_end", "step": n, "title": title, "status": status,
             "error": error, "duration_ms": 1, "v": 1}]


# ---------------------------------------------------------------- arguments

def test_command_has_params_flags_and_modes():
    args = {"name": "alation-agent/doctor", "path": None,
            "params": {"user_name": "a", "secret_arns": ["arn:1", "*"], "yes": True, "n": 3},
            "lib": ["/srv/site", "/srv/more"], "aws_profile": "admin", "aws_region": "eu-west-1",
            "yes": True}
    cmd = pb.build_command("/usr/bin/runbook", args, check=True, diff=True, secret_files={})
    assert cmd[:6] == ["/usr/bin/runbook", "run", "alation-agent/doctor", "--output", "json", "--no-color"]
    assert "--set" in cmd and "user_name=a" in cmd
    assert 'secret_arns=["arn:1", "*"]' in cmd
    assert "yes=true" in cmd and "n=3" in cmd
    assert cmd[cmd.index("--lib") + 1] == "/srv/site"
    assert cmd.count("--lib") == 2
    assert cmd[cmd.index("--aws-profile") + 1] == "admin"
    assert cmd[cmd.index("--aws-region") + 1] == "eu-west-1"
    assert cmd[-3:] == ["--yes", "--check", "--diff"]


def test_no_check_no_diff_without_the_modes():
    cmd = pb.build_command("runbook", {"path": "/srv/x.rhai"}, check=False, diff=False, secret_files={})
    assert cmd[2] == "/srv/x.rhai"
    assert "--check" not in cmd and "--diff" not in cmd and "--yes" not in cmd


def test_secrets_are_files_of_mode_0600_and_never_in_argv(tmp_path):
    files = pb.write_secret_files({"token": "s3cr3t-value-123", "pin": 4242}, str(tmp_path))
    for name, path in files.items():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name
    assert open(files["token"]).read() == "s3cr3t-value-123"
    assert open(files["pin"]).read() == "4242"
    cmd = pb.build_command("runbook", {"name": "examples/hello"}, False, False, files)
    assert "token=@%s" % files["token"] in cmd
    assert not any("s3cr3t" in a for a in cmd)


def test_bad_names_and_duplicates_are_refused():
    assert pb.check_names({"ok_name": 1}, {"token": "x"}) == []
    errors = pb.check_names({"bad-name": 1, "token": 2}, {"token": "x"})
    assert any("bad-name" in e for e in errors)
    assert any("both" in e and "token" in e for e in errors)


def test_param_text():
    assert pb.param_text(False) == "false"
    assert pb.param_text(["a", 'b"c']) == '["a", "b\\"c"]'
    assert pb.param_text("5m") == "5m"


# ---------------------------------------------------------------- JSON Lines

def test_parse_events_skips_noise():
    out = "warning: not json\n\n" + lines({"event": "run_start", "v": 1}) + "{broken\n" + "[1,2]\n"
    assert pb.parse_events(out) == [{"event": "run_start", "v": 1}]


def test_summarize_groups_ops_messages_checks_checklist():
    evs = [{"event": "run_start", "playbook": "p", "check": False, "v": 1},
           {"event": "step_start", "step": 1, "title": "IAM user u", "v": 1},
           {"event": "op", "module": "iam", "action": "ensure_user", "target": "u", "status": "changed",
            "changed": True, "summary": "create", "diff": "--- a\n+++ b\n", "v": 1},
           {"event": "step_end", "step": 1, "title": "IAM user u", "status": "changed", "error": None,
            "duration_ms": 3, "v": 1},
           {"event": "step_start", "step": 2, "title": "What to enter in Alation", "v": 1},
           {"event": "message", "level": "print", "text": "  Config Name          alation-agent-secrets-manager", "v": 1},
           {"event": "message", "level": "print", "text": "  Profile Name         alation_auth", "v": 1},
           {"event": "message", "level": "print", "text": "Save; Alation then tests the connection.", "v": 1},
           {"event": "step_end", "step": 2, "title": "What to enter in Alation", "status": "ok",
            "error": None, "duration_ms": 0, "v": 1},
           {"event": "check", "name": "group", "passed": True, "detail": "gid 999", "fix": None, "v": 1},
           dict(RECAP_CHANGED)]
    s = pb.summarize(evs)
    assert [st["status"] for st in s["steps"]] == ["changed", "ok"]
    assert s["steps"][0]["ops"][0]["action"] == "ensure_user"
    assert s["checklist"] == {"Config Name": "alation-agent-secrets-manager", "Profile Name": "alation_auth"}
    assert s["checks"] == [{"name": "group", "passed": True, "detail": "gid 999", "fix": None}]
    assert s["recap"]["changed"] == 2 and "event" not in s["recap"]
    assert s["diffs"] == [{"prepared": "--- a\n+++ b\n"}]


# ---------------------------------------------------------------- exit codes and changed

@pytest.mark.parametrize("rc,failed", [(0, False), (3, False), (1, True), (2, True), (130, True), (137, True)])
def test_exit_code_mapping(rc, failed):
    assert pb.is_failed(rc) is failed
    r = pb.result_from(rc, "", "some diagnostic\n")
    assert bool(r.get("failed")) is failed
    assert r["rc"] == rc


@pytest.mark.parametrize("changed,would,expect", [(0, 0, False), (1, 0, True), (0, 4, True)])
def test_changed_comes_from_the_recap(changed, would, expect):
    recap = dict(RECAP_CHANGED, changed=changed, would_change=would)
    assert pb.result_from(0, lines(recap), "")["changed"] is expect


def test_failure_message_is_the_failed_steps_title_and_error():
    out = lines(*step(1, "Check prerequisites", "failed", "group alationdocker does not exist [not_found]"),
                {"event": "error", "message": "group alationdocker does not exist [not_found]",
                 "hint": "is the Agent installed?", "location": None, "v": 1},
                dict(RECAP_CHANGED, changed=0, failed=1, success=False))
    r = pb.result_from(1, out, "")
    assert r["failed"] is True and r["changed"] is False
    assert r["msg"] == ("step 'Check prerequisites' failed: group alationdocker does not exist [not_found]; "
                        "hint: is the Agent installed?")


def test_usage_error_message_comes_from_stderr():
    r = pb.result_from(2, "", "error: unknown parameter 'nope'\n  hint: declared: who\n")
    assert r["failed"] and "runbook exited 2" in r["msg"] and "hint: declared: who" in r["msg"]


def test_failed_checks_name_the_rows():
    out = lines({"event": "check", "name": "credentials file", "passed": False, "detail": "missing",
                 "fix": "run the setup", "v": 1}, dict(RECAP_CHANGED, changed=0, checks_failed=1))
    r = pb.result_from(1, out, "")
    assert r["msg"] == "checks failed: credentials file"


def test_facts_under_one_key():
    r = pb.result_from(0, lines(dict(RECAP_CHANGED)), "", facts_key="rb")
    assert set(r["ansible_facts"]) == {"rb"}
    assert r["ansible_facts"]["rb"]["recap"]["changed"] == 2


# ---------------------------------------------------------------- main(), check and diff pass-through

def run_main(tmp_path, capsys, args, check=False, diff=False):
    """main() with ansible's module-argument passing; the binary is a stand-in that records argv
    and the secret file's mode and content, and prints a recap."""
    from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

    record = tmp_path / "argv.json"
    fake = tmp_path / "runbook"
    fake.write_text(
        "#!%s\nimport json, os, stat, sys\n"
        "files = {a.split('=@', 1)[0]: a.split('=@', 1)[1] for a in sys.argv if '=@' in a}\n"
        "seen = {k: [oct(stat.S_IMODE(os.stat(p).st_mode)), open(p).read()] for k, p in files.items()}\n"
        "json.dump({'argv': sys.argv, 'secrets': seen}, open(%r, 'w'))\n"
        "print(json.dumps(%s))\n" % (sys.executable, str(record), repr(RECAP_CHANGED)))
    fake.chmod(0o755)
    full = dict(args, binary=str(fake), _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(full):
        with pytest.raises(SystemExit):
            pb.main()
    result = json.loads(capsys.readouterr().out)
    return result, json.loads(record.read_text())


def test_main_passes_check_and_diff(tmp_path, capsys):
    result, seen = run_main(tmp_path, capsys, {"name": "examples/hello"}, check=True, diff=True)
    assert "--check" in seen["argv"] and "--diff" in seen["argv"]
    assert result["changed"] is True and result["rc"] == 0


def test_main_without_modes(tmp_path, capsys):
    result, seen = run_main(tmp_path, capsys, {"name": "examples/hello"})
    assert "--check" not in seen["argv"] and "--diff" not in seen["argv"]
    assert result["changed"] is True and result["recap"]["ok"] == 3


def test_main_secret_is_a_0600_file_removed_after(tmp_path, capsys):
    secret = "tok-9f8e7d6c5b4a"
    result, seen = run_main(tmp_path, capsys,
                            {"name": "examples/hello", "secret_params": {"token": secret}})
    assert seen["secrets"] == {"token": ["0o600", secret]}
    assert not any(secret in a for a in seen["argv"])
    path = [a for a in seen["argv"] if a.startswith("token=@")][0][len("token=@"):]
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))
    assert secret not in json.dumps(result)


def test_main_refuses_name_and_path(capsys):
    from ansible.module_utils.testing import patch_module_args

    with patch_module_args({"name": "a", "path": "/b"}):
        with pytest.raises(SystemExit):
            pb.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and "mutually exclusive" in result["msg"]


def test_collection_layout():
    for rel in ("galaxy.yml", "meta/runtime.yml", "plugins/modules/playbook.py", "roles/install/tasks/main.yml"):
        assert (COLLECTION / rel).is_file(), rel
