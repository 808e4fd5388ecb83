"""``%%linkis --bg`` in the in-process shell: what it refuses, and how a background job that runs
out of time or is waited for behaves (the kernel tests cover the notebook's side)."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from linkis_magic.errors import JobTimeout
from tests.support import count, wait_for


def test_a_background_cell_with_a_timeout_is_killed_and_says_so_when_waited_for(ip, local_linkis, capsys):
    ip.run_cell_magic("linkis", "shell --bg --timeout 1 --progress text", "sleep 20")
    cell = ip.user_ns["_linkis_jobs"][ip.user_ns["_linkis_last"].task_id]
    other = ip.run_cell("import time\ntime.sleep(2)\n'still fine'")  # the time runs out meanwhile
    wait_for(lambda: cell.done, what="the background cell's end")
    after = ip.run_cell("'fine too'")
    assert (other.success, other.result, after.success, after.result) == (True, "still fine", True, "fine too")
    with pytest.raises(JobTimeout, match=r"did not finish in time; killed task \d+"):
        ip.run_line_magic("linkis", f"wait {cell.job.task_id}")
    assert cell.job.status.value == "Cancelled" and cell.done
    shown = capsys.readouterr().out  # a terminal prints each state of the status line, then the end
    assert f"Linkis task {cell.job.task_id} · Cancelled" in shown
    assert "JobTimeout: task" in shown


def test_background_and_to_are_refused_before_anything_is_sent(ip, local_linkis, tmp_path):
    before = count(local_linkis, "/entrance/submit")
    with pytest.raises(UsageError, match="--to cannot follow a background cell; %linkis download TASK PATH"):
        ip.run_cell_magic("linkis", f"hive --bg --to {tmp_path / 'out.csv'}", "select 1")
    assert count(local_linkis, "/entrance/submit") == before


def test_waiting_for_a_task_that_is_no_background_cell_is_one_line(ip):
    ip.run_cell_magic("linkis", "shell --quiet", "echo hi")
    task_id = ip.user_ns["_linkis_last"].task_id
    with pytest.raises(UsageError, match=f"task {task_id} is not a background cell of this kernel; "
                                         f"%linkis attach {task_id} follows any task"):
        ip.run_line_magic("linkis", f"wait {task_id}")
    with pytest.raises(UsageError, match=r"usage: %linkis wait TASK"):
        ip.run_line_magic("linkis", "wait soon")


def test_a_quiet_background_cell_still_delivers_its_result(ip):
    ip.run_cell_magic("linkis", "hive --bg --quiet -o answer", "select 42 as answer")
    frame = ip.run_line_magic("linkis", f"wait {ip.user_ns['_linkis_last'].task_id}")
    assert frame["answer"].tolist() == [42]
    assert ip.user_ns["answer"] is frame


def test_a_background_cell_without_a_live_view_says_its_task_once_and_wait_shows_its_text(ip, capsys):
    ip.run_cell_magic("linkis", "shell --bg --progress none", "sleep 1; echo bg-hello")
    task_id = ip.user_ns["_linkis_last"].task_id
    cell = ip.user_ns["_linkis_jobs"][task_id]
    wait_for(lambda: cell.done, what="the background cell's end")
    shown = capsys.readouterr().out  # a terminal prints each replacement of the line anew
    assert shown.count("runs in the background") == 1 and "· Running" not in shown, shown
    assert f"Linkis task {task_id} · Succeed" in shown and [text.strip() for text in cell.texts] == ["bg-hello"]
    assert ip.run_line_magic("linkis", f"wait {task_id}") is None  # no table: its text instead
    assert capsys.readouterr().out.strip() == "bg-hello"
