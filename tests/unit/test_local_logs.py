"""Linkis log lines, the 4-string array and ``fromLine`` paging (§4.4)."""

from __future__ import annotations

from datetime import datetime

from linkis_magic.local.logs import TaskLog, format_line, level_index, page, read_log_file, to_array


def test_line_format():
    when = datetime(2024, 1, 2, 3, 4, 5, 678901)
    assert format_line("INFO", "hello", when) == "2024-01-02 03:04:05.678 INFO hello"


def test_classification_by_header():
    assert level_index("2024-01-02 03:04:05.678 ERROR boom") == 0
    assert level_index("2024-01-02 03:04:05 WARN careful") == 1
    assert level_index("2024-01-02 03:04:05.678 SYSTEM-ERROR x") == 0
    assert level_index('  File "x.py", line 1') == 2  # headerless: INFO


def test_array_order_and_blank_lines():
    lines = ["2024-01-02 03:04:05.678 ERROR e", "", "2024-01-02 03:04:05.678 WARN w", "raw",
             "2024-01-02 03:04:05.678 INFO i"]
    error, warn, info, everything = to_array(lines)
    assert (error, warn) == ("2024-01-02 03:04:05.678 ERROR e", "2024-01-02 03:04:05.678 WARN w")
    assert info == "raw\n2024-01-02 03:04:05.678 INFO i"
    assert everything.split("\n") == [line for line in lines if line]
    assert to_array(["a"], trailing_newline=True) == ["", "", "a\n", "a\n"]


def test_from_line_arithmetic():
    lines = [f"l{n}" for n in range(1, 11)]
    assert page(lines, 1, 3) == (["l1", "l2", "l3"], 4)
    assert page(lines, 4, 100) == (lines[3:], 11)
    assert page(lines, 11, 5) == ([], 11)
    assert page(lines, 0, 2) == (["l1", "l2"], 2)  # 0 reads from line 1 but answers 0 + 2
    assert page(lines, -5, 1) == (["l1"], 1)
    assert page(lines, 1, -1) == (lines, 11)  # negative size: up to 10000
    assert page(lines, 1, 0) == ([], 1)


def test_task_log_keeps_file_and_memory_in_step(tmp_path):
    log = TaskLog(tmp_path / "log" / "1.log")
    log.append("INFO", "one")
    log.append("ERROR", "two\n  at somewhere")
    assert len(log.lines()) == 3 and log.lines()[2] == "  at somewhere"
    assert (tmp_path / "log" / "1.log").read_text().splitlines() == log.lines()
    assert log.read(2, 1) == ([log.lines()[1]], 3)


def test_the_file_reads_back_the_lines_the_entrance_counts(tmp_path):
    # "\r" and form feeds are not line breaks for the entrance; openLog must agree (§4.4, §8.4).
    log = TaskLog(tmp_path / "1.log")
    log.append("INFO", "p1\rp2")
    log.append("INFO", "x\x0cy\n\nafter a blank line")
    assert read_log_file(tmp_path / "1.log") == log.lines()
    assert len(log.lines()) == 4
