"""Results: 1,000,000 rows × 5 typed columns from the gateway into a DataFrame.

The rows are made on the gateway once (HiveQL over ``range()``: int, double, string, date and a
nullable int). Each fetch then runs in a fresh child process, so the client neither shares the
gateway's interpreter nor inherits memory from an earlier fetch:

- ours: ``ResultSet.to_pandas()``, typed from the Linkis ``dataType`` of each column;
- naive: 5,000-row pages parsed with ``json`` into an untyped ``pandas.DataFrame``;
- linkis-python-sdk 0.2.0 (installed outside the repo), which reads one 5,000-row page.

Peak memory is the growth of the child's peak RSS during the fetch (``ru_maxrss``), compared with
``df.memory_usage(deep=True)``. RSS rather than tracemalloc: pandas keeps strings in Arrow
buffers, which tracemalloc does not see.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import PlainLinkis, install_sdk, naive_frame  # noqa: E402
from harness import Bench, Row, child_main, median, run_child  # noqa: E402

ROWS = 1_000_000
SMALL_ROWS = 5_000
REPS = 3
SMALL_REPS = 15
TARGET_RATIO = 0.5
TARGET_MEMORY = 3.0
TARGET_SDK = 2.0
SQL = """select id as i, cast(id as double) / 4 as d, concat('row-', cast(id as string)) as s,
       cast(date_add('2020-01-01', cast(id % 3650 as int)) as date) as day,
       if(id % 7 = 0, null, id) as n
from range({rows}) t(id)"""


# -- child side: fetches, measured ------------------------------------------------------------

def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(fetch: Callable[[str], Any], config: dict) -> dict:
    """Fetch the small result first (lazy imports, the connection), then the big one, measured."""
    fetch(config["warm"])
    before, cpu = _rss_bytes(), _cpu_seconds()
    started = time.perf_counter()
    frame = fetch(config["path"])
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    return {"seconds": seconds, "cpu": _cpu_seconds() - cpu, "rows": len(frame), "peak": peak,
            "frame_bytes": int(frame.memory_usage(deep=True).sum()),
            "dtypes": [str(t) for t in frame.dtypes]}


def _ours(config: dict) -> Callable[[str], Any]:
    from linkis_magic.client import LinkisClient
    from linkis_magic.results import ResultSet

    client = LinkisClient(config["url"], user=config["user"], token=config["tokens"][config["user"]])
    return lambda path: ResultSet(client, path).to_pandas()


def _naive(config: dict) -> Callable[[str], Any]:
    api = PlainLinkis(config["url"], config["user"], config["tokens"][config["user"]])
    return lambda path: naive_frame(api, path)


def _sdk(config: dict) -> Callable[[str], Any]:
    """linkis-python-sdk's own fetch: ``openFile`` (one default page) and ``ResultSet.to_pandas``,
    as ``LinkisClient.execute_code`` runs them after the job; the login stays outside the clock."""
    import requests
    from linkis_python_sdk.client import LinkisClient
    from linkis_python_sdk.config.config import LinkisConfig

    from linkis_magic.protocol import API_PREFIX

    sdk = LinkisClient(LinkisConfig(config["url"] + API_PREFIX, config["user"], config["password"]))
    session = requests.Session()
    sdk._login(session)
    return lambda path: sdk._query_result_set(session, [path])[0].to_pandas()


def child_ours(config: dict) -> dict:
    return _measure(_ours(config), config)


def child_naive(config: dict) -> dict:
    return _measure(_naive(config), config)


def child_small(config: dict) -> dict:
    """Medians of ours and (if it is on the path) the SDK, interleaved so noise hits both alike."""
    fetchers = {"ours": _ours(config)}
    if config.get("sdk"):
        fetchers["sdk"] = _sdk(config)
    samples: dict[str, list[float]] = {name: [] for name in fetchers}
    for name, fetch in fetchers.items():
        fetch(config["path"])  # warm up
    for _ in range(config["reps"]):
        for name, fetch in fetchers.items():
            started = time.perf_counter()
            fetch(config["path"])
            samples[name].append(time.perf_counter() - started)
    return {name: median(values) for name, values in samples.items()}


# -- parent side -----------------------------------------------------------------------------

def make_result(bench: Bench, rows: int) -> str:
    job = bench.client().run(SQL.format(rows=rows), "hive")
    return job.results[0].path


def run(bench: Bench) -> list[Row]:
    big, small = make_result(bench, ROWS), make_result(bench, SMALL_ROWS)
    ours, naive = [], []
    for _ in range(REPS):
        ours.append(run_child("result_throughput.py", bench.child_config(mode="ours", path=big, warm=small)))
        naive.append(run_child("result_throughput.py", bench.child_config(mode="naive", path=big, warm=small)))
    assert all(r["rows"] == ROWS for r in ours + naive), "a fetch did not return every row"
    seconds, naive_seconds = median([r["seconds"] for r in ours]), median([r["seconds"] for r in naive])
    peak, frame = median([r["peak"] for r in ours]) / 1e6, ours[0]["frame_bytes"] / 1e6
    naive_peak = median([r["peak"] for r in naive]) / 1e6
    rows = [
        Row("results: 1M rows × 5 cols into a DataFrame", seconds, "s", naive_seconds,
            "naive 5,000-row pages, untyped", f"≤ ×{TARGET_RATIO}", seconds <= TARGET_RATIO * naive_seconds,
            samples=[r["seconds"] for r in ours], baseline_samples=[r["seconds"] for r in naive],
            note=f"client CPU {median([r['cpu'] for r in ours]):.1f} s vs naive "
                 f"{median([r['cpu'] for r in naive]):.1f} s; dtypes {', '.join(ours[0]['dtypes'])}, "
                 f"naive all {naive[0]['dtypes'][0]}"),
        Row("results: peak memory of that fetch", peak, "MB", frame, "the DataFrame's own size",
            f"≤ ×{TARGET_MEMORY:.0f}", peak <= TARGET_MEMORY * frame, samples=[r["peak"] / 1e6 for r in ours],
            note=f"naive: peak {naive_peak:.0f} MB for an untyped frame of "
                 f"{naive[0]['frame_bytes'] / 1e6:.0f} MB"),
    ]
    return rows + [sdk_row(bench, small)]


def sdk_row(bench: Bench, path: str) -> Row:
    sdk_dir, why_not = install_sdk()
    config = bench.child_config(mode="small", path=path, reps=SMALL_REPS, sdk=sdk_dir is not None)
    got = run_child("result_throughput.py", config, env={"PYTHONPATH": str(sdk_dir)} if sdk_dir else None)
    ours, sdk = got["ours"] * 1000, got.get("sdk")
    target = f"≤ ×{1 / TARGET_SDK}"
    if sdk is None:
        return Row("results: 5,000 rows vs linkis-python-sdk", ours, "ms", None, f"SDK not run: {why_not}",
                   target, None)
    sdk *= 1000
    return Row("results: 5,000 rows vs linkis-python-sdk", ours, "ms", sdk, "linkis-python-sdk 0.2.0", target,
               ours * TARGET_SDK <= sdk,
               note="the SDK reads only the first 5,000 rows of any result (one default page, §11.4)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        child_main({"ours": child_ours, "naive": child_naive, "small": child_small})
    else:
        from run import main

        main(["result_throughput"])
