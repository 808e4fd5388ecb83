"""The command line as a user runs it (``linkis-magic local``, ``kernels install``): bad
arguments end in one line, and SIGTERM stops the gateway as Ctrl-C does (engines stopped, a
temporary data directory removed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from linkis_magic.protocol import API_PREFIX, TOKEN_CODE_HEADER, TOKEN_USER_HEADER
from tests.support import wait_for


def local(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "linkis_magic.cli", "local", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **options)


def temporary_dirs() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("linkis-local-")}


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "argument --port: a port is 0 to 65535, not 70000"),
    (["--port", "-1"], "argument --port: a port is 0 to 65535, not -1"),
    (["--data-dir", "/proc/linkis-here"], "linkis-magic local: cannot use /proc/linkis-here as the data dir: "),
    (["--data-dir", "/etc/hostname"], "linkis-magic local: cannot use /etc/hostname as the data dir: "),
    (["--host", "no-such-host.invalid"], "linkis-magic local: cannot listen on no-such-host.invalid:0: "),
])
def test_bad_arguments_are_one_line_and_leave_nothing(args, message):
    before = temporary_dirs()
    process = local("--port", "0", *args)
    out, err = process.communicate(timeout=60)
    assert process.returncode in (1, 2) and out == ""
    # One line saying what is wrong (argparse puts its usage above it).
    assert message in err.strip().splitlines()[-1] and "Traceback" not in err, err
    assert temporary_dirs() <= before


def test_sigterm_stops_the_gateway_and_its_engines_and_cleans_up():
    process = local("--port", "0")
    try:
        banner = {}
        while "token" not in banner:
            line = process.stdout.readline()
            assert line, process.stderr.read()
            key, _, value = line.strip().partition(":")
            if line.startswith("Local Linkis gateway: "):
                banner["url"] = line.split()[3]
            elif key.strip() in ("user", "token", "data dir"):
                banner[key.strip()] = value.split()[0]
        headers = {TOKEN_USER_HEADER: banner["user"], TOKEN_CODE_HEADER: banner["token"]}
        submitted = requests.post(f"{banner['url']}{API_PREFIX}/entrance/submit", headers=headers, timeout=30, json={
            "executionContent": {"code": "sleep 300", "runType": "shell"},
            "labels": {"engineType": "shell-1", "userCreator": f"{banner['user']}-LINKISMAGIC"}}).json()["data"]
        status = f"{banner['url']}{API_PREFIX}/entrance/{submitted['execID']}/status"
        wait_for(lambda: requests.get(status, headers=headers, timeout=30).json()["data"]["status"] == "Running")
        sleeper = subprocess.run(["pgrep", "-f", "-x", "sleep 300"], capture_output=True, text=True).stdout.split()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0 and out.rstrip().endswith("Local Linkis gateway stopped."), (out, err)
    assert not Path(banner["data dir"]).exists()
    time.sleep(0.5)
    assert sleeper and not [pid for pid in sleeper if Path(f"/proc/{pid}").exists()]


def test_kernels_install_where_it_cannot_write_is_one_line():
    done = subprocess.run([sys.executable, "-m", "linkis_magic.cli", "kernels", "install", "--prefix", "/proc/linkis"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("linkis-magic kernels install: ") and len(done.stderr.splitlines()) == 1, done.stderr
