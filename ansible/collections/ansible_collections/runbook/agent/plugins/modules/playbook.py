#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: runbook contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: playbook
short_description: Run a runbook playbook on the target
description:
  - Runs C(runbook run PLAYBOOK --output json) on the target and reports its result.
  - V(changed) is true exactly when runbook's recap counts C(changed) or C(would_change) operations.
  - In check mode runbook runs with C(--check) and changes nothing; in diff mode with C(--diff).
  - Secret parameters never appear in the command line, they are written to files of mode 0600
    in a private temporary folder, passed as C(--set NAME=@FILE), and removed afterwards.
version_added: "0.1.0"
author:
  - runbook contributors (@runbook)
options:
  name:
    description: A bundled playbook, for example C(alation-agent/doctor).
    type: str
  path:
    description: A site playbook (a C(.rhai) file) on the target.
    type: path
  params:
    description:
      - Parameters, passed as C(--set NAME=VALUE). Lists become TOML arrays, booleans C(true)/C(false).
    type: dict
    default: {}
  secret_params:
    description:
      - Secret parameters, never on the command line or in Ansible's output.
    type: dict
    default: {}
  "yes":
    description: Consent to confirmations such as restarting the Agent (C(--yes)).
    type: bool
    default: false
  aws_profile:
    description: AWS profile for the IAM and STS calls (C(--aws-profile)).
    type: str
  aws_region:
    description: AWS region for the IAM and STS calls (C(--aws-region)).
    type: str
  lib:
    description: Folders of site modules for C(import) (C(--lib), in order).
    type: list
    elements: path
    default: []
  binary:
    description: The runbook executable; by default C(runbook) on the PATH or in C(/usr/local/bin).
    type: path
  facts_key:
    description:
      - When set, the recap and the checklist are also returned as RV(ansible_facts) under this key.
    type: str
  checklist_step:
    description: Title of the step whose C(  Label   value) lines form RV(checklist).
    type: str
    default: What to enter in Alation
attributes:
  check_mode:
    description: runbook runs with C(--check) and changes nothing; V(changed) says whether changes are pending.
    support: full
  diff_mode:
    description: runbook runs with C(--diff); each operation's unified diff, secrets masked, is the task's diff.
    support: full
notes:
  - Exit codes of runbook, 0 success, 1 a step failed, 2 usage or parameter error, 130 interrupted;
    V(failed) is set for every code but 0 and 3.
"""

EXAMPLES = r"""
- name: Roll out the Secrets Manager setup
  runbook.agent.playbook:
    name: alation-agent/secrets-manager-iam-user
    params:
      user_name: "alation-agent-{{ inventory_hostname }}"
      addon_archive: /root/auth-service-docker-image-5.14.0.1968.tar.gz
    yes: true
    facts_key: runbook_rollout

- name: Diagnose
  runbook.agent.playbook:
    name: alation-agent/doctor
  register: doctor
  failed_when: false
"""

RETURN = r"""
rc:
  description: runbook's exit code.
  returned: always
  type: int
recap:
  description: runbook's C(recap) event (counts of ok, changed, would_change, skipped, failed operations).
  returned: when runbook started the run
  type: dict
steps:
  description: Each step with its status, error, C(ops) and C(messages).
  returned: always
  type: list
  elements: dict
checks:
  description: The C(check) rows of a diagnosis playbook (name, passed, detail, fix).
  returned: always
  type: list
  elements: dict
checklist:
  description: The label and value lines of the step O(checklist_step), e.g. C(Profile Name).
  returned: always
  type: dict
error:
  description: runbook's C(error) event (message, location, hint).
  returned: when the run failed
  type: dict
stderr:
  description: runbook's diagnostics for people (secrets masked by runbook).
  returned: always
  type: str
ansible_facts:
  description: The recap and checklist under O(facts_key).
  returned: when O(facts_key) is set
  type: dict
