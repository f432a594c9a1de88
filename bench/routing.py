"""Routing: held-out accuracy and tool-request recall of the intent classifier, and its latency per message beside
one bare embedding of the same message (the baseline, measured in the same run)."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from coach.chat.intents import IntentClassifier
from coach.chat.router import prior_intent
from coach.guidance.embedding import LocalMiniLM

HELD_OUT = Path(__file__).parent / "intents_heldout.jsonl"


def main() -> None:
    embed = LocalMiniLM()
    embed(["warm up"])
    started = time.perf_counter()
    classifier = IntentClassifier(embed)
    load = time.perf_counter() - started
    rows = [json.loads(line) for line in HELD_OUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    routed, bare, right, tools, found = [], [], 0, 0, 0
    for row in rows:
        t = time.perf_counter()
        embed([row["text"]])
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        intent = classifier.guess(row["text"], prior_intent(row["text"])).intent.value
        routed.append(time.perf_counter() - t)
        right += intent == row["intent"]
        if row["intent"] != "ask":
            tools += 1
            found += intent != "ask"
    r, b = statistics.median(routed) * 1000, statistics.median(bare) * 1000
    print(f"held-out: {len(rows)} messages, accuracy {right / len(rows):.3f}, tool-request recall {found / tools:.3f}")
    print(f"classifier load (cached weights): {load * 1000:.0f} ms")
    print(f"routing per message: median {r:.1f} ms; bare embedding {b:.1f} ms; ratio {r / b:.2f}")


if __name__ == "__main__":
    main()
