"""The `coach` command: index, search, ask and serve. It parses input and calls the same coach objects as the page."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from coach.errors import CoachError, describe_failure
from coach.journal.journal import LOCAL_USER
from coach.progress import terminal_progress
from coach.settings import Settings


def _coach(settings: Settings, args: argparse.Namespace, *, with_model: bool = True, recover: bool = False):
    from coach.service import build_coach

    store = Path(args.store) if getattr(args, "store", None) else None
    if with_model:
        return build_coach(settings, store_dir=store, recover=recover)
    from coach.llm.fake import MockChatModel

    # Indexing and searching never call the model: a placeholder avoids loading one.
    return build_coach(settings, model=MockChatModel(), store_dir=store, recover=recover)


def _ensure_index(coach, settings: Settings) -> None:
    if coach.index.count() == 0:
        report = coach.sync(None, terminal_progress("Indexing guidance"))
        print(report.summary(), file=sys.stderr)


def cmd_index(settings: Settings, args: argparse.Namespace) -> int:
    if args.rebuild:
        import contextlib

        from coach.errors import StoreDamaged
        from coach.guidance.index import open_client, rebuild

        # A store that cannot even be opened is moved aside by `recover` below, and a fresh one built.
        with contextlib.suppress(StoreDamaged):
            rebuild(open_client(settings, Path(args.store) if args.store else None), settings.collection)
    coach = _coach(settings, args, with_model=False, recover=args.rebuild)
    report = coach.sync(Path(args.source) if args.source else None, terminal_progress("Indexing"))
    print(report.summary())
    return 0


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    coach = _coach(settings, args, with_model=False)
    _ensure_index(coach, settings)
    if args.mode:
        coach.retriever.mode = args.mode
    hits = coach.retriever.search(args.query, k=args.k, owner=LOCAL_USER)
    if args.json:
        fields = ("text", "source", "section", "score")
        print(json.dumps([{f: h.as_dict()[f] for f in fields} for h in hits], ensure_ascii=False, indent=2))
        return 0
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. [{hit.score:.4f}] {hit.label}\n   {hit.text[:200].replace(chr(10), ' ')}")
    return 0


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    coach = _coach(settings, args)
    _ensure_index(coach, settings)
    if args.json:
        from coach.chat.headless import turn_as_json
        from coach.tools.when import user_zone

        print(json.dumps(turn_as_json(coach, args.question, user_zone(args.tz)), ensure_ascii=False, indent=2))
        return 0
    from coach.chat.guided import CutOff, answers, grounded

    prompt = grounded(coach, args.question, owner=LOCAL_USER)
    try:
        *_, text = answers(coach, prompt)  # a terminal cannot replace what it printed: the final, checked answer only
    except CutOff as cut:
        raise cut.__cause__ from None  # reported as the failure it is
    print(text, end="", flush=True)
    print("\n\nSources:")
    for number, hit in enumerate(prompt.hits, start=1):
        print(f"  [{number}] {hit.label}")
        for citation in hit.references.splitlines():
            print(f"      source: {citation}")
    from coach.chat.headless import suggested_commands

    for line in suggested_commands(coach, args.question):
        print(f"\nSuggestion: {line}")
    return 0


def _print_tool(output, as_json: bool) -> None:
    if as_json:
        print(json.dumps(output.as_json(), ensure_ascii=False, indent=2, default=str))
    else:
        print(output.markdown)


def _tool_call(build):
    """Run a tool builder, turning pydantic's complaints into a CoachError the CLI prints."""
    from pydantic import ValidationError

    from coach.chat.turn import validation_message
    from coach.errors import InputError

    try:
        return build()
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc


def cmd_draft_ask(settings: Settings, args: argparse.Namespace) -> int:
    from coach.tools.draft_ask import AskRequest, draft_ask, draft_ask_variants

    coach = _coach(settings, args)
    _ensure_index(coach, settings)
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
        output = _tool_call(lambda: draft_ask_variants(AskRequest(**values), model, retriever))
    else:
        output = _tool_call(lambda: draft_ask(AskRequest(**values), model, retriever))
    _print_tool(output, args.json)
    return 0


def cmd_agenda(settings: Settings, args: argparse.Namespace) -> int:
    from coach.tools.agenda import AgendaRequest, build_agenda
    from coach.tools.when import parse_start, user_zone

    coach = _coach(settings, args)
    _ensure_index(coach, settings)

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
        output = _tool_call(build)
    except ValueError as exc:
        raise CoachError(str(exc)) from exc
    for name, text in output.files.items() if args.out else ():
        path = Path(args.out) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    _print_tool(output, args.json)
    return 0


