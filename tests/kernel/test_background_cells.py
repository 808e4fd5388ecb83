"""Background cells (``%%linkis --bg``) in a real ipykernel driven through jupyter_client: the
notebook stays usable while the job runs, the panel keeps moving while the kernel is idle, and
how the job ended reaches its own cell only."""

from __future__ import annotations

import json
import queue
import time

from linkis_magic.client import LinkisClient
from tests.kernel.test_kernel import TIMEOUT, iopub_until_idle, reply_to
from tests.support import kills, wait_for

#: A shell job that writes a line every 0.3 s for about 4 s.
TICKING = "%%linkis shell --bg\nfor i in $(seq 1 12); do echo tick-$i; sleep 0.3; done; echo done"
#: A Python job that returns a table after 8 s: long enough to outlast three cells on a busy machine.
TABLE = ("%%linkis python --bg -o trips\nimport time\nimport pandas as pd\ntime.sleep(8)\n"
         "show(pd.DataFrame({'city': ['Lisbon', 'Porto'], 'trips': [3, 2]}))")


UNFINISHED = ("Inited", "Scheduled", "Running")


def run(kc, code: str) -> dict:
    """Execute ``code`` and return its reply's content (its output is not kept)."""
    return kc.execute_interactive(code, timeout=TIMEOUT)["content"]


