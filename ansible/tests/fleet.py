"""Three Agent-host sandboxes as an Ansible inventory, moto shared on loopback.

Each sandbox (scripts/sandbox.sh up) names its add-on container auth-<host>
(SANDBOX_AUTH_CONTAINER), so the three share the machine's one Docker daemon."""

import json
import os
import subprocess
import urllib.request

from conftest import ANSIBLE, COLLECTIONS, ROOT

VENV = ROOT / ".build" / "ansible-venv"
ADDON = ROOT / ".build" / "addon" / "auth-service-docker-image-5.14.0.1968.tar.gz"
AWS_KEYS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
            "AWS_DEFAULT_REGION", "AWS_EC2_METADATA_DISABLED", "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE")


def sh(*cmd, check=True, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s\n%s" % (" ".join(map(str, cmd)), p.returncode, p.stdout, p.stderr))
    return p


def moto_reset():
    req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + "/moto-api/reset", method="POST")
    urllib.request.urlopen(req).read()


def image_exists(name):
    return sh("docker", "image", "inspect", name, check=False).returncode == 0


class Fleet:
    def __init__(self, names, binary, tmp):
        self.names = names
        self.binary = binary
        self.tmp = tmp
        self.outputs = []  # every ansible output, for the secret scan
        self.inventory = tmp / "inventory.json"
        self.report = tmp / "doctor.json"

    # ------------------------------------------------------------ lifecycle

    def up(self):
        self.had_auth_image = image_exists("auth")
        for n in self.names:
            env = dict(os.environ, SANDBOX_IMAGE=os.environ["RUNBOOK_ANSIBLE_IMAGE"],
                       SANDBOX_AUTH_CONTAINER="auth-" + n)
            sh(str(ROOT / "scripts" / "sandbox.sh"), "up", n, env=env)
        self.write_inventory()

    def down(self):
        for n in self.names:
            sh(str(ROOT / "scripts" / "sandbox.sh"), "down", n, check=False)
        if not self.had_auth_image:
            # Other tests install the add-on from the archive: leave no loaded image behind.
            sh("docker", "rmi", "auth", check=False)

    def write_inventory(self):
        hosts = {n: {"agent_user_name": "alation-agent-" + n,
                     "runbook_params": {"container": "auth-" + n, "region": "us-east-1"}}
                 for n in self.names}
        group_vars = {
            "ansible_connection": "community.docker.docker",
            "ansible_python_interpreter": "/usr/bin/python3",
            "runbook_binary": str(self.binary),
            "runbook_install_remote_src": True,  # the repo is mounted at the same path
            "addon_archive": str(ADDON),
            "addon_archive_remote_src": True,
            "runbook_become": False,  # docker exec is root already
            "runbook_environment": {k: os.environ[k] for k in AWS_KEYS if k in os.environ},
        }
        inv = {"all": {"children": {"agents": {"hosts": hosts, "vars": group_vars}}}}
        self.inventory.write_text(json.dumps(inv, indent=1))

    # ------------------------------------------------------------ running ansible

    def env(self, callback):
        env = dict(os.environ)
        env.update(ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_RETRY_FILES_ENABLED="False",
                   ANSIBLE_LOCAL_TEMP=str(self.tmp / "ansible-local"),
                   ANSIBLE_STDOUT_CALLBACK=callback, ANSIBLE_DEPRECATION_WARNINGS="False")
        env.pop("ANSIBLE_CONFIG", None)
        return env

    def playbook(self, playbook, *args, callback="ansible.posix.json", expect_rc=(0,)):
        cmd = [str(VENV / "bin" / "ansible-playbook"), "-i", str(self.inventory), str(playbook), *args]
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.env(callback), cwd=str(ANSIBLE))
        self.outputs.append(p.stdout + p.stderr)
        assert p.returncode in expect_rc, "ansible-playbook %s: exit %d\n%s\n%s" % (
            " ".join(args), p.returncode, p.stdout[-20000:], p.stderr[-5000:])
        return Run(p) if callback.endswith("json") else p

    def agents(self, *args, expect_rc=(0,)):
        # doctor_report is read on localhost: an extra var, not an agents' group var.
        return self.playbook(ANSIBLE / "examples" / "agents.yml", "-e", "doctor_report=%s" % self.report,
                             *args, expect_rc=expect_rc)

    # ------------------------------------------------------------ looking at the hosts

    def exec(self, host, *cmd, check=True):
        return sh("docker", "exec", host, *cmd, check=check)

    def exists(self, host, path):
        return self.exec(host, "test", "-e", path, check=False).returncode == 0

    def container_exists(self, name):
        return sh("docker", "container", "inspect", name, check=False).returncode == 0


class Run:
    """The output of the ansible.posix.json callback."""

    def __init__(self, proc):
        self.proc = proc
        text = proc.stdout
        self.data = json.loads(text[text.index("{"):])

    @property
    def stats(self):
        return self.data["stats"]

    def results(self, task_name):
        """{host: result} of every task whose name holds task_name, across plays and serial batches."""
        out = {}
        for play in self.data["plays"]:
            for task in play["tasks"]:
                if task_name in task["task"]["name"]:
                    out.update(task["hosts"])
        return out
