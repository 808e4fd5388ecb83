"""%%linkis in a real ipykernel driven through jupyter_client, as JupyterLab drives it."""

from __future__ import annotations

import json
import time

from linkis_magic.client import LinkisClient
from tests.support import kills, wait_for

TIMEOUT = 60


def running_shell_jobs(client: LinkisClient) -> list[dict]:
    tasks, _ = client.list_jobs(pageSize=50)
    return [t for t in tasks if t["status"] == "Running" and t.get("runType") == "shell"]


def reply_to(kc, msg_id: str) -> dict:
    while True:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


def iopub_until_idle(kc, msg_id: str) -> list[dict]:
    """Every iopub message of one request, up to its idle status."""
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages


def test_stop_button_kills_the_job_and_aborts_the_queued_cell(kernel, local_linkis, client):
    km, kc = kernel
    before = local_linkis.mark()
    busy = kc.execute("%%linkis shell\necho started; sleep 30", stop_on_error=True)
    queued = kc.execute("print('must not run')", stop_on_error=True)
    wait_for(lambda: running_shell_jobs(client), 30, what="the job to run")
    km.interrupt_kernel()
    first = reply_to(kc, busy)
    assert first["status"] == "error" and first["ename"] == "JobInterrupted"
    assert reply_to(kc, queued)["status"] == "aborted"
    queries = kills(local_linkis, before)
    assert len(queries) == 1
    assert client.job_info(int(queries[0]["taskID"]))["status"] == "Cancelled"


def test_kernel_shutdown_kills_a_running_job(kernel, local_linkis, client):
    km, kc = kernel
    before = local_linkis.mark()
    kc.execute("%%linkis shell\nsleep 30")
    wait_for(lambda: running_shell_jobs(client), 30, what="the job to run")
    task_id = running_shell_jobs(client)[0]["taskID"]
    km.shutdown_kernel()  # a graceful shutdown, as the Lab's "Shut Down Kernel" does
    assert {"taskID": str(task_id)} in kills(local_linkis, before)
    assert client.job_info(task_id)["status"] == "Cancelled"


LONG_LOG = ("%%linkis shell\n"
            "for i in $(seq 1 3000); do echo \"line $i\"; "
            "if [ $((i % 500)) = 0 ]; then sleep 0.4; fi; done")


def test_widget_updates_stream_while_the_cell_runs_and_stay_bounded(kernel):
    _, kc = kernel
    messages = iopub_until_idle(kc, kc.execute(LONG_LOG))
    kinds = [m["msg_type"] for m in messages]
    opened = [m for m in messages if m["msg_type"] == "comm_open"]
    assert opened and all(m["content"]["target_name"] == "jupyter.widget" for m in opened)
    panel = next(m for m in messages if m["msg_type"] == "display_data")
    assert panel["content"]["data"]["text/plain"] == "Linkis job (live panel)"
    summary_at = next(i for i, m in enumerate(messages) if m["msg_type"] == "display_data"
                      and m["content"]["data"]["text/plain"].startswith("Linkis task"))
    updates = [m for m in messages[:summary_at] if m["msg_type"] == "comm_msg"
               and m["content"]["data"].get("method") == "update"]
    values = [m["content"]["data"]["state"].get("value") for m in updates]
    log_values = [v[v.index("<pre"):] for v in values if isinstance(v, str) and "<pre" in v]
    assert len(log_values) >= 2, kinds  # the log reached the frontend in several polls
    assert max(v.count("\n") + 1 for v in log_values) == 200  # capped at the last 200 lines
    assert max(len(json.dumps(m["content"])) for m in updates) < 64_000
    assert "line 3000" in log_values[-1]
    assert kinds.count("comm_close") >= len(opened)  # the live panel is closed at the end


