"""What every benchmark shares: the result table, interleaved timing, percentiles and child-process helpers."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# Offline and private for this process and every child it starts (set by the driver, not at import).
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
}


@dataclass
class Row:
    """One line of the table: our figure beside its baseline, the ratio, and whether the goal is met."""

    measure: str
    ours: str
    baseline: str = "—"
    ratio: str = "—"
    goal: str = "—"
    met: str = "—"
    runs: str = "—"


ROWS: list[Row] = []


def fmt(value: float, unit: str) -> str:
    if unit == "×":
        return f"{value:.2f}×"
    if unit in ("ms", "s", "MB", "tok/s", "chunk/s", "s/1k chunks", "text/s") and abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.2f} {unit}" if abs(value) < 10 else f"{value:.1f} {unit}"


def add(
    measure: str,
    ours: float,
    base: float | None = None,
    unit: str = "",
    *,
    goal: str | None = None,
    ok: Callable[[float], bool] | None = None,
    runs: int | str = "—",
    ratio: float | None = None,
) -> Row:
    """Append a row; the ratio is ours/baseline unless given, and `ok(ratio)` decides the goal."""
    if ratio is None and base:
        ratio = ours / base
    row = Row(
        measure=measure,
        ours=fmt(ours, unit),
        baseline=fmt(base, unit) if base is not None else "—",
        ratio=_ratio(ratio, ok),
        goal=goal or "—",
        met=("met" if ok(ratio) else "**not met**") if ok and ratio is not None else "—",
        runs=str(runs),
    )
    ROWS.append(row)
    print(f"  {measure}: {row.ours} | {row.baseline} | {row.ratio} {row.met}", flush=True)
    return row


def _ratio(ratio: float | None, ok: Callable[[float], bool] | None) -> str:
    """Two decimals, or three when two would round across the goal (1.112 shown as 1.11 beside "≤ 1.111")."""
    if ratio is None:
        return "—"
    close = ok is not None and ok(round(ratio, 2)) != ok(ratio)
    return f"{ratio:.3f}×" if close else f"{ratio:.2f}×"


def note(measure: str, ours: str, runs: int | str = "—") -> None:
    ROWS.append(Row(measure=measure, ours=ours, runs=str(runs)))
    print(f"  {measure}: {ours}", flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile, linear between closest ranks (q in 0..100)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


median = statistics.median


def interleave(runs: int, **contenders: Callable[[], Any]) -> dict[str, list[Any]]:
    """Call each contender `runs` times, alternating which goes first, so drifting load hits all alike."""
    results: dict[str, list[Any]] = {name: [] for name in contenders}
    names = list(contenders)
    for n in range(runs):
        order = names if n % 2 == 0 else names[::-1]
        for name in order:
            results[name].append(contenders[name]())
    return results


def timed(fn: Callable[[], Any]) -> Callable[[], float]:
    """A contender that returns the seconds `fn` took."""

    def run() -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **OFFLINE_ENV, **extra}
    env.pop("OPENAI_API_KEY", None)
    env.pop("OPENAI_BASE_URL", None)
    return env


PEAK_PREFIX = "PEAK_RSS_KB="


def report_peak() -> None:
    """Print this process's peak resident set (VmHWM) for run_child; call as a child's last act."""
    status = Path("/proc/self/status").read_text()
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    print(f"{PEAK_PREFIX}{kb}", flush=True)


def run_child(args: list[str], env: dict[str, str] | None = None, timeout: float = 1800) -> tuple[str, float, float]:
    """Run `python args...` to completion: (stdout, wall seconds, peak resident MB of the child).

    The peak is the child's own VmHWM, printed by report_peak(). Not ru_maxrss: on Linux a child's
    ru_maxrss (from RUSAGE_CHILDREN or wait4) starts at the parent's peak, carried over by fork and exec,
    so every child of a 1.5 GB benchmark process would show at least 1.5 GB.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([PYTHON, *args], cwd=ROOT, env=env or child_env(), stdout=out, stderr=err, text=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    peaks = [line.removeprefix(PEAK_PREFIX) for line in stdout.splitlines() if line.startswith(PEAK_PREFIX)]
    lines = [line for line in stdout.splitlines() if not line.startswith(PEAK_PREFIX)]
    return "\n".join(lines), wall, int(peaks[-1]) / 1024 if peaks else float("nan")


def queue_turn(http: Any, url: str, fn_index: int, session: str, data: list[Any]) -> tuple[float | None, dict]:
    """One event in Gradio's queue protocol (join, then read the event stream), as a browser sends it: seconds to
    the first streamed update (None if none came) and the completed event's output."""
    start = time.perf_counter()
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "trigger_id": None}
    http.post(f"{url}gradio_api/queue/join", json=body).raise_for_status()
    first = None
    with http.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            event = json.loads(line[5:])
            if event.get("msg") == "process_generating" and first is None:
                first = time.perf_counter() - start
            if event.get("msg") == "process_completed":
                return first, event.get("output", {})
    return first, {}


def stop(process: subprocess.Popen) -> None:
    """Terminate a child, and kill it if it has not exited 15 s later."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
