"""The journal and past conversations as people use them, in Debian's chromium at desktop (1280 px) and phone
(390 px) width, on the real page with two accounts. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import ANSWER, CHROMIUM, CHROMIUM_ARGS, WAIT, message_box, open_tab, shot, visible

from coach.journal.journal import Journal
from coach.llm.fake import MockChatModel
from coach.service import build_coach
from coach.settings import Settings

WIDTHS = [1280, 390]
ACCOUNTS = {"alice": "pw-a", "bob": "pw-b"}


@pytest.fixture(scope="module")
def journal_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("journal-page") / "journal.sqlite3"


@pytest.fixture(scope="module")
def page_url(indexed_store: Path, journal_file: Path, wait_until_started) -> Iterator[str]:
    from coach.ui.page import serve

    users = ",".join(f"{name}:{password}" for name, password in ACCOUNTS.items())
    settings = Settings(
        data_dir=indexed_store, journal_path=journal_file, provider="fake", port=0, users=users, _env_file=None
    )
    app = serve(settings, build_coach(settings, model=MockChatModel(default=ANSWER)), block=False)
    wait_until_started(app.local_url, auth=("alice", ACCOUNTS["alice"]))
    yield app.local_url
    app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def signed_in(browser: Browser, url: str, user: str, width: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(WAIT)
    expect.set_options(timeout=WAIT)
    page.goto(url)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(ACCOUNTS[user])
    page.get_by_role("button", name="Login").click()
    expect(message_box(page)).to_be_visible()
    return page


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def alice(request: pytest.FixtureRequest, browser: Browser, page_url: str) -> Iterator[Page]:
    page = signed_in(browser, page_url, "alice", request.param)
    page.width = request.param  # type: ignore[attr-defined]  # for the screenshot names
    yield page
    page.context.close()


def name(page: Page, what: str) -> str:
    return f"{what} {page.width}"  # type: ignore[attr-defined]


def answers_in(page: Page):
    """Every answer in the chat: each one comes with its sources, whichever words it has."""
    return page.get_by_role("log").get_by_text(re.compile(r"Sources \(\d+\)"))


def ask(page: Page, question: str) -> None:
    answers = answers_in(page)
    before = answers.count()
    message_box(page).fill(question)
    message_box(page).press("Enter")
    expect(answers).to_have_count(before + 1)
    expect(page.get_by_role("button", name="Send")).to_be_visible()


def start_new(page: Page) -> None:
    page.get_by_role("button", name="New conversation").click()
    expect(answers_in(page)).to_have_count(0)


def conversation(page: Page, title: str):
    return page.locator("#conversation-list").get_by_role("radio", name=title)


def open_section(page: Page, title: str) -> None:
    page.get_by_role("button", name=title).click()


def item_row(page: Page, text: str):
    """The checklist line whose words are `text` (the words sit in an editable box)."""
    page.wait_for_function(  # the checklist is drawn again after each change: wait for the line to be in it
        "text => [...document.querySelectorAll('.action-item textarea')].some((box) => box.value === text)", arg=text
    )
    rows = page.locator(".action-item")
    found = [n for n in range(rows.count()) if rows.nth(n).locator("textarea").input_value() == text]
    assert len(found) == 1, f"{len(found)} checklist lines say {text!r}"
    return rows.nth(found[0])


def test_a_ticked_action_item_stays_ticked_after_a_reload(alice: Page):
    text = name(alice, "Send the deck")
    open_tab(alice, "Journal")
    open_section(alice, "Add an action item")
    alice.get_by_label("New action item").fill(text)
    alice.get_by_role("button", name="Add item").click()
    expect(alice.locator("#journal-notice")).to_contain_text("Added the action item")
    row = item_row(alice, text)
    expect(row).to_contain_text("no due date")
    row.get_by_role("checkbox").check()
    expect(alice.locator("#journal-notice")).to_contain_text("Marked done")
    shot(alice, f"20-journal-ticked-{alice.width}")  # type: ignore[attr-defined]

    alice.reload()
    expect(message_box(alice)).to_be_visible()
    open_tab(alice, "Journal")
    expect(item_row(alice, text).get_by_role("checkbox")).to_be_checked()
    expect(item_row(alice, text)).to_contain_text("done")


def test_logging_a_meeting_ends_with_the_follow_up_and_the_mentors_timeline(alice: Page, journal_file: Path):
    mentor = name(alice, "Priya")
    open_tab(alice, "Journal")
    open_section(alice, "Add a mentor")
    alice.get_by_label("Name", exact=True).fill(mentor)
    alice.get_by_label("Role", exact=True).fill("Director of product")
    alice.get_by_label("Cadence").fill("monthly")
    alice.get_by_role("button", name="Add mentor").click()
    card = alice.locator(".mentor-card").filter(has_text=mentor)
    expect(card).to_contain_text("Director of product · monthly")
    expect(card).to_contain_text("Last met: not yet")

    alice.get_by_label("Mentor you met").click()
    alice.get_by_role("option", name=re.compile(re.escape(mentor))).click()
    alice.get_by_label("Your notes from the meeting").fill(
        "We agreed to focus on the product sense interview.\nI'll send the deck by 2026-12-20\n"
        "She'll introduce me to Sam from design"
    )
    alice.get_by_role("button", name="Find decisions and action items").click()
    expect(alice.locator("#debrief-decisions")).to_contain_text("focus on the product sense interview")
    expect(alice.get_by_text("send the deck").first).to_be_visible()
    shot(alice, f"21-log-meeting-found-{alice.width}")  # type: ignore[attr-defined]
    alice.get_by_role("button", name="Save the meeting").click()
    expect(alice.locator("#journal-notice")).to_contain_text(f"Saved the meeting with {mentor} and 2 action item(s)")
    expect(alice.locator("#follow-up textarea")).to_have_value(re.compile(rf"^Hi {mentor},.*send the deck", re.S))

    timeline = alice.locator("#timeline")  # the mentor is open: meetings and their items
    expect(alice.locator("#open-mentor")).to_contain_text(mentor)
    expect(timeline).to_contain_text("Decisions:")
    expect(timeline).to_contain_text("send the deck")
    expect(alice.locator("#journal-notice")).to_contain_text("Saved the meeting")  # drawing it changed nothing
    shot(alice, f"22-log-meeting-saved-{alice.width}")  # type: ignore[attr-defined]

    alice.get_by_role("button", name="Back to all mentors").click()
    card.get_by_role("button", name="Next agenda").click()  # one click from the card to the Agenda tab
    expect(visible(alice.get_by_label("Mentor's name"))).to_have_value(mentor)
    expect(alice.get_by_label("Open action items (one per line)")).to_have_value(re.compile("send the deck"))
    with Journal(journal_file) as journal:
        [saved] = [m for m in journal.list_mentors("alice") if m.name == mentor]
        assert len(journal.list_meetings("alice", mentor_id=saved.id)) == 1


def test_past_conversations_open_rename_and_delete(alice: Page):
    first, second = name(alice, "Cancelling mentor"), name(alice, "Finding a sponsor")
    ask(alice, first)
    expect(conversation(alice, first)).to_be_visible()
    start_new(alice)
    expect(alice.get_by_text(first, exact=True).filter(visible=True)).to_have_count(1)  # only in the list now
    ask(alice, second)
    expect(conversation(alice, second)).to_be_visible()

    # Opened first: the section draws its boxes when it opens, and a box drawn just then can still take the value
    # it was drawn with after Playwright's instant fill (seen ~1 run in 3); no person types within milliseconds.
    open_section(alice, "This conversation")
    conversation(alice, first).check()
    expect(alice.get_by_role("log").get_by_text(first)).to_have_count(1)
    shot(alice, f"23-conversation-opened-{alice.width}")  # type: ignore[attr-defined]
    expect(alice.get_by_label("Title")).to_have_value(first)  # the opened conversation's, ready to change
    alice.get_by_label("Title").fill(name(alice, "Renamed chat"))
    expect(alice.get_by_label("Title")).to_have_value(name(alice, "Renamed chat"))
    alice.get_by_role("button", name="Rename").click()
    expect(conversation(alice, name(alice, "Renamed chat"))).to_be_visible()
    expect(conversation(alice, first)).to_have_count(0)

    alice.reload()  # the browser remembers which conversation is open; the server has its messages
    expect(alice.get_by_role("log").get_by_text(first)).to_have_count(1)
    open_section(alice, "This conversation")
    alice.get_by_role("button", name="Delete", exact=True).click()
    expect(alice.locator("#conversation-notice")).to_contain_text("Deleted")
    expect(conversation(alice, name(alice, "Renamed chat"))).to_have_count(0)
    expect(alice.get_by_role("log").get_by_text(first)).to_have_count(0)
    shot(alice, f"24-conversation-deleted-{alice.width}")  # type: ignore[attr-defined]


def test_searching_conversations_lists_only_the_matching_ones(alice: Page):
    mentoring, salary = name(alice, "Weekly mentoring cadence"), name(alice, "Negotiating salary")
    ask(alice, mentoring)
    start_new(alice)
    ask(alice, salary)
    alice.get_by_label("Search conversations").fill("salary")
    expect(conversation(alice, salary)).to_be_visible()
    expect(conversation(alice, mentoring)).to_have_count(0)
    alice.get_by_label("Search conversations").fill("In short")  # words of an answer (not the question) find it too
    expect(conversation(alice, salary)).to_be_visible()
    expect(conversation(alice, mentoring)).to_be_visible()
    shot(alice, f"25-conversation-search-{alice.width}")  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", WIDTHS, ids=lambda width: f"{width}px")
def test_one_users_conversations_are_invisible_to_another(browser: Browser, page_url: str, width: int):
    secret = f"Alice's private mentoring question {width}"  # a mentoring question: it is answered, with sources
    alice = signed_in(browser, page_url, "alice", width)
    ask(alice, secret)
    expect(conversation(alice, secret)).to_be_visible()
    alice.context.close()

    bob = signed_in(browser, page_url, "bob", width)
    try:
        expect(bob.locator("#conversation-list")).to_be_attached()
        bob.get_by_label("Search conversations").fill("private mentoring question")
        expect(bob.locator("#conversation-list").get_by_role("radio")).to_have_count(0)
        expect(bob.get_by_text(secret)).to_have_count(0)
        shot(bob, f"26-other-user-{width}")
    finally:
        bob.context.close()


def test_a_thumbs_down_with_a_reason_is_kept_with_the_question_and_sources(alice: Page, journal_file: Path):
    question = name(alice, "Is a sponsor the same as a mentor?")
    ask(alice, question)
    alice.get_by_role("log").get_by_role("button", name="Dislike").last.click()
    alice.get_by_label("Thanks. What made this answer good or bad? (optional)").fill("It ignored sponsors")
    alice.get_by_role("button", name="Send the reason").click()
    expect(alice.locator("#feedback-notice")).to_contain_text("Thanks, noted.")
    shot(alice, f"27-feedback-{alice.width}")  # type: ignore[attr-defined]
    with Journal(journal_file) as journal:
        [kept] = [f for f in journal.feedback.list("alice") if f.question == question]
    assert (kept.liked, kept.reason) == (False, "It ignored sponsors")
    last_line = kept.answer.strip().splitlines()[-1].strip("_*")  # its words, without the Markdown emphasis
    expect(alice.get_by_role("log")).to_contain_text(last_line[:60])  # the answer kept is the one shown
    assert "Sources" in kept.sources
