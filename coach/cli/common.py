"""What every `coach` command shares: the coach it works on, and how a tool's result is printed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coach.progress import terminal_progress
from coach.settings import Settings


def coach_for(settings: Settings, args: argparse.Namespace, *, with_model: bool = True, recover: bool = False):
    from coach.service import build_coach

    store = Path(args.store) if getattr(args, "store", None) else None
    if with_model:
        return build_coach(settings, store_dir=store, recover=recover)
    from coach.llm.fake import MockChatModel

    # Indexing and searching never call the model: a placeholder avoids loading one.
    return build_coach(settings, model=MockChatModel(), store_dir=store, recover=recover)


def ensure_index(coach, settings: Settings) -> None:
    if coach.index.count() == 0:
        report = coach.sync(None, terminal_progress("Indexing guidance"))
        print(report.summary(), file=sys.stderr)


def print_tool(output, as_json: bool) -> None:
    if as_json:
        print(json.dumps(output.as_json(), ensure_ascii=False, indent=2, default=str))
    else:
        print(output.markdown)


def tool_call(build):
    """Run a tool builder, turning pydantic's complaints into a CoachError the CLI prints."""
    from pydantic import ValidationError

    from coach.chat.turn import validation_message
    from coach.errors import InputError

    try:
        return build()
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
