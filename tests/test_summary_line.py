"""`make test` without PostgreSQL: its skips are one count in pytest's closing line, not a line each."""

import os
import re
import subprocess
import sys

from api.settings import PROJECT_ROOT


def test_the_postgresql_skips_are_counted_in_one_line() -> None:
    environment = {name: value for name, value in os.environ.items() if name != "TEST_DATABASE_URL"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider", "tests/test_wording.py"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout
    assert "SKIPPED" not in run.stdout, run.stdout
    closing = run.stdout.rstrip().splitlines()[-1]
    assert re.search(r"\d+ passed, 1 skipped on PostgreSQL \(TEST_DATABASE_URL is not set\)", closing), (
        closing
    )
