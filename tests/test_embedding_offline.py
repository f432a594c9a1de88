"""The embedding model is read from installed packages: no network, no download, no ~/.cache/chroma."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import numpy as np

from coach.guidance.embedding import MODEL_FILE, TOKENIZER_FILE, installed_file

SYNC_AND_SEARCH = """
import json, socket, sys
from pathlib import Path
import chromadb
from coach.llm.fake import MockChatModel
from coach.guidance.store import chroma_settings
from coach.service import build_coach
from coach.settings import Settings

try:
    socket.create_connection(("1.1.1.1", 443), timeout=3).close()
    network = "reachable"
except OSError:
    network = "unreachable"
data, folder = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(data_dir=data, knowledge_dir=folder, provider="fake", _env_file=None)
coach = build_coach(settings, model=MockChatModel())
report = coach.sync()
hits = coach.retriever.search("my mentor keeps cancelling our meetings", k=2)
client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings())
reopened = client.get_collection(settings.collection)  # no embedding function: rebuilt from its config
found = reopened.query(query_texts=["where to find a sponsor"], n_results=1)
print(json.dumps({
    "network": network,
    "interfaces": [name for _, name in socket.if_nameindex()],
    "embedded": report.chunks_embedded,
    "top": [hits[0].source, hits[0].section],
    "reopened_top": found["metadatas"][0][0]["source"],
}))
"""


def run_script(tmp_path: Path, folder: Path, prefix: list[str], home: Path | None = None):
    script = tmp_path / "sync_and_search.py"
    script.write_text(SYNC_AND_SEARCH, encoding="utf-8")
    env = {**os.environ, "HOME": str(home)} if home else dict(os.environ)
    return subprocess.run(
        [*prefix, sys.executable, str(script), str(tmp_path / "data"), str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def test_indexing_and_search_work_with_no_network_at_all(tmp_path, small_knowledge):
    unshare = shutil.which("unshare")
    assert unshare, "`unshare` (util-linux) is needed to cut the network off; install util-linux"
    # Root may create a network namespace directly; other users need a user namespace (-r) first.
    prefix = [unshare, "-n"] if os.geteuid() == 0 else [unshare, "-r", "-n"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=30)
    assert probe.returncode == 0, (
        f"`{' '.join(prefix)}` is not permitted here ({probe.stderr.strip()}); run the tests as root, "
        "or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
    )

    done = run_script(tmp_path, small_knowledge, prefix)

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["network"] == "unreachable"
    assert result["interfaces"] == ["lo"]
    assert result["embedded"] == 4
    assert result["top"] == ["busy.md", "Busy mentor > When the mentor keeps cancelling"]
    assert result["reopened_top"] == "sponsor.txt"


def test_padding_to_the_longest_text_in_a_batch_does_not_change_vectors(embedder):
    texts = [
        "Hi.",
        "Ask your mentor whether meeting monthly still suits both of you.",
        " ".join(["Offer shorter check-ins, send a short agenda and keep to time."] * 8),
        " ".join(["A sponsor advocates for you in rooms you are not in."] * 30),  # truncated at 256 tokens
    ]
    lengths = [embedder.count_tokens(t) for t in texts]
    assert lengths[0] < 10 and lengths[2] > 100 and lengths[3] > 256
    padded = embedder.tokenizer.encode_batch(texts)
    assert {len(e.ids) for e in padded} == {256}  # the batch really was padded to its longest

    together = embedder(texts)
    alone = [embedder([text])[0] for text in texts]

    for text, batched, single in zip(texts, together, alone, strict=True):
        assert np.allclose(batched, single, atol=1e-4), text[:40]


def test_vectors_are_unit_length_with_384_dimensions(embedder):
    vectors = np.array(embedder(["Hi.", "How often should a mentee meet a busy mentor? " * 5, "café au lait"]))
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_model_and_tokenizer_are_read_from_installed_packages():
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    for distribution, relative in (MODEL_FILE, TOKENIZER_FILE):
        path = installed_file(distribution, relative).resolve()
        assert path.is_file()
        assert site_packages in path.parents, path
        packaged = {str(f) for f in metadata.distribution(distribution).files or []}
        assert relative in packaged, f"{relative} is not a file of the {distribution} distribution"


def test_a_full_run_creates_nothing_under_the_chroma_cache(tmp_path, small_knowledge):
    home = tmp_path / "home"
    home.mkdir()

    done = run_script(tmp_path, small_knowledge, [], home=home)

    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["embedded"] == 4
    assert not (home / ".cache" / "chroma").exists(), sorted(str(p) for p in home.rglob("*"))
