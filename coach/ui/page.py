"""The web page (Gradio 6): thin generators over the coach objects; no logic of its own.

The page is served before the coach has started (see coach.ui.startup): handlers wait for it, and the status line
says when it is ready.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

import gradio as gr

from coach.chat.answer import Exchange
from coach.chat.transcript import attachments, message_text
from coach.chat.turn import PROBLEM, STARTING, Reply, reply
from coach.errors import CoachError
from coach.llm.choice import upgrade_hint
from coach.settings import Settings
from coach.ui import privacy as page_privacy
from coach.ui.conversations import past_conversations
from coach.ui.documents import documents_panel
from coach.ui.feedback import answer_feedback
from coach.ui.journal import agenda_prefill, draft_prefill, journal_picker, user_of
from coach.ui.journal_tab import journal_panel
from coach.ui.startup import STARTING_STATUS, Startup
from coach.ui.style import PAGE_CSS
from coach.ui.tools import agenda_panel, conversation_panel, draft_panel, rehearsal_panel, save_files

if TYPE_CHECKING:
    from coach.service import Coach

EXAMPLES = [
    "Help me rehearse how I'll ask a senior engineer I admire to mentor me.",
    "My mentor keeps cancelling our meetings. What should I do?",
    "Suggest an agenda for a 30-minute meeting with my mentor.",
]
WAIT_FOR_START = Reply(
    "The coach is still starting (opening the index, loading the model, indexing what changed in the guidance). "
    "Your message is kept and will be answered as soon as it is ready.",
    title=STARTING,
)

# Gradio puts a text box's copy button inside the box's <label>, and a label names only its first control: the
# button. This names such boxes after their visible label, for screen readers (and keeps doing so as tabs render).
NAME_BOXES_JS = """() => {
  const name = () => document.querySelectorAll("label textarea, label input").forEach((box) => {
    if (box.labels.length || box.hasAttribute("aria-label")) return;
    const text = box.closest("label").querySelector('[data-testid="block-info"]')?.textContent.trim();
    if (text) box.setAttribute("aria-label", text);
  });
  name();
  new MutationObserver(name).observe(document.body, { childList: true, subtree: true });
}"""

BROWSER_ZONE_JS = "() => Intl.DateTimeFormat().resolvedOptions().timeZone"  # the page reads dates in this zone


def to_exchanges(history: list[dict]) -> list[Exchange]:
    """Gradio's history as the chat logic takes it: role, text and the title of a folded message. A tool's download
    (a file message after its result) is left out: the result must stay the last thing said, so that a follow-up
    such as "make it 45 minutes" edits it."""
    return [
        Exchange(
            role=message.get("role", "user"),
            content=message_text(message.get("content")),
            title=(message.get("metadata") or {}).get("title"),
        )
        for message in history or []
        if not (attachments(message.get("content")) and not message_text(message.get("content")))
    ]


def to_gradio(replies: list[Reply]) -> list[gr.ChatMessage]:
    """Chat messages for the replies; a tool's files follow its text as downloadable file messages."""
    messages = []
    for r in replies:
        meta = ({"title": r.title} if r.open else {"title": r.title, "status": "done"}) if r.title else {}
        options = [{"label": label, "value": value} for label, value in r.options]
        messages.append(gr.ChatMessage(content=r.content, metadata=meta, options=options))
        messages += [gr.ChatMessage(content={"path": path}) for path in save_files(r.files)] if r.files else []
    return messages


def make_responder(startup: Startup):
    def respond(
        message: str, history: list[dict], zone: str | None = None, request: gr.Request = None
    ) -> Iterator[list[gr.ChatMessage]]:
        """Stream the reply to one chat message (answer and sources, a tool's result, or a rehearsal turn), with dates
        read in the browser's time zone. While the coach is still starting, a notice stands in for the reply until it
        comes; the message stays in the chat."""
        from coach.tools.when import browser_zone

        if not startup.ready:
            yield to_gradio([WAIT_FOR_START])
        try:
            coach = startup.wait()
        except CoachError as exc:
            yield to_gradio([Reply(f"⚠️ {exc}", title=PROBLEM)])
            return
        for replies in reply(coach, message, to_exchanges(history), user_of(request), browser_zone(zone)):
            yield to_gradio(replies)

    return respond


