"""The real page, served by Gradio on loopback and driven through gradio_client."""

from __future__ import annotations


def _final(job):
    outputs = list(job)
    return outputs, job.result()


def test_question_streams_an_answer_with_its_sources(served):
    client, _ = served("Offer shorter check-ins and keep them focused.")
    job = client.submit("My mentor keeps cancelling our meetings, what should I do?", api_name="/ask")
    updates, result = _final(job)
    answer, sources = result
    assert answer["content"] == "Offer shorter check-ins and keep them focused."
    partial = [update[0]["content"] for update in updates]
    assert len(set(partial)) >= 3, "the answer should arrive in several streamed updates"
    assert all(answer["content"].startswith(p) for p in partial), "each update extends the previous one"
    assert sources["metadata"]["title"].startswith("📚 Sources")
    assert "busy-mentor.md" in str(sources["content"])


def test_empty_message_gets_a_clear_message(served):
    client, _ = served("unused")
    result = client.predict("   ", api_name="/ask")
    assert "empty" in str(result).lower()


def test_history_reaches_the_model_without_source_lists(served):
    client, coach = served("First answer.", "Second answer.")
    first = client.predict("How do I find a mentor?", api_name="/ask")
    history = [{"role": "user", "content": "How do I find a mentor?"}, *first]
    client.predict("And how often should we meet?", history, api_name="/ask")
    sent = coach.answerer.model.sent[-1]
    assert [m.type for m in sent] == ["system", "human", "ai", "human"]
    assert sent[2].content == "First answer."
