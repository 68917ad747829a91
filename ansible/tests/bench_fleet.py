"""Benchmark (scripts/ansible.sh bench [N]): the rollout of agents.yml over N
Agent-host sandboxes (default 10), all at once with forks=N against one host
after another (forks=1), each from a fresh fleet and a reset moto. Prints the
wall times; asserts nothing about them."""

import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
os.environ.setdefault("CI", "false")

from conftest import ROOT  # noqa: E402
from fleet import Fleet, moto_reset  # noqa: E402


def rollout(n, forks):
    names = ["rb-bench-%d-%d" % (os.getpid(), i) for i in range(1, n + 1)]
    f = Fleet(names, ROOT / "target" / "debug" / "runbook", pathlib.Path(tempfile.mkdtemp()))
    try:
        moto_reset()
        t0 = time.monotonic()
        f.up()
        up = time.monotonic() - t0
        f.agents("--tags", "install", "--forks", str(n))
        t0 = time.monotonic()
        run = f.agents("--tags", "rollout", "--forks", str(forks), "-e", '{"rollout_serial": %d}' % n)
        wall = time.monotonic() - t0
        changed = sum(1 for r in run.results("Run alation-agent/secrets-manager-iam-user").values() if r["changed"])
        assert changed == n, "%d of %d hosts changed" % (changed, n)
        return up, wall
    finally:
        f.down()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    up, par = rollout(n, n)
    _, seq = rollout(n, 1)
    print("hosts=%d sandbox_up=%.1fs rollout_forks_%d=%.1fs rollout_forks_1=%.1fs speedup=%.1fx"
          % (n, up, n, par, seq, seq / par))


if __name__ == "__main__":
    main()
