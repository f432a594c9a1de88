"""`coach journal`, `feedback` and `forget`: a user's own data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coach.cli.common import coach_for
from coach.journal.journal import LOCAL_USER
from coach.settings import Settings


def cmd_journal(settings: Settings, args: argparse.Namespace) -> int:
    from coach.journal.journal import Journal

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
    coach = coach_for(settings, args, with_model=False)
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
