"""Linkis log lines, the 4-string array and ``fromLine`` paging (§4.4)."""

from __future__ import annotations

from datetime import datetime

from linkis_magic.local.logs import TaskLog, format_line, level_index, openlog_array, page, read_log_file, to_array


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


def test_open_log_classifies_as_the_filesystem_service_does():
    # Headerless lines go to the level of the last header (a traceback after ERROR is ERROR);
    # before any header to ALL only; a header needs exactly 3 millisecond digits (§8.4).
    lines = ["preamble", "2024-01-02 03:04:05.678 ERROR boom", "Traceback (most recent call last):",
             "2024-01-02 03:04:05 WARN no millis", "2024-01-02 03:04:05.678 INFO fine", "  more"]
    error, warn, info, everything = openlog_array(lines)
    assert error == "".join(f"{line}\n" for line in lines[1:4])
    assert (warn, info) == ("", "2024-01-02 03:04:05.678 INFO fine\n  more\n")
    assert everything == "".join(f"{line}\n" for line in lines)


def test_from_line_arithmetic():
    lines = [f"l{n}" for n in range(1, 11)]
    assert page(lines, 1, 3) == (["l1", "l2", "l3"], 4)
    assert page(lines, 4, 100) == (lines[3:], 11)
    assert page(lines, 11, 5) == ([], 11)
    assert page(lines, 0, 2) == (["l1", "l2"], 2)  # 0 reads from line 1 but answers 0 + 2
    assert page(lines, -5, 1) == (["l1"], 1)
    assert page(lines, 1, -1) == (lines, 11)  # negative size: up to 10000
    assert page(lines, 1, 0) == ([], 1)


def test_the_file_is_written_late_in_whole_blocks(tmp_path):
    # HDFSCacheLogWriter (§4.4.1): the file exists, empty, from the start; it gets the cache when
    # the cache is full (before the line that did not fit) and the rest only at close.
    path = tmp_path / "log" / "1.log"
    log = TaskLog(path, cache_lines=3)
    log.append("INFO", "one")
    log.append("ERROR", "two\n  at somewhere")
    assert path.read_text() == "" and read_log_file(path) == []
    lines, next_line = log.read(1, 100)
    assert len(lines) == 3 and lines[2] == "  at somewhere" and next_line == 4
    log.append("INFO", "four")
    assert read_log_file(path) == lines
    log.close()
    assert read_log_file(path) == [*lines, log.read(4, 1)[0][0]] and log.read(4, 1)[0][0].endswith("four")
    log.append("INFO", "after the close")  # the cache is gone: nothing more reaches the file
    assert len(read_log_file(path)) == 4 and log.read(1, 100) == (read_log_file(path), 5)


def test_a_line_after_the_push_interval_pushes_the_cache(tmp_path):
    log = TaskLog(tmp_path / "1.log", push_seconds=0.0)
    log.append("INFO", "one")  # nothing cached yet: the push writes nothing
    log.append("INFO", "two")
    assert [line.rsplit(" ", 1)[1] for line in read_log_file(tmp_path / "1.log")] == ["one"]


def test_the_file_reads_back_the_lines_the_entrance_counts(tmp_path):
    # "\r" and form feeds are not line breaks for the entrance; openLog must agree (§4.4, §8.4).
    # Blank lines never reach the cache (HDFSCacheLogWriter drops them), so both count alike.
    log = TaskLog(tmp_path / "1.log")
    log.append("INFO", "p1\rp2")
    log.append("INFO", "x\x0cy\n\nafter a blank line")
    cached, _ = log.read(1, 100)
    log.close()
    assert read_log_file(tmp_path / "1.log") == cached and len(cached) == 3
