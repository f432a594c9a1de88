"""The `coach` command: index, search, ask and serve. It parses input and calls the same coach objects as the page."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from coach.cli.data import cmd_feedback, cmd_forget, cmd_journal
from coach.cli.guidance import cmd_ask, cmd_index, cmd_search, cmd_serve
from coach.cli.tools import cmd_agenda, cmd_draft_ask, cmd_plan_conversation, cmd_rehearse
from coach.errors import CoachError, describe_failure
from coach.settings import Settings


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
