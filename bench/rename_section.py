"""Rename a guidance section in every blind label file, so a heading change keeps the labels true.

    python -m bench.rename_section "file.md#Old heading" "file.md#New heading"

Only whole labels are replaced (a JSON string equal to the old label); the questions are not touched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
LABEL_FILES = ("retrieval_eval.jsonl", "retrieval_heldout.jsonl", "common_questions.jsonl", "support_sentences.jsonl")


def rename(old: str, new: str) -> dict[str, int]:
    """Per label file, how many labels were changed."""
    changed: dict[str, int] = {}
    for name in LABEL_FILES:
        path = BENCH / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        count = 0
        out = []
        for line in lines:
            quoted_old = json.dumps(old, ensure_ascii=False)
            if quoted_old in line:
                count += line.count(quoted_old)
                line = line.replace(quoted_old, json.dumps(new, ensure_ascii=False))
            out.append(line)
        path.write_text("".join(out), encoding="utf-8")
        changed[name] = count
    return changed


if __name__ == "__main__":
    old_label, new_label = sys.argv[1:3]
    for file, n in rename(old_label, new_label).items():
        print(f"{file}: {n} label(s) renamed")