def value_of(kc, expression: str):
    """The JSON value of ``expression`` in the kernel."""
    shown: list[str] = []

    def keep(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            shown.append(msg["content"]["text"])

    reply = kc.execute_interactive(f"import json as _j; print(_j.dumps({expression}))", timeout=TIMEOUT,
                                   output_hook=keep)
    assert reply["content"]["status"] == "ok", reply["content"]
    return json.loads("".join(shown))


def newest_task(client: LinkisClient) -> dict:
    return client.list_jobs(pageSize=1)[0][0]


def test_a_background_job_runs_on_while_three_other_cells_execute_and_return(kernel, client):
    _, kc = kernel
    assert run(kc, TABLE)["status"] == "ok"
    task_id = newest_task(client)["taskID"]
    assert client.job_info(task_id)["status"] in UNFINISHED  # the cell returned at once
    assert run(kc, "x = sum(range(10))")["status"] == "ok"
    assert run(kc, "%%linkis shell --quiet\necho foreground")["status"] == "ok"
    assert value_of(kc, "_linkis_last.task_id") != task_id  # the foreground cell ran its own job
    assert run(kc, "running = %linkis jobs --running")["status"] == "ok"
    assert value_of(kc, "running['taskID'].tolist()") == [task_id]  # three cells ran while it did
    assert client.job_info(task_id)["status"] in UNFINISHED
    assert run(kc, f"%linkis wait {task_id}")["status"] == "ok"
    assert client.job_info(task_id)["status"] == "Succeed"
    assert value_of(kc, "trips.to_dict('list')") == {"city": ["Lisbon", "Porto"], "trips": [3, 2]}
    assert value_of(kc, f"repr(_linkis_jobs[{task_id}])") == f"<Linkis task {task_id}: Succeed>"
    assert run(kc, "running = %linkis jobs --running")["status"] == "ok"
    assert value_of(kc, "running['taskID'].tolist()") == []


def test_the_panel_keeps_moving_while_the_kernel_is_idle_and_ends_in_place(kernel, client):
    _, kc = kernel
    cell = kc.execute(TICKING)
    before_idle = iopub_until_idle(kc, cell)
    panel = next(m for m in before_idle if m["msg_type"] == "display_data")
    display_id = panel["content"]["transient"]["display_id"]
    task_id = newest_task(client)["taskID"]
    # Nothing else is sent to the kernel now: whatever arrives comes from the background thread.
    log_updates, ended = [], None
    deadline = time.monotonic() + 30
    while ended is None and time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["msg_type"] == "comm_msg":
            value = msg["content"]["data"].get("state", {}).get("value")
            if isinstance(value, str) and "tick-" in value:
                log_updates.append(value)
        elif msg["msg_type"] == "update_display_data":
            ended = msg
    assert len(log_updates) >= 3, log_updates  # several polls' lines reached the idle kernel's panel
    assert "tick-12" in log_updates[-1]
    assert ended is not None
    assert ended["content"]["transient"]["display_id"] == display_id  # the panel itself is replaced
    assert ended["parent_header"]["msg_id"] == cell  # under the cell that started the job
    text = ended["content"]["data"]["text/plain"]
    assert text.startswith(f"Linkis task {task_id} · Succeed")
    assert "tick-12" in text and text.rstrip().endswith("done")  # the log tail, then the text result


def test_a_failing_background_job_leaves_other_cells_alone(kernel, client):
    _, kc = kernel
    cell = kc.execute("%%linkis shell --bg\necho about to fail; sleep 1; exit 3")
    assert reply_to(kc, cell)["status"] == "ok"
    task_id = newest_task(client)["taskID"]
    # This cell runs until the background job has failed: it must not show or raise anything of it.
    other = kc.execute("import time\nprint('other cell', flush=True)\n"
                       f"while _linkis_jobs[{task_id}].error is None:\n    time.sleep(0.1)\ntime.sleep(1.0)")
    messages, ended = [], None
    while not (messages and messages[-1]["msg_type"] == "status"
               and messages[-1]["content"]["execution_state"] == "idle"):
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["msg_type"] == "update_display_data":
            ended = msg
        elif msg["parent_header"].get("msg_id") == other:
            messages.append(msg)
    assert reply_to(kc, other)["status"] == "ok"
    shown = [m for m in messages if m["msg_type"] in ("stream", "display_data", "error", "execute_result")]
    assert [(m["msg_type"], m["content"].get("text")) for m in shown] == [("stream", "other cell\n")]
    assert ended is not None and ended["parent_header"]["msg_id"] == cell  # its end went to its own cell
    assert ended["content"]["data"]["text/plain"].startswith(f"Linkis task {task_id} · Failed")
    assert client.job_info(task_id)["status"] == "Failed"
    assert value_of(kc, f"type(_linkis_jobs[{task_id}].error).__name__") == "JobFailed"
    waited = run(kc, f"%linkis wait {task_id}")  # the failure is raised where it is asked for
    assert waited["status"] == "error" and waited["ename"] == "JobFailed"
    assert waited["evalue"].startswith(f"task {task_id} ended Failed")


def test_the_stop_button_leaves_a_background_job_running(kernel, local_linkis, client):
    km, kc = kernel
    before = local_linkis.mark()
    assert run(kc, "%%linkis shell --bg\nsleep 60")["status"] == "ok"
    task_id = newest_task(client)["taskID"]
    busy = kc.execute("import time\nprint('busy', flush=True)\ntime.sleep(20)")
    while True:  # the busy cell has started once its line arrives
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["msg_type"] == "stream" and msg["parent_header"].get("msg_id") == busy:
            break
    km.interrupt_kernel()
    assert reply_to(kc, busy)["ename"] == "KeyboardInterrupt"
    assert client.job_info(task_id)["status"] in UNFINISHED
    assert kills(local_linkis, before) == []
    assert run(kc, "running = %linkis jobs --running")["status"] == "ok"
    assert value_of(kc, "running['taskID'].tolist()") == [task_id]  # still followed, not only still running
    assert run(kc, f"%linkis kill {task_id}")["status"] == "ok"


def test_linkis_kill_stops_a_background_job(kernel, client):
    _, kc = kernel
    assert run(kc, "%%linkis shell --bg\nsleep 30")["status"] == "ok"
    task_id = newest_task(client)["taskID"]
    wait_for(lambda: client.job_info(task_id)["status"] == "Running", 30, what="the job to run")
    assert run(kc, f"%linkis kill {task_id}")["status"] == "ok"
    assert run(kc, f"%linkis wait {task_id}")["ename"] == "JobFailed"
    assert client.job_info(task_id)["status"] == "Cancelled"


def test_kernel_shutdown_kills_each_running_background_job_once(kernel, local_linkis, client):
    km, kc = kernel
    before = local_linkis.mark()
    for _ in range(2):
        assert run(kc, "%%linkis shell --bg\nsleep 30")["status"] == "ok"
    tasks = [t["taskID"] for t in client.list_jobs(pageSize=2)[0]]
    wait_for(lambda: all(client.job_info(t)["status"] == "Running" for t in tasks), 30, what="both jobs to run")
    km.shutdown_kernel()  # graceful, as the Lab's "Shut Down Kernel"
    sent = sorted(int(query["taskID"]) for query in kills(local_linkis, before))
    assert sent == sorted(tasks)  # one kill each
    assert {client.job_info(t)["status"] for t in tasks} == {"Cancelled"}


def test_kill_on_exit_false_leaves_background_jobs_running(kernel, local_linkis, client):
    km, kc = kernel
    before = local_linkis.mark()
    assert run(kc, "%config LinkisMagics.kill_on_exit = False")["status"] == "ok"
    assert run(kc, "%%linkis shell --bg\nsleep 30")["status"] == "ok"
    task_id = newest_task(client)["taskID"]
    wait_for(lambda: client.job_info(task_id)["status"] == "Running", 30, what="the job to run")
    km.shutdown_kernel()
    try:
        assert kills(local_linkis, before) == []
        assert client.job_info(task_id)["status"] == "Running"  # for %linkis attach from the next kernel
    finally:
        client.kill(client.job_info(task_id)["strongerExecId"], task_id)