def test_the_panel_gives_way_when_the_job_ends_not_when_its_table_arrives(faulty_kernel, faults):
    _, kc = faulty_kernel
    faults.delay(r"/filesystem/openFile$", 1.5, times=None)  # the result pages are slow
    messages = iopub_until_idle(kc, kc.execute("%%linkis hive\nselect 1 as n"))
    blanked = next(m for m in messages if m["msg_type"] == "update_display_data"
                   and m["content"]["data"] == {"text/plain": ""})
    summary = next(m for m in messages if m["msg_type"] == "display_data"
                   and m["content"]["data"]["text/plain"].startswith("Linkis task"))
    table = next(m for m in messages if m["msg_type"] == "execute_result")
    assert "n" in table["content"]["data"]["text/plain"]
    # Blanked (and its models closed) once history confirmed the end, while the page was read.
    assert (summary["header"]["date"] - blanked["header"]["date"]).total_seconds() >= 1.0


def test_a_download_shows_its_progress_then_what_it_wrote(kernel, tmp_path):
    _, kc = kernel
    reply = kc.execute_interactive("%%linkis hive --quiet\nselect range as n, 'x' || range as s from range(60000)",
                                   timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok"
    target = tmp_path / "out.parquet"
    msg_id = kc.execute(f"%linkis download {{_linkis_last.task_id}} {target}")
    messages = iopub_until_idle(kc, msg_id)
    shown = [(m["msg_type"], m["content"].get("data", {}).get("text/plain", "")) for m in messages
             if m["msg_type"] in ("display_data", "update_display_data")]
    assert shown[0][0] == "display_data" and shown[0][1].startswith(f"writing {target}: ")
    assert shown[-1] == ("update_display_data", f"wrote {target} (60,000 rows, {target.stat().st_size:,} bytes)")


def test_attach_after_a_kernel_restart_shows_the_earlier_log_once_then_the_rest_live(kernel, client):
    km, kc = kernel
    job = client.submit({"executionContent": {"runType": "shell", "code": (
        "for i in 1 2 3; do echo early-$i; done; sleep 4; for i in 1 2 3; do echo late-$i; done")},
        "labels": {"engineType": "shell-1", "userCreator": f"{client.user}-LINKISMAGIC"}})
    wait_for(lambda: "early-3" in client.log(job["execID"])["log"][3], 30, what="the early lines")
    km.restart_kernel(now=True)
    kc.wait_for_ready(timeout=TIMEOUT)
    assert kc.execute_interactive("%load_ext linkis_magic\n%config LinkisMagics.progress = 'text'",
                                  timeout=TIMEOUT)["content"]["status"] == "ok"
    shown: list[tuple[float, str]] = []

    def keep(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            shown.append((time.monotonic(), msg["content"]["text"]))

    reply = kc.execute_interactive(f"%linkis attach {job['taskID']}", timeout=TIMEOUT, output_hook=keep)
    assert reply["content"]["status"] == "ok"
    arrivals = [(at, line.rsplit(" ", 1)[-1]) for at, text in shown for line in text.splitlines()
                if " INFO early-" in line or " INFO late-" in line]
    assert [name for _, name in arrivals] == [f"early-{i}" for i in (1, 2, 3)] + [f"late-{i}" for i in (1, 2, 3)]
    # Live: the later lines came as the job wrote them, well after the earlier ones were shown.
    assert arrivals[3][0] - arrivals[2][0] >= 0.5, arrivals
    text = "".join(text for _, text in shown)
    assert text.startswith(f"[linkis] task {job['taskID']} attached\n") and "submitted" not in text
    assert f"[linkis] task {job['taskID']} Succeed" in text


def test_attach_to_an_unknown_task_is_one_line(kernel, local_linkis):
    _, kc = kernel
    with LinkisClient(local_linkis.url, user="bob", token=local_linkis.credentials("bob")[1]) as bob:
        bobs = bob.run("echo mine", engine="shell").task_id
    for task in (987654321, bobs):  # nobody's, someone else's
        shown: list[dict] = []
        reply = kc.execute_interactive(f"%linkis attach {task}", timeout=TIMEOUT, output_hook=shown.append)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "UsageError"
        evalue = reply["content"]["evalue"]
        assert evalue.startswith(f"cannot attach to task {task}: The corresponding job was not found"), evalue
        output = [msg["content"] for msg in shown if msg["msg_type"] in ("stream", "display_data", "error")]
        assert output == [{"name": "stderr", "text": f"UsageError: {evalue}\n"}] and "\n" not in evalue
