"""Run wrk, the load tool, with the benchmark's Lua driver and read its summary."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

DRIVER = Path(__file__).resolve().parent / "lua" / "driver.lua"
RESULT_PREFIX = "BENCH_RESULT "


class LoadToolError(RuntimeError):
    """wrk is missing and cannot be installed, or it did not report a result."""


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    # CPU seconds each gunicorn worker spent during the row, when measured.
    worker_cpu: tuple[float, ...] = ()

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str:
    """Return the path of wrk, installing Debian's package with apt-get if needed."""
    found = shutil.which("wrk")
    if found:
        return found

    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise LoadToolError(
            "wrk is not installed and this user cannot install it; "
            "install Debian's 'wrk' package and run the benchmark again"
        )

    logger.info("Installing wrk with apt-get")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env=environment,
        stdout=subprocess.DEVNULL,
    )
    found = shutil.which("wrk")
    if not found:
        raise LoadToolError("apt-get finished but wrk is still not on PATH")

    return found


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
    mode: str = "get",
    visitors_file: Path | None = None,
    spare_path: str | None = None,
) -> Measurement:
    """Drive ``url`` for ``seconds`` and return wrk's counts and latencies."""
    command = [
        ensure_wrk(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={DRIVER}",
    ]
    for name, value in (headers or {}).items():
        command.append(f"--header={name}: {value}")
    command.append(url)

    environment = {**os.environ, "BENCH_MODE": mode, "BENCH_THREADS": str(threads)}
    if visitors_file is not None:
        environment["BENCH_VISITORS"] = str(visitors_file)
    if spare_path is not None:
        environment["BENCH_SPARE_PATH"] = spare_path

    finished = subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=seconds + 60
    )
    for line in finished.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return _measurement(json.loads(line.removeprefix(RESULT_PREFIX)))

    raise LoadToolError(
        f"wrk exited with {finished.returncode} and no result: "
        f"{finished.stderr.strip() or finished.stdout.strip()}"
    )


def _measurement(raw: dict) -> Measurement:
    # Requests a vote run sends after its last visitor (see driver.lua) are neither
    # votes nor errors; they are left out of the count.
    requests = raw["requests"] - raw["spares"]
    return Measurement(
        requests=requests,
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors=sum(raw["errors"].values()),
    )