"""

import json
import os
import re
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

# Exit codes of `runbook run` (runbook --help): 3 is only given with
# --check --detailed-exitcode, and means "changes pending", not a failure.
EXIT_MEANING = {
    0: "success",
    1: "a step failed",
    2: "usage, parse or parameter error: nothing was run",
    3: "changes are pending",
    130: "interrupted",
}

CHECKLIST_LINE = re.compile(r"^ {2}(\S(?:.*?\S)?) {2,}(\S.*)$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def param_text(value):
    """A parameter value as runbook's --set reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        # A TOML array of strings: JSON's string syntax is TOML's basic string.
        return json.dumps([str(v) for v in value])
    return str(value)


def check_names(params, secret_params):
    """Errors for parameter names runbook could not take (empty when all are fine)."""
    errors = []
    for n in list(params) + list(secret_params):
        if not NAME.match(n):
            errors.append("parameter name %r is not a runbook parameter name" % n)
    both = sorted(set(params) & set(secret_params))
    if both:
        errors.append("given both in params and secret_params: %s" % ", ".join(both))
    return errors


def write_secret_files(secret_params, folder):
    """Writes each secret to its own 0600 file in `folder`; returns {name: path}."""
    paths = {}
    for name, value in sorted(secret_params.items()):
        path = os.path.join(folder, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(param_text(value))
        paths[name] = path
    return paths


def build_command(binary, args, check, diff, secret_files):
    """The argv of `runbook run`; secrets appear only as @FILE references."""
    cmd = [binary, "run", args.get("name") or args["path"], "--output", "json", "--no-color"]
    for name, value in sorted((args.get("params") or {}).items()):
        cmd += ["--set", "%s=%s" % (name, param_text(value))]
    for name, path in sorted(secret_files.items()):
        cmd += ["--set", "%s=@%s" % (name, path)]
    for folder in args.get("lib") or []:
        cmd += ["--lib", folder]
    if args.get("aws_profile"):
        cmd += ["--aws-profile", args["aws_profile"]]
    if args.get("aws_region"):
        cmd += ["--aws-region", args["aws_region"]]
    if args.get("yes"):
        cmd.append("--yes")
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    return cmd


def parse_events(stdout):
    """runbook's JSON Lines: the events, skipping blank or non-JSON lines."""
    events = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict) and "event" in ev:
            events.append(ev)
    return events


def summarize(events, checklist_step="What to enter in Alation"):
    """Groups the events: recap, steps (with their ops and messages), checks, checklist, error."""
    out = {"recap": None, "steps": [], "checks": [], "checklist": {}, "error": None, "diffs": []}
    open_steps = {}
    stack = []
    for ev in events:
        kind = ev.get("event")
        if kind == "step_start":
            step = {"step": ev.get("step"), "title": ev.get("title"), "status": None,
                    "error": None, "duration_ms": None, "ops": [], "messages": []}
            open_steps[ev.get("step")] = step
            stack.append(step)
            out["steps"].append(step)
        elif kind == "step_end":
            step = open_steps.get(ev.get("step"))
            if step is not None:
                step.update(status=ev.get("status"), error=ev.get("error"),
                            duration_ms=ev.get("duration_ms"))
                if step in stack:
                    stack.remove(step)
        elif kind == "op":
            if stack:
                stack[-1]["ops"].append(ev)
            if ev.get("diff"):
                out["diffs"].append({"prepared": ev["diff"]})
        elif kind == "message":
            if stack:
                stack[-1]["messages"].append({"level": ev.get("level"), "text": ev.get("text")})
                if stack[-1]["title"] == checklist_step and ev.get("level") == "print":
                    m = CHECKLIST_LINE.match(ev.get("text") or "")
                    if m:
                        out["checklist"][m.group(1)] = m.group(2)
        elif kind == "check":
            out["checks"].append({k: ev.get(k) for k in ("name", "passed", "detail", "fix")})
        elif kind == "error":
            out["error"] = {k: ev.get(k) for k in ("message", "location", "hint")}
        elif kind == "recap":
            out["recap"] = {k: v for k, v in ev.items() if k not in ("event", "v")}
    return out


