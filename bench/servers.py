"""The servers the benchmark starts and stops: gunicorn with the project's config."""

from __future__ import annotations

import http.client
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "gunicorn.conf.py"

logger = logging.getLogger(__name__)


def wait_for_http(port: int, path: str, timeout: float = 30.0) -> None:
    """Wait until ``GET path`` on the loopback port returns a response of any status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", path)
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()

    raise RuntimeError(
        f"no response from 127.0.0.1:{port}{path} within {timeout}s; "
        "check the server log"
    )


class Gunicorn:
    """One gunicorn master with the project's config file, on a loopback port."""

    def __init__(
        self,
        app: str,
        port: int,
        environment: dict[str, str],
        log_path: Path,
        ready_path: str = "/",
    ) -> None:
        self.app = app
        self.port = port
        self.environment = environment
        self.log_path = log_path
        self.ready_path = ready_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        environment = {
            **os.environ,
            **self.environment,
            "VERSUS_BIND": f"127.0.0.1:{self.port}",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "site")]),
        }
        command = [sys.executable, "-m", "gunicorn", f"--config={CONFIG}", self.app]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=log
            )
        logger.info(
            "Started gunicorn %s on port %s (pid %s)",
            self.app,
            self.port,
            self.process.pid,
        )
        try:
            wait_for_http(self.port, self.ready_path)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is None:
            return

        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        logger.info("Stopped gunicorn %s (pid %s)", self.app, self.process.pid)
        self.process = None

    def worker_cpu_seconds(self) -> dict[int, float]:
        """CPU seconds (user and system) of each worker process, read from /proc."""
        if self.process is None:
            return {}

        ticks = os.sysconf("SC_CLK_TCK")
        found: dict[int, float] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended while we looked
            if int(fields[1]) == self.process.pid:
                found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
        return found

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
