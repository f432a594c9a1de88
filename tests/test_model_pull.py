"""`coach model pull/use` against a loopback hub (tests/hub_stub.py) serving the bundled GGUF under a made-up repo
id: no test reaches the real hub. Each pull runs the real CLI in a subprocess with HF_HUB_OFFLINE=1 set, as `make`
sets it, so the pull's own lifting of it is tested too."""

from __future__ import annotations

import socket

import pytest
from hub_stub import FILE, REPO, HubStub, coach_cli, write_catalog

from coach.llm.catalog import load_catalog
from coach.llm.choice import read_choice
from coach.llm.models import bundled_model_path
from coach.llm.pull import DiskFull, _check_room, sha256_of


@pytest.fixture(scope="module")
def gguf_bytes() -> bytes:
    return bundled_model_path().read_bytes()


@pytest.fixture
def hub(gguf_bytes):
    stubs: list[HubStub] = []

    def start(**behaviour) -> HubStub:
        stubs.append(HubStub(REPO, FILE, gguf_bytes, **behaviour))
        return stubs[-1]

    yield start
    for stub in stubs:
        stub.stop()


def test_pull_downloads_shows_progress_and_checks_the_hub_sha256(hub, tmp_path, gguf_bytes):
    stub, data = hub(), tmp_path / "data"
    result = coach_cli(["pull", "tiny"], data, stub.url, write_catalog(tmp_path))
    assert result.returncode == 0, result.stderr
    pulled = data / "models" / FILE
    assert sha256_of(pulled) == stub.sha256
    assert "allowed for this download only" in result.stderr
    assert f"{FILE}: 100%" in result.stderr and "98.4M/98.4M" in result.stderr  # the progress bar ran to the end
    assert "hub's LFS metadata" in result.stderr
    assert not list((data / "models").glob("*.part*"))
    assert [m for m, path, _ in stub.seen if "paths-info" in path] == ["POST"]


def test_pull_checks_against_the_catalog_sha256_when_listed(hub, tmp_path, gguf_bytes):
    stub, data = hub(), tmp_path / "data"
    result = coach_cli(["pull", "tiny"], data, stub.url, write_catalog(tmp_path, sha256=stub.sha256))
    assert result.returncode == 0, result.stderr
    assert "against the catalog" in result.stderr


def test_pull_refuses_before_downloading_when_the_hub_file_differs_from_the_catalog(hub, tmp_path):
    stub, data = hub(), tmp_path / "data"
    result = coach_cli(["pull", "tiny"], data, stub.url, write_catalog(tmp_path, sha256="0" * 64))
    assert result.returncode == 2
    assert "different" in result.stderr and "Nothing was downloaded" in result.stderr
    assert not [path for method, path, _ in stub.seen if method == "GET" and "resolve" in path]


def test_a_cut_connection_is_resumed_within_the_pull(hub, tmp_path):
    stub, data = hub(cut_at=40_000_000), tmp_path / "data"
    result = coach_cli(["pull", "tiny"], data, stub.url, write_catalog(tmp_path))
    assert result.returncode == 0, result.stderr
    ranges = [r for method, _, r in stub.seen if method == "GET" and r]
    assert ranges and int(ranges[0].removeprefix("bytes=").rstrip("-")) > 0
    assert sha256_of(data / "models" / FILE) == stub.sha256


def test_a_pull_stopped_midway_resumes_where_it_stopped_on_the_next_run(hub, tmp_path):
    catalog, data = write_catalog(tmp_path), tmp_path / "data"
    failing = hub(cut_at=40_000_000, refuse_after_cut=True)
    first = coach_cli(["pull", "tiny"], data, failing.url, catalog)
    assert first.returncode == 2
    assert "pull again to resume" in first.stderr
    part = data / "models" / f"{FILE}.part"
    kept = part.stat().st_size
    assert 0 < kept <= 40_000_000
    assert not (data / "models" / FILE).exists()

    healthy = hub()
    second = coach_cli(["pull", "tiny"], data, healthy.url, catalog)
    assert second.returncode == 0, second.stderr
    assert "Resuming at" in second.stderr
    assert [r for method, _, r in healthy.seen if method == "GET" and "resolve" in _] == [f"bytes={kept}-"]
    assert sha256_of(data / "models" / FILE) == healthy.sha256
    assert not part.exists()


def test_a_checksum_mismatch_is_refused_and_removed(hub, tmp_path):
    stub, data = hub(corrupt=True), tmp_path / "data"
    result = coach_cli(["pull", "tiny"], data, stub.url, write_catalog(tmp_path))
    assert result.returncode == 2
    assert "not the expected one" in result.stderr and "has been deleted" in result.stderr
    assert stub.sha256 in result.stderr
    assert list((data / "models").iterdir()) == []
    assert read_choice(data) is None


def test_a_full_disk_stops_the_pull_with_a_clear_message(hub, tmp_path):
    """ENOSPC cannot be made without a small filesystem (no tmpfs mount here): RLIMIT_FSIZE on the pull's process
    makes the kernel refuse writes past 20 MB (EFBIG), the same path as a full disk in the code."""
    stub, data = hub(), tmp_path / "data"
    result = coach_cli(["pull", "tiny"], data, stub.url, write_catalog(tmp_path), limit_file_bytes=20_000_000)
    assert result.returncode == 2, result.stderr
    assert "disk filled up" in result.stderr and "Nothing was installed" in result.stderr
    assert not (data / "models" / FILE).exists()


def test_not_enough_free_space_is_refused_before_downloading(tmp_path):
    import shutil

    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(DiskFull, match="Not enough disk space"):
        _check_room(tmp_path, free + 1)


def test_without_a_network_the_pull_says_so_and_changes_nothing(tmp_path):
    with socket.socket() as probe:  # a loopback port with nothing listening: connection refused
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    data = tmp_path / "data"
    result = coach_cli(["pull", "tiny"], data, dead, write_catalog(tmp_path))
    assert result.returncode == 2
    assert "No network" in result.stderr and "Nothing was downloaded or changed" in result.stderr
    assert not data.exists()


def test_an_unknown_name_lists_the_known_ones(tmp_path):
    result = coach_cli(["pull", "nope"], tmp_path / "data", "http://127.0.0.1:9", write_catalog(tmp_path))
    assert result.returncode == 2 and "Known: tiny" in result.stderr


def test_the_packaged_catalog_lists_no_made_up_checksums():
    catalog = load_catalog()
    assert {"qwen2.5-3b", "qwen2.5-1.5b", "llama-3.2-3b", "phi-3.5-mini", "smollm2-1.7b"} <= {
        m.name for m in catalog.models
    }
    assert all(m.sha256 is None for m in catalog.models)  # unverifiable here: checked against the hub at pull
    assert all(not m.speed_measured for m in catalog.models)
    assert "unverified" in catalog.note and "estimated" in catalog.note


def test_the_recommendation_is_the_best_ranked_model_that_fits_the_ram():
    catalog = load_catalog()
    assert catalog.recommended(8.0).name == "qwen2.5-3b"
    assert catalog.recommended(3.0).name == "qwen2.5-1.5b"  # 60% of 3 GB leaves room for the 1.5 GB one only
    assert catalog.recommended(1.0) is None
