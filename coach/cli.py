"""The `coach` command: index, search, ask and serve. It parses input and calls the same coach objects as the page."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from coach.errors import CoachError, describe_failure
from coach.progress import terminal_progress
from coach.settings import Settings


def _coach(settings: Settings, args: argparse.Namespace, *, with_model: bool = True):
    from coach.service import build_coach

    store = Path(args.store) if getattr(args, "store", None) else None
    if with_model:
        return build_coach(settings, store_dir=store)
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    # Indexing and searching never call the model: a placeholder avoids loading one.
    return build_coach(settings, model=FakeListChatModel(responses=[""]), store_dir=store)


def _ensure_index(coach, settings: Settings) -> None:
    if coach.index.count() == 0:
        report = coach.sync(settings.knowledge_dir, terminal_progress("Indexing guidance"))
        print(report.summary(), file=sys.stderr)


def cmd_index(settings: Settings, args: argparse.Namespace) -> int:
    if args.rebuild:
        from coach.index import open_client, rebuild

        rebuild(open_client(settings, Path(args.store) if args.store else None), settings.collection)
    coach = _coach(settings, args, with_model=False)
    report = coach.sync(Path(args.source) if args.source else settings.knowledge_dir, terminal_progress("Indexing"))
    print(report.summary())
    return 0


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    coach = _coach(settings, args, with_model=False)
    _ensure_index(coach, settings)
    if args.mode:
        coach.retriever.mode = args.mode
    hits = coach.retriever.search(args.query, k=args.k)
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
    prompt = coach.answerer.prepare(args.question)
    for piece in coach.answerer.stream(prompt):
        print(piece, end="", flush=True)
    print("\n\nSources:")
    for number, hit in enumerate(prompt.hits, start=1):
        print(f"  [{number}] {hit.label}")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from coach.ui import serve

    serve(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description="Mentor Coach: a grounded mentoring coach.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index the knowledge folder (incremental)")
    p.add_argument("--source", help="folder of .md/.txt guidance (default: knowledge/)")
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
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the web page")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(Settings(), args)
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