def cmd_plan_conversation(settings: Settings, args: argparse.Namespace) -> int:
    from coach.tools.conversation import ConversationRequest, plan_conversation

    coach = _coach(settings, args)
    _ensure_index(coach, settings)
    output = _tool_call(
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
    _print_tool(output, args.json)
    return 0


def cmd_rehearse(settings: Settings, args: argparse.Namespace) -> int:
    from coach.tools.rehearsal import Persona, feedback, load_transcript, mentor_reply, save_transcript

    coach = _coach(settings, args)
    _ensure_index(coach, settings)
    if args.transcript and args.feedback:
        saved = load_transcript(Path(args.transcript))
        persona = Persona(args.persona or saved.persona or Persona.busy_executive)
        _print_tool(feedback(saved.transcript, persona, coach.answerer.model, coach.retriever), args.json)
        return 0
    persona = Persona(args.persona or Persona.busy_executive)
    transcript: list = []
    print(f"Rehearsal with a {persona.label}. Type /end for feedback.\n", file=sys.stderr)
    print(f"{persona.label}: {mentor_reply(persona, transcript, coach.answerer.model)}\n")
    for line in sys.stdin:
        said = line.strip()
        if said in {"/end", "/feedback"}:
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
        _print_tool(feedback(transcript, persona, coach.answerer.model, coach.retriever), args.json)
    return 0


def cmd_journal(settings: Settings, args: argparse.Namespace) -> int:
    from coach.journal.journal import LOCAL_USER, Journal

    journal = Journal(settings.journal_file, passphrase=settings.journal_passphrase())
    user = args.user or LOCAL_USER
    if args.journal_command == "export":
        if args.format == "json":
            text = json.dumps(journal.export_json(user), ensure_ascii=False, indent=2)
        else:
            text = journal.export_markdown(user)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
            print(f"wrote {args.out}", file=sys.stderr)
        else:
            print(text)
        return 0
    data = Path(args.file).read_text(encoding="utf-8") if args.file != "-" else sys.stdin.read()
    counts = journal.import_json(user, data)
    print("imported " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    return 0


def cmd_forget(settings: Settings, args: argparse.Namespace) -> int:
    from coach.privacy.forget import forget_user

    if not args.yes:
        print(
            f"This deletes ALL data of user {args.user!r}: journal, conversations, feedback, uploaded documents and "
            f"their index entries. Export first with `coach journal export --user {args.user} --out FILE`.",
            file=sys.stderr,
        )
        print("Delete it now? Type 'yes' to confirm: ", end="", file=sys.stderr, flush=True)
        if sys.stdin.readline().strip().lower() not in {"y", "yes"}:
            print("Nothing was deleted.", file=sys.stderr)
            return 1
    coach = _coach(settings, args, with_model=False)
    print(forget_user(settings, coach.journal, coach.index, args.user).summary())
    return 0


def cmd_feedback(settings: Settings, args: argparse.Namespace) -> int:
    from coach.journal.journal import Journal

    with Journal(settings.journal_file, passphrase=settings.journal_passphrase()) as journal:
        lines = list(journal.feedback.json_lines(args.user))
    text = "".join(line + "\n" for line in lines)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {len(lines)} feedback rows to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from coach.ui.page import serve

    serve(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description="Mentor Coach: a grounded mentoring coach.")
    parser.add_argument(
        "--ask-passphrase", action="store_true", help="type the journal's passphrase (encrypts a new journal)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index the knowledge folder (incremental)")
    p.add_argument("--source", help="index this folder instead (default: the built-in guidance and ./knowledge/)")
    p.add_argument("--store", help="Chroma folder (default: the data directory)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and embed everything again")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="show the passages retrieved for a query")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=4, help="how many passages (default 4)")
    p.add_argument("--json", action="store_true", help="print a JSON list of hits")
    p.add_argument("--store", help="Chroma folder (default: the data directory)")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], help="retrieval legs (default: COACH_RETRIEVAL_MODE)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="ask a question; the answer streams, then its sources")
    p.add_argument("question")
    p.add_argument("--store", help="Chroma folder (default: the data directory)")
    p.add_argument("--json", action="store_true", help="print the turn the page would run, as JSON")
    p.add_argument("--tz", help="your time zone, e.g. Europe/Berlin (default: TZ or this machine's)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("draft-ask", help="draft a short, specific message to a prospective mentor")
    p.add_argument("--name", dest="mentor_name", required=True, help="the mentor's name")
    p.add_argument("--role", dest="mentor_role", required=True, help="their role")
    p.add_argument("--admire", dest="admiration", required=True, help="what you admire in their work")
    p.add_argument("--goal", required=True, help="what you want to learn")
    p.add_argument("--kind", dest="ask_kind", choices=["first_conversation", "micro_mentoring", "ongoing"])
    p.add_argument("--minutes", type=int, help="time to ask for (default 20)")
    p.add_argument("--channel", choices=["email", "linkedin"])
    p.add_argument("--variant", choices=["standard", "warmer", "shorter", "formal"])
    p.add_argument("--variants", action="store_true", help="three variants: warmer, shorter, formal")
    p.add_argument("--your-name", dest="your_name")
    p.add_argument("--your-role", dest="your_role")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_draft_ask)

    p = sub.add_parser("agenda", help="a time-boxed agenda, prep checklist and follow-up note")
    p.add_argument("--mentor", required=True)
    p.add_argument("--minutes", type=int, required=True)
    p.add_argument("--start", required=True, help="'next Tuesday at 3pm', YYYY-MM-DD HH:MM or ISO 8601")
    p.add_argument("--tz", help="your time zone, e.g. Europe/Berlin (default: TZ or this machine's)")
    p.add_argument("--goals")
    p.add_argument("--progress")
    p.add_argument("--action", action="append", help="an open action item (repeat)")
    p.add_argument("--question", action="append", help="a question (repeat)")
    p.add_argument("--topic", action="append", help="a main topic (repeat)")
    p.add_argument("--out", help="folder to write agenda.md and meeting.ics into")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_agenda)

    p = sub.add_parser("plan-conversation", help="plan a difficult conversation with a mentor")
    p.add_argument(
        "--scenario",
        required=True,
        choices=[
            "busy_mentor",
            "mismatched_expectations",
            "changing_focus",
            "ending_well",
            "asking_for_sponsorship",
            "not_working",
        ],
    )
    p.add_argument("--mentor", required=True)
    p.add_argument("--context")
    p.add_argument("--outcome")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plan_conversation)

    p = sub.add_parser("rehearse", help="practise with a mentor persona in the terminal, then get feedback")
    p.add_argument(
        "--persona",
        choices=[
            "busy_executive",
            "sceptical_senior",
            "warm_but_vague",
            "sponsorship_candidate",
            "ending_relationship",
        ],
    )
    p.add_argument("--transcript", help="file to save the transcript to, or to read with --feedback")
    p.add_argument("--feedback", action="store_true", help="score the saved --transcript and exit")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rehearse)

    p = sub.add_parser("journal", help="export or import the mentoring journal")
    journal_sub = p.add_subparsers(dest="journal_command", required=True)
    q = journal_sub.add_parser("export", help="print or write the journal (JSON round-trips; Markdown reads well)")
    q.add_argument("--format", choices=["json", "md"], default="json")
    q.add_argument("--out", help="file to write (default: standard output)")
    q.add_argument("--user", help="whose journal (default: the local user)")
    q.set_defaults(func=cmd_journal)
    q = journal_sub.add_parser("import", help="replace the journal with a JSON export")
    q.add_argument("file", help="a JSON export, or - for standard input")
    q.add_argument("--user", help="whose journal (default: the local user)")
    q.set_defaults(func=cmd_journal)

    p = sub.add_parser("forget", help="delete all data of one user (asks first)")
    p.add_argument("--user", required=True, help="whose data (the local user without log-in is 'local')")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_forget)
    p = sub.add_parser("feedback", help="the thumbs up and down given to answers on the page")
    feedback_sub = p.add_subparsers(dest="feedback_command", required=True)
    q = feedback_sub.add_parser("export", help="write them as JSON lines: question, answer, sources, reason")
    q.add_argument("--out", help="file to write (default: standard output)")
    q.add_argument("--user", help="one user's feedback (default: every user's on this machine)")
    q.set_defaults(func=cmd_feedback)

    p = sub.add_parser("serve", help="start the web page")
    p.set_defaults(func=cmd_serve)

    from coach.llm.model_commands import add_model_parser

    add_model_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from coach.journal.cipher import ask_for_passphrase

        return args.func(ask_for_passphrase(Settings(), ask=args.ask_passphrase), args)
    except CoachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(f"error: {describe_failure(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
