"""The study lock on PostgreSQL: exclusive across processes, freed when its holder is killed."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from l2gpu.search import make_storage
from l2gpu.search.pglock import AdvisoryLock, lock_key
from tools.postgres import free_port

HOLD = """
import sys, time
from l2gpu.search.pglock import AdvisoryLock
with AdvisoryLock(sys.argv[1], "study-a")():
    print("held", flush=True)
    time.sleep(600)
"""


def test_the_key_is_a_signed_64_bit_integer_fixed_by_the_name():
    keys = {lock_key(f"btcusdt-{k}") for k in range(1000)}
    assert len(keys) == 1000 and all(-(2**63) <= k < 2**63 for k in keys)
    assert lock_key("btcusdt-1") == lock_key("btcusdt-1")


def test_a_server_that_is_not_there_is_one_line_without_the_password():
    url = f"postgresql+psycopg://l2gpu:secret@127.0.0.1:{free_port()}/l2gpu"
    with pytest.raises(ValueError, match=r"^sweep\.storage: ") as caught:
        make_storage(url, Path("/nonexistent/study"))
    message = str(caught.value)
    assert "secret" not in message and "l2gpu:***@127.0.0.1" in message
    assert "\n" not in message


@pytest.mark.postgres
def test_the_lock_excludes_another_process_until_its_holder_is_killed(postgres_url):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, postgres_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        other = AdvisoryLock(postgres_url, "study-b")
        with other():  # another study's lock is free
            pass
        waiter = subprocess.Popen(
            [sys.executable, "-c", HOLD, postgres_url], stdout=subprocess.PIPE, text=True
        )
        try:
            assert waiter.stdout is not None
            ready, _, _ = select.select([waiter.stdout], [], [], 3.0)
            assert not ready and waiter.poll() is None, "the second process waits for the lock"
            holder.send_signal(signal.SIGKILL)
            holder.wait()
            assert waiter.stdout is not None and waiter.stdout.readline().strip() == "held", (
                "the killed holder's lock is freed"
            )
        finally:
            waiter.kill()
            waiter.wait()
    finally:
        holder.kill()
        holder.wait()
