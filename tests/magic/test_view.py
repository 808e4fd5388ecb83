"""The pieces of the view that do not need a job: log levels, summary, log tail, mode choice."""

from __future__ import annotations

from linkis_magic.view import JobSummary, LogTail, choose_mode, classify, format_seconds


def test_log_levels_come_from_the_linkis_header_and_carry_over_to_continuation_lines():
    lines = [
        "2024-01-01 10:00:00.000 INFO Your job is accepted",
        "2024-01-01 10:00:01.000 SYSTEM-WARN disk almost full",
        "2024-01-01 10:00:02.000 ERROR boom",
        "  at Foo.bar(Foo.java:1)",
        "2024-01-01 10:00:03 INFO done",
    ]
    assert [level for level, _ in classify(lines)] == ["INFO", "WARN", "ERROR", "ERROR", "INFO"]
    assert classify(["raw engine output"], "WARN") == [("WARN", "raw engine output")]


def test_seconds_read_well():
    assert (format_seconds(None), format_seconds(4.25), format_seconds(185)) == (
        "", "4.2 s", "3 min 05 s")


def test_summary_has_state_task_time_and_shape_in_text_and_html():
    summary = JobSummary(12, "Succeed", 3.04, 10, 3)
    assert repr(summary) == "Linkis task 12 · Succeed · 3.0 s · 10 rows × 3 columns"
    assert "<b style='color:#2e7d32'>Succeed</b>" in summary._repr_html_()
    assert repr(JobSummary(13, "Failed", 0.5)) == "Linkis task 13 · Failed · 0.5 s"


def test_log_tail_is_collapsed_html_with_a_text_fallback_and_a_pointer_to_the_whole_log():
    tail = LogTail([("INFO", "a <b>"), ("ERROR", "boom")], total=500, task_id=7)
    html = tail._repr_html_()
    assert html.startswith("<details class='linkis-log'><summary>")
    assert "a &lt;b&gt;" in html and "linkis-error" in html
    assert "%linkis log 7 for all" in tail.title()
    assert repr(tail).splitlines()[1:] == ["a <b>", "boom"]
    assert LogTail([("INFO", "x")], total=1, task_id=7).title() == "Log (1 line)"


def test_auto_mode_uses_widgets_only_in_a_kernel():
    assert choose_mode("auto", has_kernel=False) == "text"
    assert choose_mode("auto", has_kernel=True) == "widget"
    assert choose_mode("none", has_kernel=True) == "none"
