"""Export: a job's result written to a parquet file, whole, without the rows ever being one
DataFrame in memory (``ResultSet.to_file``, ``linkis_magic.download``).

- time: 1,000,000 rows × 5 typed columns to parquet, against ``to_pandas()`` then
  ``DataFrame.to_parquet()`` (the obvious way, in the same child process kind);
- memory: the growth of the child's peak RSS while exporting 10,000,000 rows, against exporting
  1,000,000: a streamed export's memory must not grow with the rows;
- upload: ``upload_frame`` of those 1,000,000 rows as a DataFrame (parquet to the workspace, then the
  ``CREATE TABLE`` / ``LOAD DATA`` job), against writing the same frame to a local parquet file.

Each run is a fresh child process (no shared interpreter or heap with the gateway or an earlier
run). The rows are made on the gateway once, with the SQL of ``result_throughput.py``.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Bench, Row, child_main, median, run_child  # noqa: E402
from result_throughput import SQL  # noqa: E402

ROWS, BIG_ROWS, REPS = 1_000_000, 10_000_000, 3
TARGET_TIME, TARGET_MEMORY = 1.0, 1.2


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def child(config: dict) -> dict:
    from linkis_magic.client import LinkisClient
    from linkis_magic.results import ResultSet

    client = LinkisClient(config["url"], user=config["user"], token=config["tokens"][config["user"]])
    ResultSet(client, config["warm"]).to_pandas()  # lazy imports and the connection, off the clock
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.parquet"
        before = _rss_bytes()
        started = time.perf_counter()
        result = ResultSet(client, config["path"])
        if config["mode"] == "ours":
            rows = result.to_file(target).rows
        elif config["mode"] == "upload":
            from linkis_magic.upload import upload_frame

            frame = result.to_pandas()
            started = time.perf_counter()
            frame.to_parquet(target, index=False)
            local = time.perf_counter() - started
            started = time.perf_counter()
            upload_frame(client, frame, f"bench_upload_{time.time_ns()}")
            return {"seconds": time.perf_counter() - started, "local": local, "rows": len(frame)}
        else:
            frame = result.to_pandas()
            frame.to_parquet(target, index=False)
            rows = len(frame)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    return {"seconds": seconds, "peak": peak, "rows": rows}


def run(bench: Bench) -> list[Row]:
    client = bench.client()
    paths = {n: client.run(SQL.format(rows=n), "hive").results[0].path for n in (ROWS, BIG_ROWS, 5000)}
    config = bench.child_config(warm=paths[5000])
    ours, plain = [], []
    for _ in range(REPS):
        ours.append(run_child("export.py", {**config, "mode": "ours", "path": paths[ROWS]}))
        plain.append(run_child("export.py", {**config, "mode": "plain", "path": paths[ROWS]}))
    big = run_child("export.py", {**config, "mode": "ours", "path": paths[BIG_ROWS]}, timeout=900)
    uploads = [run_child("export.py", {**config, "mode": "upload", "path": paths[ROWS]}) for _ in range(REPS)]
    assert all(r["rows"] == ROWS for r in ours + plain) and big["rows"] == BIG_ROWS, "an export lost rows"
    seconds, plain_seconds = median([r["seconds"] for r in ours]), median([r["seconds"] for r in plain])
    small_peak = median([r["peak"] for r in ours]) / 1e6
    big_peak = big["peak"] / 1e6
    return [
        Row("export: 1M rows × 5 cols to parquet", seconds, "s", plain_seconds, "to_pandas() + to_parquet()",
            f"≤ ×{TARGET_TIME}", seconds <= TARGET_TIME * plain_seconds, samples=[r["seconds"] for r in ours],
            baseline_samples=[r["seconds"] for r in plain], note=f"median of {REPS} child processes each"),
        Row("export: peak memory, 10M rows to parquet", big_peak, "MB", small_peak, "the same export of 1M rows",
            f"≤ ×{TARGET_MEMORY}", big_peak <= TARGET_MEMORY * small_peak,
            note=f"growth of the child's peak RSS; 1M rows: median of {REPS}, 10M rows: one run"),
        Row("upload: 1M rows × 5 cols DataFrame to a table", median([r["seconds"] for r in uploads]), "s",
            median([r["local"] for r in uploads]), "DataFrame.to_parquet() to a local file", "—", None,
            samples=[r["seconds"] for r in uploads], baseline_samples=[r["local"] for r in uploads],
            note=f"median of {REPS}; upload_frame: parquet, /filesystem/upload, CREATE TABLE + LOAD DATA job"),
    ]


if __name__ == "__main__":
    if "--child" in sys.argv:
        child_main({"ours": child, "plain": child, "upload": child})
    else:
        from run import main

        main(["export"])
