"""A ``cityops worker`` whose directives notification step blocks forever, so a test can kill it mid-task.

Run as ``python -m tests.faults.blocking_worker <marker file>``: when the task reaches the notification
(inside its transaction, after the claim and the audit record), the marker file is written and the process
waits to be killed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> None:
    marker = Path(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityops.settings")
    import django

    django.setup()
    from cityops.directives import tasks

    def blocked(*args: object, **kwargs: object) -> None:
        marker.write_text(str(os.getpid()), encoding="utf-8")
        while True:
            time.sleep(1)

    tasks._notify = blocked  # type: ignore[assignment]
    from django.core.management import call_command

    call_command("worker", "--interval", "0.1")


if __name__ == "__main__":
    main()
