"""Load: many jobs at once from several users, and many cells in one kernel.

The figures (wall time, jobs per second) are printed for the README's Reliability section (``pytest -s``);
timings are reported, never asserted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.local.server import LocalLinkis
from tests.support import Recorder, open_descriptors, our_threads, wait_for

USERS = {f"user{n}": {"password": f"load-pw-{n}", "token": f"load-token-{n}"} for n in range(5)}
JOBS = 50
LINES = 30


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    with LocalLinkis(data_dir=tmp_path_factory.mktemp("load"), users=USERS) as started:
        yield started


def one_job(gateway: LocalLinkis, number: int) -> tuple[str, int, list[str], object, str]:
    """Job ``number``: every user alternates SQL and shell; half log in with a password."""
    user = f"user{number % 5}"
    secret = {"password": USERS[user]["password"]} if number % 2 else {"token": USERS[user]["token"]}
    with LinkisClient(gateway.url, user=user, **secret) as client:
        listener = Recorder(progress=False)
        if number % 2:
            job = client.run(f"select {number} as n, '{user}' as u", engine="hive", listener=listener)
            value = job.results[0].to_pandas().to_dict("records")
        else:
            code = f"for k in $(seq 1 {LINES}); do echo {user}-{number}-$k; sleep 0.01; done"
            job = client.run(code, engine="shell", listener=listener)
            value = job.results[0].text()
        whole = [line for line in job.log_text().splitlines() if line.strip()]
        return user, job.task_id, listener.lines, value, "\n".join(whole)


def test_50_concurrent_jobs_from_5_users(gateway: LocalLinkis):
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        outcomes = list(pool.map(lambda n: one_job(gateway, n), range(JOBS)))
    seconds = time.monotonic() - started
    print(f"\nload: {JOBS} jobs from 5 users in {seconds:.1f} s ({JOBS / seconds:.1f} jobs/s), "
          f"{len(gateway.requests_since(1))} requests")
    assert len({task_id for _, task_id, *_ in outcomes}) == JOBS
    for number, (user, _task, streamed, value, whole) in enumerate(outcomes):
        assert streamed == whole.splitlines()  # every line once, in order
        if number % 2:
            assert value == [{"n": number, "u": user}]
        else:
            expected = [f"{user}-{number}-{k}" for k in range(1, LINES + 1)]
            assert value.split() == expected
            assert [line.rsplit(" ", 1)[-1] for line in streamed if f"{user}-{number}-" in line] == expected


@pytest.fixture
def shell(gateway: LocalLinkis, linkis_env, magic_shell) -> object:
    linkis_env(gateway.url, "user0", password=USERS["user0"]["password"])
    return magic_shell


@pytest.mark.parametrize("progress", ["none", "text"])
def test_fds_and_threads_do_not_grow_across_magic_runs(shell, progress: str):
    runs = 200 if progress == "none" else 50
    line = f"hive --progress {progress}"
    for n in range(10):  # warm up: connection pools, worker threads
        shell.run_cell_magic("linkis", line, f"select {n} as n")
    threads, (fds, sockets) = our_threads(), open_descriptors()
    started = time.monotonic()
    for n in range(runs):
        frame = shell.run_cell_magic("linkis", line, f"select {n} as n")
        assert frame["n"].tolist() == [n]
    seconds = time.monotonic() - started
    fds_after, sockets_after = open_descriptors()
    print(f"\nmagic: {runs} cells (--progress {progress}) in {seconds:.1f} s; threads {threads} -> "
          f"{our_threads()}, fds {fds} -> {fds_after}, sockets {sockets} -> {sockets_after}")
    assert our_threads() <= threads
    # The in-process gateway writes a job's log file 0.3 s after its end, as Linkis does, so the
    # last cells' files may still be open here: a leak is a count that does not come back.
    wait_for(lambda: all(after <= before for after, before in zip(open_descriptors(), (fds, sockets))), 5,
             what=f"descriptors back to {fds} ({sockets} sockets) from {fds_after} ({sockets_after})")