def is_changed(recap):
    """Changed exactly when the recap counts changed or would_change operations."""
    if not recap:
        return False
    return (recap.get("changed") or 0) + (recap.get("would_change") or 0) > 0


def is_failed(rc):
    return rc not in (0, 3)


def failure_message(rc, summary, stderr):
    """The failed step's title and error, else runbook's error event, else stderr's last line."""
    for step in summary["steps"]:
        if step["status"] == "failed":
            msg = "step '%s' failed: %s" % (step["title"], step["error"])
            hint = (summary["error"] or {}).get("hint")
            return msg + ("; hint: %s" % hint if hint else "")
    err = summary["error"]
    if err and err.get("message"):
        return err["message"] + ("; hint: %s" % err["hint"] if err.get("hint") else "")
    if summary["checks"] and any(not c["passed"] for c in summary["checks"]):
        failed = [c["name"] for c in summary["checks"] if not c["passed"]]
        return "checks failed: %s" % ", ".join(failed)
    lines = [ln for ln in (stderr or "").splitlines() if ln.strip()]
    meaning = EXIT_MEANING.get(rc, "unexpected exit code")
    return "runbook exited %d (%s)%s" % (rc, meaning, ": " + lines[-1] if lines else "")


def result_from(rc, stdout, stderr, checklist_step="What to enter in Alation", facts_key=None):
    """The module's result for runbook's exit code and output."""
    summary = summarize(parse_events(stdout), checklist_step)
    result = {
        "rc": rc,
        "changed": is_changed(summary["recap"]),
        "recap": summary["recap"],
        "steps": summary["steps"],
        "checks": summary["checks"],
        "checklist": summary["checklist"],
        "error": summary["error"],
        "stderr": stderr,
    }
    if summary["diffs"]:
        result["diff"] = summary["diffs"]
    if is_failed(rc):
        result["failed"] = True
        result["msg"] = failure_message(rc, summary, stderr)
    else:
        result["msg"] = "runbook: %s" % EXIT_MEANING[rc]
    if facts_key:
        result["ansible_facts"] = {facts_key: {"recap": summary["recap"], "checklist": summary["checklist"]}}
    return result


ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    path=dict(type="path"),
    params=dict(type="dict", default={}),
    secret_params=dict(type="dict", default={}, no_log=True),
    yes=dict(type="bool", default=False),
    aws_profile=dict(type="str"),
    aws_region=dict(type="str"),
    lib=dict(type="list", elements="path", default=[]),
    binary=dict(type="path"),
    facts_key=dict(type="str", no_log=False),
    checklist_step=dict(type="str", default="What to enter in Alation"),
)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[("name", "path")],
        required_one_of=[("name", "path")],
        supports_check_mode=True,
    )
    args = module.params
    errors = check_names(args["params"], args["secret_params"])
    if errors:
        module.fail_json(msg="; ".join(errors))
    binary = args["binary"] or module.get_bin_path("runbook", required=True, opt_dirs=["/usr/local/bin"])
    # Values of secret parameters are masked wherever Ansible prints the result.
    for value in args["secret_params"].values():
        module.no_log_values.add(param_text(value))

    folder = tempfile.mkdtemp(prefix="runbook-secrets-")  # mode 0700
    try:
        files = write_secret_files(args["secret_params"], folder)
        cmd = build_command(binary, args, module.check_mode, module._diff, files)
        rc, stdout, stderr = module.run_command(cmd, environ_update={"NO_COLOR": "1"})
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    result = result_from(rc, stdout, stderr, args["checklist_step"], args["facts_key"])
    result["cmd"] = cmd
    if result.get("failed"):
        msg = result.pop("msg")
        del result["failed"]
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
