"""`coach draft-ask`, `agenda`, `plan-conversation` and `rehearse`: the coaching tools from a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coach.cli.common import coach_for, ensure_index, print_tool, tool_call
from coach.errors import CoachError
from coach.settings import Settings


def cmd_draft_ask(settings: Settings, args: argparse.Namespace) -> int:
    from coach.tools.ask_request import AskRequest
    from coach.tools.draft_ask import draft_ask, draft_ask_variants

    coach = coach_for(settings, args)
    ensure_index(coach, settings)
    fields = (
        "mentor_name",
        "mentor_role",
        "admiration",
        "goal",
        "ask_kind",
        "minutes",
        "channel",
        "variant",
        "your_name",
        "your_role",
    )
    values = {f: getattr(args, f) for f in fields if getattr(args, f) is not None}
    model, retriever = coach.answerer.model, coach.retriever
    if args.variants:
        output = tool_call(lambda: draft_ask_variants(AskRequest(**values), model, retriever))
    else:
        output = tool_call(lambda: draft_ask(AskRequest(**values), model, retriever))
    print_tool(output, args.json)
    return 0


def cmd_agenda(settings: Settings, args: argparse.Namespace) -> int:
    from coach.tools.agenda import AgendaRequest, build_agenda
    from coach.tools.when import parse_start, user_zone

    coach = coach_for(settings, args)
    ensure_index(coach, settings)

    def build():
        request = AgendaRequest(
            minutes=args.minutes,
            start=parse_start(args.start, user_zone(args.tz)),
            mentor_name=args.mentor,
            goals=args.goals or "",
            progress=args.progress or "",
            action_items=args.action or [],
            questions=args.question or [],
            topics=args.topic or [],
        )
        return build_agenda(request, coach.answerer.model, coach.retriever)

    try:
        output = tool_call(build)
    except ValueError as exc:
        raise CoachError(str(exc)) from exc
    for name, text in output.files.items() if args.out else ():
        path = Path(args.out) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    print_tool(output, args.json)
    return 0


def cmd_plan_conversation(settings: Settings, args: argparse.Namespace) -> int:
    from coach.tools.conversation import ConversationRequest, plan_conversation

    coach = coach_for(settings, args)
    ensure_index(coach, settings)
    output = tool_call(
        lambda: plan_conversation(
            ConversationRequest(
                scenario=args.scenario,
                mentor_name=args.mentor,
                context=args.context or "",
                desired_outcome=args.outcome or "",
            ),
            coach.answerer.model,
            coach.retriever,
        )
    )
    print_tool(output, args.json)
    return 0


def cmd_rehearse(settings: Settings, args: argparse.Namespace) -> int:
    from coach.tools.rehearsal import ENDS_REHEARSAL, Persona, feedback, load_transcript, mentor_reply, save_transcript

    coach = coach_for(settings, args)
    ensure_index(coach, settings)
    if args.transcript and args.feedback:
        saved = load_transcript(Path(args.transcript))
        persona = Persona(args.persona or saved.persona or Persona.busy_executive)
        print_tool(feedback(saved.transcript, persona, coach.answerer.model, coach.retriever), args.json)
        return 0
    persona = Persona(args.persona or Persona.busy_executive)
    transcript: list = []
    print(f"Rehearsal with a {persona.label}. Type /end (or end) for feedback.\n", file=sys.stderr)
    print(f"{persona.label}: {mentor_reply(persona, transcript, coach.answerer.model)}\n")
    for line in sys.stdin:
        said = line.strip()
        if ENDS_REHEARSAL.match(said):
            break
        if not said:
            continue
        transcript.append({"role": "user", "content": said})
        answer = mentor_reply(persona, transcript, coach.answerer.model)
        transcript.append({"role": "mentor", "content": answer})
        print(f"{persona.label}: {answer}\n", flush=True)
    if args.transcript:
        save_transcript(Path(args.transcript), transcript, persona)
    if any(t["role"] == "user" for t in transcript):
        print_tool(feedback(transcript, persona, coach.answerer.model, coach.retriever), args.json)
    return 0
