"""`coach index`, `search`, `ask` and `serve`: the guidance and the answers from it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from coach.cli.common import coach_for, ensure_index
from coach.journal.journal import LOCAL_USER
from coach.progress import terminal_progress
from coach.settings import Settings


def cmd_index(settings: Settings, args: argparse.Namespace) -> int:
    if args.rebuild:
        import contextlib

        from coach.errors import StoreDamaged
        from coach.guidance.index import rebuild
        from coach.guidance.store import open_client

        # A store that cannot even be opened is moved aside by `recover` below, and a fresh one built.
        with contextlib.suppress(StoreDamaged):
            rebuild(open_client(settings, Path(args.store) if args.store else None), settings.collection)
    coach = coach_for(settings, args, with_model=False, recover=args.rebuild)
    report = coach.sync(Path(args.source) if args.source else None, terminal_progress("Indexing"))
    print(report.summary())
    return 0


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    coach = coach_for(settings, args, with_model=False)
    ensure_index(coach, settings)
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
    coach = coach_for(settings, args)
    ensure_index(coach, settings)
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
    if prompt.out_of_scope:
        print()
        return 0
    print("\n\nSources:")
    for number, hit in enumerate(prompt.hits, start=1):
        print(f"  [{number}] {hit.label}")
        for citation in hit.references.splitlines():
            print(f"      source: {citation}")
    from coach.chat.headless import suggested_commands

    for line in suggested_commands(coach, args.question):
        print(f"\nSuggestion: {line}")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from coach.ui.page import serve

    serve(settings)
    return 0
