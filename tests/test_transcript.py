"""The chat exported as Markdown."""

from __future__ import annotations

from coach.chat.transcript import conversation_markdown

HISTORY = [
    {"role": "user", "content": [{"type": "text", "text": "My mentor keeps cancelling."}], "metadata": None},
    {"role": "assistant", "content": [{"type": "text", "text": "Offer shorter check-ins."}], "metadata": None},
    {"role": "assistant", "content": "1. **busy-mentor.md** — Offer…", "metadata": {"title": "📚 Sources (1)"}},
]


def test_turns_are_headed_by_speaker_and_titled_messages_stay_folded():
    assert conversation_markdown(HISTORY) == (
        "# Conversation with Mentor Coach\n\n"
        "## You\n\nMy mentor keeps cancelling.\n\n"
        "## Coach\n\nOffer shorter check-ins.\n\n"
        "<details>\n<summary>📚 Sources (1)</summary>\n\n1. **busy-mentor.md** — Offer…\n\n</details>\n"
    )


def test_a_title_cannot_inject_markup_into_the_summary():
    text = conversation_markdown([{"role": "assistant", "content": "x", "metadata": {"title": "</summary><b>"}}])
    assert "<summary>&lt;/summary&gt;&lt;b&gt;</summary>" in text


def test_a_tools_files_are_named_where_they_came_in_the_chat():
    agenda = [
        {"role": "assistant", "content": "# Mentoring meeting with Sam", "metadata": None},
        {"role": "assistant", "content": [{"type": "file", "file": {"path": "/tmp/x/meeting.ics", "orig_name": None}}]},
    ]
    assert conversation_markdown(agenda).endswith("## Coach\n\n# Mentoring meeting with Sam\n\n📎 _meeting.ics_\n")


def test_an_empty_chat_says_so():
    assert conversation_markdown([]) == "# Conversation with Mentor Coach\n\n_No messages yet._\n"
