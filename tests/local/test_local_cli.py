"""``python -m linkis_magic.local`` / ``linkis-magic local``: prints how to connect, serves, stops on Ctrl-C."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys

import requests

from linkis_magic.protocol import API_PREFIX


def test_cli_prints_credentials_that_work_and_stops_on_sigint(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "linkis_magic.local", "--port", "0", "--data-dir",
                                str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = [process.stdout.readline() for _ in range(6)]
        url = re.search(r"(http://127\.0\.0\.1:\d+)", banner[0]).group(1)
        user = re.search(r"user\s+: (\S+)", "".join(banner)).group(1)
        password = re.search(r"password : (\S+)", "".join(banner)).group(1)
        token = re.search(r"token\s+: (\S+)", "".join(banner)).group(1)
        login = requests.post(url + API_PREFIX + "/user/login", json={"userName": user, "password": password},
                              timeout=10)
        assert login.json()["status"] == 0
        listing = requests.get(url + API_PREFIX + "/jobhistory/list",
                               headers={"Token-User": user, "Token-Code": token}, timeout=10)
        assert listing.json()["status"] == 0
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
    assert code == 0
    assert (tmp_path / "linkis.db").exists()


def test_cli_reports_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "linkis_magic.local", "--port", str(port), "--data-dir",
                                 str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "cannot listen" in result.stderr
