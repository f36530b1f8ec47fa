"""The benchmark command runs end to end on a tiny load and writes valid results.

Speed is never asserted here; only that every row was measured and recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import BACKENDS

ROOT = Path(__file__).resolve().parents[1]
ROWS = {"baseline", "page", "tally 200", "tally 304", "api", "vote"}
READ_ROWS = {"page", "tally 200", "tally 304", "api"}


def test_quick_benchmark_writes_results(tmp_path):
    output = tmp_path / "results.json"
    environment = {**os.environ, "BENCH_DATABASES": ",".join(BACKENDS)}

    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", f"--output={output}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(output.read_text())
    rows = results["rows"]
    for database in BACKENDS:
        mine = [row for row in rows if row["database"] == database]
        assert {row["name"] for row in mine} == ROWS
        assert {row["name"] for row in mine if row["votes_stored"]} == READ_ROWS
        for row in mine:
            assert row["requests"] > 0, row
            assert row["errors"] == 0, row
            assert row["p99_ms"] >= row["p50_ms"] > 0, row
            workers = results["settings"]["gunicorn"]["workers"]
            assert len(row["worker_cpu_seconds"]) == workers, row
            if row["name"] != "baseline":
                assert row["ratio_to_baseline"] > 0, row
        ratios = results["million_vote_ratios"][database]
        assert set(ratios["per_row"]) == READ_ROWS
        assert ratios["combined"] > 0
    assert "counters equal counted vote rows: yes" in finished.stdout
    assert results["machine"]["nproc"] >= 1
