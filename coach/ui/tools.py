"""The tool panels of the page: each reads its inputs, calls one tool, and shows text, sources and files."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import gradio as gr
from pydantic import ValidationError

from coach.chat.turn import sources_reply, validation_message
from coach.errors import describe_failure
from coach.privacy.downloads import save_files
from coach.tools import ToolOutput
from coach.tools.agenda import AgendaRequest, build_agenda
from coach.tools.ask_request import AskRequest
from coach.tools.conversation import ConversationRequest, Scenario, plan_conversation
from coach.tools.draft_ask import draft_ask, draft_ask_variants
from coach.tools.rehearsal import ENDS_REHEARSAL, Persona, feedback, mentor_reply
from coach.tools.when import browser_zone, parse_start

if TYPE_CHECKING:
    from coach.service import Coach
    from coach.ui.startup import Startup

T = TypeVar("T")
__all__ = ["agenda_panel", "conversation_panel", "draft_panel", "rehearsal_panel", "save_files"]


def _lines(text: str | None) -> list[str]:
    return [line.strip(" -•*\t") for line in (text or "").splitlines() if line.strip(" -•*\t")]


def _sources_md(output: ToolOutput) -> str:
    return sources_reply(output.hits).content


def _safely(startup: Startup, run: Callable[[Coach], T]) -> tuple[T | None, str | None]:
    """Call a tool with the coach once it has started; bad input, a model failure or a failed start becomes a
    readable message instead of an error page."""
    try:
        return run(startup.wait()), None
    except ValidationError as exc:
        return None, f"⚠️ {validation_message(exc)}"
    except Exception as exc:
        return None, f"⚠️ {describe_failure(exc)}"


def draft_panel(startup: Startup) -> dict[str, gr.Component]:
    with gr.Row():
        name = gr.Textbox(label="Mentor's name", placeholder="Priya Raman")
        role = gr.Textbox(label="Their role", placeholder="head of product at Northwind")
    admiration = gr.Textbox(label="What you admire in their work", placeholder="how you rebuilt onboarding…")
    goal = gr.Textbox(label="What you want to learn", placeholder="how to move from support into product")
    with gr.Row():
        kind = gr.Radio(
            [("A first conversation", "first_conversation"), ("One focused question", "micro_mentoring"),
             ("Ongoing mentoring", "ongoing")],
            value="first_conversation",
            label="Kind of ask",
        )  # fmt: skip
        channel = gr.Radio([("Email", "email"), ("LinkedIn note", "linkedin")], value="email", label="Channel")
        minutes = gr.Number(value=20, precision=0, label="Minutes to ask for")
    with gr.Row():
        your_name = gr.Textbox(label="Your name (optional)")
        your_role = gr.Textbox(label="Your role (optional)")
    with gr.Row():
        go = gr.Button("Draft the message", variant="primary")
        variants = gr.Button("Three variants: warmer, shorter, formal")
    result = gr.Markdown(elem_id="draft-result")
    message = gr.Textbox(label="Draft (copy it from here)", lines=8, buttons=["copy"], interactive=False)
    files = gr.File(label="Download", file_count="multiple")
    with gr.Accordion("📚 Guidance used", open=False):
        sources = gr.Markdown()

    inputs = [name, role, admiration, goal, kind, channel, minutes, your_name, your_role]

    def request(*values: Any) -> AskRequest:
        keys = [
            "mentor_name",
            "mentor_role",
            "admiration",
            "goal",
            "ask_kind",
            "channel",
            "minutes",
            "your_name",
            "your_role",
        ]
        data = {k: v for k, v in zip(keys, values, strict=True) if v not in (None, "")}
        if "minutes" in data:
            data["minutes"] = int(data["minutes"])
        return AskRequest(**data)

    def run_one(*values: Any):
        output, problem = _safely(startup, lambda c: draft_ask(request(*values), c.answerer.model, c.retriever))
        if problem:
            return problem, "", None, ""
        return output.markdown, output.data["message"], save_files(output.files), _sources_md(output)

    def run_variants(*values: Any):
        output, problem = _safely(
            startup, lambda c: draft_ask_variants(request(*values), c.answerer.model, c.retriever)
        )
        if problem:
            return problem, "", None, ""
        texts = "\n\n---\n\n".join(v["message"] for v in output.data["variants"])
        return output.markdown, texts, save_files(output.files), _sources_md(output)

    go.click(run_one, inputs, [result, message, files, sources], api_name="draft_ask")
    variants.click(run_variants, inputs, [result, message, files, sources], api_name="draft_ask_variants")
    return {"name": name, "role": role}


def agenda_panel(startup: Startup, zone: gr.Textbox) -> dict[str, gr.Component]:
    """The agenda form; `zone` is the page's hidden box holding the browser's time zone, in which the start is read
    (and the calendar file written)."""
    with gr.Row():
        mentor = gr.Textbox(label="Mentor's name", placeholder="Priya Raman")
        start = gr.Textbox(label="Start", placeholder="next Tuesday at 3pm, or 2026-12-03 14:30")
        minutes = gr.Number(value=45, precision=0, label="Length in minutes")
    goals = gr.Textbox(label="Goals of the relationship", lines=2)
    progress = gr.Textbox(label="Progress since last time", lines=2)
    with gr.Row():
        actions = gr.Textbox(label="Open action items (one per line)", lines=4)
        questions = gr.Textbox(label="Questions (one per line)", lines=4)
        topics = gr.Textbox(label="Main topics (one per line)", lines=4)
    go = gr.Button("Build the agenda", variant="primary")
    result = gr.Markdown(elem_id="agenda-result", buttons=["copy"])
    files = gr.File(label="Download (Markdown and calendar .ics)", file_count="multiple")
    with gr.Accordion("📚 Guidance used", open=False):
        sources = gr.Markdown()

    def run(mentor_name, start_text, length, goals_text, progress_text, action_text, question_text, topic_text, where):
        def build(coach: Coach) -> ToolOutput:
            req = AgendaRequest(
                minutes=int(length or 0),
                start=parse_start(start_text, browser_zone(where)),
                mentor_name=mentor_name or "",
                goals=goals_text or "",
                progress=progress_text or "",
                action_items=_lines(action_text),
                questions=_lines(question_text),
                topics=_lines(topic_text),
            )
            return build_agenda(req, coach.answerer.model, coach.retriever)

        output, problem = _safely(startup, build)
        if problem:
            return problem, None, ""
        return output.markdown, save_files(output.files), _sources_md(output)

    go.click(
        run,
        [mentor, start, minutes, goals, progress, actions, questions, topics, zone],
        [result, files, sources],
        api_name="agenda",
    )
    return {"mentor": mentor, "progress": progress, "actions": actions}


def conversation_panel(startup: Startup) -> None:
    scenario = gr.Dropdown([(s.label, s.value) for s in Scenario], value=Scenario.busy_mentor.value, label="Situation")
    mentor = gr.Textbox(label="Mentor's name")
    context = gr.Textbox(label="What is going on (optional)", lines=3)
    outcome = gr.Textbox(label="What you want from the conversation (optional)")
    go = gr.Button("Plan the conversation", variant="primary")
    result = gr.Markdown(elem_id="conversation-result", buttons=["copy"])
    files = gr.File(label="Download", file_count="multiple")
    with gr.Accordion("📚 Guidance used", open=False):
        sources = gr.Markdown()

    def run(scenario_value, mentor_name, context_text, outcome_text):
        def plan(coach: Coach) -> ToolOutput:
            req = ConversationRequest(
                scenario=scenario_value,
                mentor_name=mentor_name or "",
                context=context_text or "",
                desired_outcome=outcome_text or "",
            )
            return plan_conversation(req, coach.answerer.model, coach.retriever)

        output, problem = _safely(startup, plan)
        if problem:
            return problem, None, ""
        return output.markdown, save_files(output.files), _sources_md(output)

    go.click(run, [scenario, mentor, context, outcome], [result, files, sources], api_name="plan_conversation")


def rehearsal_panel(startup: Startup) -> None:
    persona = gr.Dropdown(
        [(p.label, p.value) for p in Persona],
        value=Persona.busy_executive.value,
        label="Who do you want to practise with?",
    )
    start = gr.Button("Start (or restart) the rehearsal")
    chat = gr.Chatbot(label="Rehearsal", height=360)
    said = gr.Textbox(
        label="What you say", placeholder="Hi, thanks for making time… (type end for your feedback)", lines=2
    )
    with gr.Row():
        send = gr.Button("Say it", variant="primary")
        end = gr.Button("End and get feedback")
    result = gr.Markdown(elem_id="rehearsal-feedback")
    files = gr.File(label="Download feedback and transcript", file_count="multiple")

    def transcript(history: list[dict]) -> list[dict[str, str]]:
        return [
            {"role": "user" if m["role"] == "user" else "mentor", "content": _text(m.get("content"))}
            for m in history or []
        ]

    def begin(persona_value):
        try:
            opening = mentor_reply(Persona(persona_value), [], startup.wait().answerer.model)
        except Exception as exc:
            gr.Warning(describe_failure(exc))
            return gr.skip(), gr.skip(), gr.skip()
        return [{"role": "assistant", "content": opening}], "", None

    def turn(persona_value, history, text):
        if not (text or "").strip():
            return history, text, gr.skip(), gr.skip()
        if ENDS_REHEARSAL.match(text) and history:  # "end", as in the chat: the feedback, not a line to the mentor
            return history, "", *finish(persona_value, history)
        history = [*(history or []), {"role": "user", "content": text}]
        try:
            answer = mentor_reply(Persona(persona_value), transcript(history), startup.wait().answerer.model)
        except Exception as exc:
            gr.Warning(describe_failure(exc))
            return history[:-1], text, gr.skip(), gr.skip()
        return [*history, {"role": "assistant", "content": answer}], "", gr.skip(), gr.skip()

    def finish(persona_value, history):
        output, problem = _safely(
            startup, lambda c: feedback(transcript(history), Persona(persona_value), c.answerer.model, c.retriever)
        )
        if problem:
            return problem, None
        return output.markdown, save_files(output.files)

    start.click(begin, persona, [chat, result, files], api_name="rehearse_start")
    send.click(turn, [persona, chat, said], [chat, said, result, files], api_name="rehearse_turn")
    said.submit(turn, [persona, chat, said], [chat, said, result, files], api_name=False)
    end.click(finish, [persona, chat], [result, files], api_name="rehearse_feedback")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text") or "")
    return ""
