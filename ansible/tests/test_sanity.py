"""ansible-test sanity on the collection (scripts/ansible.sh sanity): --venv only,
since its test containers cannot be pulled here; its requirements come from PyPI."""

import shutil
import subprocess

from conftest import ROOT, need


def test_ansible_test_sanity():
    need(shutil.which("python3") is not None, "python3 is missing")
    p = subprocess.run([str(ROOT / "scripts" / "ansible.sh"), "sanity"], capture_output=True, text=True)
    tail = (p.stdout + p.stderr)[-8000:]
    assert p.returncode == 0, tail
    assert 'Running sanity test "validate-modules"' in p.stdout + p.stderr, tail
    assert "All targets skipped" not in p.stdout + p.stderr, tail