def browser_secret(settings: Settings) -> str:
    """The key the saved conversation is encrypted with in the browser, kept in the data folder so a conversation
    survives a restart of the app (a fresh key per start would make the saved one unreadable)."""
    path = settings.data_dir / "browser-state.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def build_app(startup: Startup) -> gr.Blocks:
    """The page over a coach that may still be starting: nothing here waits for it, only the handlers do."""
    settings = startup.settings
    limit = 1 if settings.resolved_provider() == "local" else 16
    with gr.Blocks(
        title="Mentor Coach", analytics_enabled=False, delete_cache=page_privacy.delete_cache(settings)
    ) as app:
        gr.Markdown(
            "# Mentor Coach\nAsk about finding a mentor or getting more from one, or use a tool below. "
            "Answers come from the guidance, with the passages shown under each answer."
        )
        status = gr.Markdown(STARTING_STATUS, elem_id="status-line")
        app.load(startup.status_line, None, status, api_name="status", show_progress="hidden")
        if settings.resolved_provider() != "openai":
            hint = upgrade_hint(settings)  # names `coach model pull/use` and the model in use
            gr.Markdown(  # folded: on a phone the hint would fill the first screen
                f"<details><summary>💡 Better wording from a stronger model</summary>\n\n{hint} See “Using a stronger "
                "model” in the README.\n\n</details>",
                elem_id="upgrade-hint",
            )
        banner = gr.Markdown(elem_id="reminders")
        with gr.Tabs() as tabs:
            with gr.Tab("Ask", id="ask"), gr.Row(equal_height=False):
                chat_column = gr.Column(scale=3, min_width=320)
                with gr.Column(scale=1, min_width=240, elem_id="conversations"):
                    conversations_slot = gr.Column()
                with chat_column:
                    zone = gr.Textbox("", label="Your time zone", visible="hidden", elem_id="browser-zone")
                    app.load(None, None, zone, js=BROWSER_ZONE_JS, api_visibility="private", queue=False)
                    chat = gr.ChatInterface(
                        fn=make_responder(startup),
                        chatbot=gr.Chatbot(
                            label="Conversation",
                            height=520,
                            buttons=["copy"],
                            placeholder="Ask the coach…",
                            sanitize_html=True,  # model and user text may carry HTML; it is shown, never run
                        ),
                        textbox=gr.Textbox(  # one line growing to 8: Enter sends, Shift+Enter starts a new line
                            label="Your message",
                            placeholder="e.g. My mentor keeps cancelling…",
                            lines=1,
                            max_lines=8,
                            submit_btn="Send",
                            stop_btn="Stop",
                        ),
                        examples=[[example] for example in EXAMPLES],
                        additional_inputs=[zone],
                        run_examples_on_click=True,
                        cache_examples=False,
                        api_name="ask",
                        concurrency_limit=limit,
                        analytics_enabled=False,
                    )
                    with conversations_slot:
                        kept = past_conversations(startup, app, chat, browser_secret(settings))
                    answer_feedback(startup, chat, kept)
            with gr.Tab("Draft an ask", id="draft"):
                picker_slot = gr.Column()
                draft = draft_panel(startup)
                with picker_slot:
                    journal_picker(startup, app, [draft["name"], draft["role"]], draft_prefill)
            with gr.Tab("Agenda", id="agenda"):
                picker_slot = gr.Column()
                agenda = agenda_panel(startup, zone)
                with picker_slot:
                    journal_picker(
                        startup, app, [agenda["mentor"], agenda["progress"], agenda["actions"]], agenda_prefill
                    )
            with gr.Tab("Difficult conversation", id="conversation"):
                conversation_panel(startup)
            with gr.Tab("Rehearse", id="rehearse"):
                rehearsal_panel(startup)
            with gr.Tab("Journal", id="journal"):
                journal_panel(startup, app, banner, agenda=agenda, tabs=tabs)
            with gr.Tab("Your guidance", id="documents"):
                documents_panel(startup, app)
        with gr.Accordion("Model and index", open=False):
            reindex = gr.Button("Re-index the guidance")

            def run_reindex(request: gr.Request, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
                try:
                    page_privacy.require_admin(settings, user_of(request), "re-index the guidance")
                    coach = startup.wait()
                except CoachError as exc:
                    return f"⚠️ {exc}"
                try:
                    report = coach.sync(progress=lambda done, total: progress((done, max(total, 1)), unit="chunks"))
                except CoachError as exc:
                    return f"{coach.status_line()}\n\n⚠️ {exc}"
                return f"{coach.status_line()}\n\n{report.summary()}"

            reindex.click(run_reindex, outputs=status, api_name="reindex", concurrency_limit=1)
        page_privacy.my_data_panel(startup, chat, kept)
    return app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings, coach: Coach | None = None, *, block: bool = True) -> gr.Blocks:
    """Serve the page on settings.host:port (127.0.0.1 unless told otherwise), then start the coach behind it:
    build it unless given, and index what changed (coach.ui.startup). Handlers wait for it; `/status` says
    when ready."""
    accounts = settings.accounts()
    if not is_loopback(settings.host) and not accounts:
        raise CoachError(
            f"Refusing to listen on {settings.host} without log-in: set COACH_USERS='name:password,…' "
            "or keep COACH_HOST=127.0.0.1."
        )
    startup = Startup(settings, coach)
    private = page_privacy.use_private_folder(settings)  # before the page is built: its components read it
    app = build_app(startup)
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=settings.host,
        server_port=settings.port or None,
        share=False,
        prevent_thread_lock=True,
        show_error=False,
        quiet=not block,
        auth=page_privacy.login_check(settings) if accounts else None,
        app_kwargs=page_privacy.app_kwargs(),
        js=NAME_BOXES_JS,
        css=PAGE_CSS,
        auth_message="Mentor Coach: sign in to see your own journal." if accounts else None,
        footer_links=["api"],
    )
    startup.start()
    page_privacy.Sweeper(private, settings.download_max_age).start()
    if block:
        app.block_thread()
    return app
