"""The benchmark's table, its million-vote ratios and bench/results.json."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from .wrk import Measurement

# The rows whose cost must not grow with the votes stored.
READ_ROWS = ("page", "tally 200", "tally 304", "api")


@dataclass(frozen=True)
class Row:
    name: str
    database: str
    votes_stored: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    ratio_to_baseline: float | None
    # CPU seconds per gunicorn worker during the row: an even split means the
    # connections were shared out evenly.
    worker_cpu_seconds: tuple[float, ...] = ()

    @classmethod
    def from_measurement(
        cls,
        name: str,
        database: str,
        result: Measurement,
        votes_stored: int,
        baseline: Row | None,
    ) -> Row:
        ratio = None
        if baseline is not None and baseline.requests_per_second:
            ratio = result.rps / baseline.requests_per_second
        return cls(
            name=name,
            database=database,
            votes_stored=votes_stored,
            requests_per_second=round(result.rps, 1),
            p50_ms=round(result.p50_ms, 2),
            p99_ms=round(result.p99_ms, 2),
            errors=result.errors,
            requests=result.requests,
            ratio_to_baseline=None if ratio is None else round(ratio, 3),
            worker_cpu_seconds=result.worker_cpu,
        )

    @property
    def label(self) -> str:
        return (
            self.name
            if not self.votes_stored
            else f"{self.name} @{self.votes_stored:,}"
        )

    def line(self) -> str:
        ratio = (
            "" if self.ratio_to_baseline is None else f"{self.ratio_to_baseline:7.0%}"
        )
        workers = "/".join(f"{seconds:.1f}" for seconds in self.worker_cpu_seconds)
        return (
            f"{self.label:<24} {self.database:<10} {self.requests_per_second:>9.0f} "
            f"{self.p50_ms:>8.2f} {self.p99_ms:>8.2f} {self.errors:>6} {ratio:>8}"
            f"  {workers}"
        )


HEADER = (
    f"{'row':<24} {'database':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'errors':>6} {'baseline':>8}  worker CPU s"
)


def million_vote_ratios(rows: list[Row]) -> dict[str, dict]:
    """Per database: cost per request with the bulk votes over cost with none.

    Cost is seconds per request (1 / requests per second). ``combined`` sums the
    costs of one request to each read row, so it weighs them as a reader mix would.
    """
    ratios: dict[str, dict] = {}

    for database in dict.fromkeys(r.database for r in rows):
        empty = {
            r.name: r
            for r in rows
            if r.database == database and not r.votes_stored and r.name in READ_ROWS
        }
        loaded = {
            r.name: r
            for r in rows
            if r.database == database and r.votes_stored and r.name in READ_ROWS
        }
        names = [n for n in READ_ROWS if n in empty and n in loaded]
        if not names:
            continue

        per_row = {
            n: round(empty[n].requests_per_second / loaded[n].requests_per_second, 3)
            for n in names
        }
        cost_empty = sum(1 / empty[n].requests_per_second for n in names)
        cost_loaded = sum(1 / loaded[n].requests_per_second for n in names)
        ratios[database] = {
            "votes_stored": next(iter(loaded.values())).votes_stored,
            "combined": round(cost_loaded / cost_empty, 3),
            "per_row": per_row,
        }

    return ratios


def print_table(rows: list[Row]) -> dict[str, dict]:
    print(HEADER)
    for row in rows:
        print(row.line())

    ratios = million_vote_ratios(rows)
    print()
    for database, ratio in ratios.items():
        detail = ", ".join(
            f"{name} {value:.2f}" for name, value in ratio["per_row"].items()
        )
        print(
            f"cost with {ratio['votes_stored']:,} votes / cost with none, {database}: "
            f"{ratio['combined']:.2f} ({detail})"
        )
    return ratios


def machine() -> dict[str, object]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "free_g": memory.strip(),
        "python": platform.python_version(),
    }


def write_results(
    path: Path, rows: list[Row], ratios: dict[str, dict], **extra
) -> None:
    document = {
        **extra,
        "rows": [asdict(row) for row in rows],
        "million_vote_ratios": ratios,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
