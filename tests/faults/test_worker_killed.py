"""A worker killed in the middle of a task: the next worker queues the task again, it runs again, and its
effect (the reminder, its audit record and the notifications) happens exactly once.

Real ``cityops worker`` processes with the database task backend, on a SQLite file of their own.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.faults.servers import PROJECT, app_env, run_python

SETUP = r"""
import datetime as dt, json
from django.utils import timezone
from cityops.core.choices import Role
from cityops.core.models import Membership, Organization, User
from cityops.directives import services
from cityops.directives.services import TaskSpec
from cityops.directives.tasks import remind_task
province = Organization.objects.create(name="Tỉnh Thử", code="tinh-thu", kind="province")
agency = Organization.objects.create(name="Sở Thử", code="so-thu", kind="department", parent=province)
leader = User.objects.create_user(username="leader", email="leader@example.org")
Membership.objects.create(user=leader, organization=province, role=Role.LEADER)
head = User.objects.create_user(username="head", email="head@example.org")
Membership.objects.create(user=head, organization=agency, role=Role.AGENCY_HEAD)
directive = services.directive_issue(actor=leader, organization=province, title="Chỉ đạo", content="Nội dung",
    source_kind="meeting", tasks=[TaskSpec(title="Sửa đèn", lead_agency=agency,
    deadline=timezone.localdate() + dt.timedelta(days=1))])
task = directive.tasks.get()
result = remind_task.enqueue(task.pk)
print(json.dumps({"task": task.pk, "result": str(result.id)}))
"""

VERIFY = r"""
import json
from django_tasks_db.models import DBTaskResult
from cityops.core.models import AuditEvent, Notification
from cityops.directives.models import TaskReminder
result = DBTaskResult.objects.filter(task_path__endswith=".remind_task").order_by("enqueued_at").first()
print(json.dumps({
    "status": result.status, "workers": len(result.worker_ids), "return": result.return_value,
    "reminders": TaskReminder.objects.count(),
    "remaining_running": DBTaskResult.objects.filter(status="RUNNING").count(),
    "audits": AuditEvent.objects.filter(verb="directives.task.reminded").count(),
    "notifications": Notification.objects.filter(title__startswith="Due soon").count()
        + Notification.objects.filter(title__startswith="Sắp đến hạn").count(),
}))
"""


@pytest.fixture(scope="module")
def env():
    var = Path(tempfile.mkdtemp(prefix="cityops-fault-worker-"))
    environment = app_env(f"sqlite:///{var / 'db.sqlite3'}", var, TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    run_python("from django.core.management import call_command\ncall_command('migrate', verbosity=0)\n", environment)
    return environment, var


def test_killed_worker_task_runs_again_with_its_effect_once(env):
    environment, var = env
    facts = json.loads(run_python(SETUP, environment).strip().splitlines()[-1])
    marker = var / "blocked"
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.blocking_worker", str(marker)], cwd=PROJECT, env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert marker.exists(), "the worker never reached the middle of the task"
        worker.send_signal(signal.SIGKILL)  # no clean-up, no rollback message: the process is gone
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    state = json.loads(run_python(VERIFY, environment).strip().splitlines()[-1])
    assert state["status"] == "RUNNING" and state["reminders"] == 0  # abandoned, and its transaction undone

    subprocess.run(
        [sys.executable, "-m", "cityops.cli", "worker", "--batch", "--interval", "0"], cwd=PROJECT, env=environment,
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    state = json.loads(run_python(VERIFY, environment).strip().splitlines()[-1])
    assert state["status"] == "SUCCESSFUL", state
    assert state["workers"] == 2  # the killed worker, then the one that finished it
    assert state["remaining_running"] == 0
    assert state["return"] is True
    assert state["reminders"] == 1 and state["audits"] == 1
    assert state["notifications"] >= 1
    notifications = state["notifications"]

    # Running the same task again (a duplicate delivery) changes nothing.
    run_python(f"from cityops.directives.tasks import remind_task\nremind_task.enqueue({facts['task']})\n", environment)
    subprocess.run(
        [sys.executable, "-m", "cityops.cli", "worker", "--batch", "--interval", "0"], cwd=PROJECT, env=environment,
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    again = json.loads(run_python(VERIFY, environment).strip().splitlines()[-1])
    assert again["reminders"] == 1 and again["audits"] == 1 and again["notifications"] == notifications


def test_a_live_worker_task_is_not_taken_away(env):
    """Recovery never steals a task from a worker that is still running (its process exists)."""
    environment, _var = env
    out = run_python(
        "import os, json\n"
        "from django_tasks_db.models import DBTaskResult\n"
        "from django.utils import timezone\n"
        "from cityops.core.management.commands.worker import requeue_abandoned_tasks, worker_id\n"
        "r = DBTaskResult.objects.create(status='RUNNING', args_kwargs={'args': [], 'kwargs': {}},\n"
        "    task_path='cityops.directives.tasks.remind_task', backend_name='default', run_after=timezone.now(),\n"
        "    started_at=timezone.now(), worker_ids=[worker_id().replace(str(os.getpid()), str(os.getppid()))])\n"
        "print(json.dumps({'requeued': requeue_abandoned_tasks()}))\n",
        environment,
    )
    assert json.loads(out.strip().splitlines()[-1]) == {"requeued": 0}
