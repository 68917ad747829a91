"""Shared helpers of the collection's tests (run by scripts/ansible.sh test)."""

import importlib.util
import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(os.environ.get("RUNBOOK_ROOT") or pathlib.Path(__file__).resolve().parents[2])
ANSIBLE = ROOT / "ansible"
COLLECTIONS = ANSIBLE / "collections"
COLLECTION = COLLECTIONS / "ansible_collections" / "runbook" / "agent"
MODULE = COLLECTION / "plugins" / "modules" / "playbook.py"


def load_module():
    spec = importlib.util.spec_from_file_location("runbook_playbook_module", MODULE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(ok, why):
    """The gate: a missing service skips, or fails under CI=true."""
    if ok:
        return
    if ci():
        pytest.fail("CI=true and %s" % why)
    pytest.skip(why)


def need_services():
    need(shutil.which("docker") is not None, "docker is not installed (scripts/sandbox.sh deps)")
    need(bool(os.environ.get("AWS_ENDPOINT_URL")), "AWS_ENDPOINT_URL is not set: start moto (scripts/moto.sh start)")
    need(bool(os.environ.get("RUNBOOK_ANSIBLE_IMAGE")), "RUNBOOK_ANSIBLE_IMAGE is not set: run through scripts/ansible.sh test")
    binary = ROOT / "target" / "debug" / "runbook"
    need(binary.is_file(), "%s is missing: cargo build" % binary)
    return binary
