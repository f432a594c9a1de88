"""The "Your guidance" panel through the real server: upload, list, remove, and no user sees another's documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from coach.service import build_coach
from coach.settings import Settings
from coach.ui.page import serve
from tests.conftest import KNOWLEDGE
from tests.document_files import scanned_pdf, text_pdf

PAGES = [["Acme Mentoring Handbook", "4 Rematching", "To change mentor, send form ZX-41 to the programme office."]]


@pytest.fixture
def own_store(indexed_store: Path, tmp_path: Path) -> Path:
    """A copy of the indexed built-in guidance that these tests may add documents to."""
    shutil.copytree(indexed_store / "chroma", tmp_path / "data" / "chroma")
    return tmp_path / "data"


def _serve(data: Path, fake_model, **options):
    coach = build_coach(
        Settings(data_dir=data, knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None), model=fake_model()
    )
    app = serve(Settings(data_dir=data, provider="fake", port=0, _env_file=None, **options), coach, block=False)
    return app, coach


def test_a_document_is_uploaded_listed_and_removed_from_the_page(own_store, fake_model, tmp_path, wait_until_started):
    app, coach = _serve(own_store, fake_model)
    try:
        wait_until_started(app.local_url)
        client = Client(app.local_url, verbose=False)
        handbook = tmp_path / "handbook.pdf"
        handbook.write_bytes(text_pdf(PAGES))
        scan = tmp_path / "scan.pdf"
        scan.write_bytes(scanned_pdf())
        outcome, listing, _ = client.predict([handle_file(handbook), handle_file(scan)], api_name="/add_documents")
        assert "Added handbook.pdf." in outcome
        assert "scan.pdf: not added" in outcome and "no text layer" in outcome
        assert [row[0] for row in listing["data"]] == ["handbook.pdf"]
        listing, _ = client.predict(api_name="/list_documents")
        assert [row[0] for row in listing["data"]] == ["handbook.pdf"]
        hits = coach.retriever.search("which form do I send to change mentor, ZX-41?", k=3, owner="local")
        assert any(h.source == "handbook.pdf" and "ZX-41" in h.text for h in hits)

        outcome, listing, _ = client.predict("handbook.pdf", api_name="/remove_document")
        assert outcome == "Removed handbook.pdf." and listing["data"] in ([], [[""]])
        assert all(h.source != "handbook.pdf" for h in coach.retriever.search("form ZX-41", k=5, owner="local"))
    finally:
        app.close()


def test_with_accounts_a_users_documents_never_reach_another_user(own_store, fake_model, tmp_path, wait_until_started):
    app, _ = _serve(own_store, fake_model, users="alice:pw-a,bob:pw-b")
    try:
        wait_until_started(app.local_url, auth=("alice", "pw-a"))
        alice = Client(app.local_url, auth=("alice", "pw-a"), verbose=False)
        bob = Client(app.local_url, auth=("bob", "pw-b"), verbose=False)
        handbook = tmp_path / "handbook.pdf"
        handbook.write_bytes(text_pdf(PAGES))
        outcome, *_ = alice.predict([handle_file(handbook)], api_name="/add_documents")
        assert "Added handbook.pdf." in outcome
        assert (own_store / "uploads" / "alice" / "handbook.pdf").is_file()

        listing, _ = bob.predict(api_name="/list_documents")
        assert listing["data"] in ([], [[""]])
        outcome, *_ = bob.predict("handbook.pdf", api_name="/remove_document")
        assert outcome == "You have no document called handbook.pdf."

        question = "What is form ZX-41 for?"
        bob_reply = bob.predict(question, api_name="/ask")
        alice_reply = alice.predict(question, api_name="/ask")
        assert "handbook.pdf" not in str(bob_reply)
        assert "handbook.pdf" in str(alice_reply) and "p. 1" in str(alice_reply)
    finally:
        app.close()
