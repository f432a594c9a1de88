"""An installed (non-editable) copy works on its own: the wheel carries every module, prompt and guidance file, and
`coach index`, `coach search`, `coach ask` and the page run from a folder outside the repository with the network
cut off."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a wheel and a virtual environment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = dist.glob("mentor_coach-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    """A fresh venv outside the repo with the wheel installed (no index: nothing is downloaded). Its dependencies
    come from the test's own environment through a .pth line, which adds that folder to the path without running
    the editable-install hooks there: `coach` can only come from the wheel."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = [p for p in {sysconfig.get_paths()["purelib"], *site.getsitepackages()} if Path(p).is_dir()]
    (Path(purelib) / "dev-dependencies.pth").write_text("\n".join(deps) + "\n")
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def test_the_wheel_carries_every_subpackage_prompt_and_guidance_file(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("guidance", "llm", "chat", "tools", "journal", "ui"):
        assert f"coach/{package}/__init__.py" in names, package
    repo_guidance = {p.name for p in (ROOT / "coach" / "guidance" / "library").glob("*.md")}
    assert repo_guidance and {f"coach/guidance/library/{n}" for n in repo_guidance} <= names
    repo_prompts = {p.name for p in (ROOT / "coach" / "llm" / "templates").glob("*.md")}
    assert repo_prompts and {f"coach/llm/templates/{n}" for n in repo_prompts} <= names
    data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "coach").rglob("*") if p.suffix in {".json", ".yaml"}}
    assert data <= names, data - names


def offline(*command: str) -> list[str]:
    """`command` in a new network namespace with only loopback up: nothing can reach another host."""
    unshare = shutil.which("unshare")
    assert unshare, "`unshare` (util-linux) is needed to cut the network off"
    script = 'ip link set lo up && exec "$@"'
    return [unshare, "-n", "sh", "-c", script, "offline", *command]


def test_the_installed_copy_indexes_searches_answers_and_serves_offline_outside_the_repo(installed, tmp_path):
    if os.geteuid() != 0:
        pytest.fail("cutting the network off with `unshare -n` needs root (CI runs as root)")
    coach = str(installed / "bin" / "coach")
    python = str(installed / "bin" / "python")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_"))},
        "COACH_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(offline(*args), cwd=work, env=env, capture_output=True, text=True, timeout=timeout)

    where = run(python, "-c", "import coach, coach.guidance.sources as s; print(coach.__file__, s.LIBRARY)")
    assert str(installed) in where.stdout and str(ROOT) not in where.stdout, where.stdout + where.stderr

    indexed = run(coach, "index")
    assert indexed.returncode == 0, indexed.stderr[-2000:]
    found = run(coach, "search", "my mentor keeps cancelling", "--json")
    assert found.returncode == 0, found.stderr[-2000:]
    assert any(hit["source"] == "busy-mentor.md" for hit in json.loads(found.stdout))
    asked = run(coach, "ask", "How often should I meet my mentor?", timeout=600)
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert asked.stdout.strip()

    page = (
        "import json, subprocess, sys, time, urllib.request\n"
        f"app = subprocess.Popen([{coach!r}, 'serve'], env={{**__import__('os').environ, 'COACH_PORT': '7911'}})\n"
        "try:\n"
        "    for _ in range(600):\n"
        "        try:\n"
        "            body = urllib.request.urlopen('http://127.0.0.1:7911/', timeout=2).read().decode()\n"
        "            print(json.dumps({'served': 'Mentor Coach' in body}))\n"
        "            break\n"
        "        except OSError:\n"
        "            time.sleep(0.2)\n"
        "finally:\n"
        "    app.terminate(); app.wait(20)\n"
    )
    served = run(python, "-c", page)
    assert served.returncode == 0, served.stderr[-2000:]
    assert json.loads(served.stdout.strip().splitlines()[-1]) == {"served": True}
