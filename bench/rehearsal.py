"""Rehearsal feedback against people's scores, and the time of a mentor turn and of feedback on the default setup
(the built-in model's capabilities: code's words, no model call). bench/transcripts (written blind) is where the
detectors were developed; bench/transcripts_heldout was written later by someone else and never read while writing
them: only its aggregate figures are ever printed."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, add
from coach.tools.detect.criteria import CRITERIA, assess
from coach.tools.rehearsal.transcripts import LabelledTranscript, user_turns

DEVELOPMENT = ROOT / "bench" / "transcripts"  # every file was read while writing the detectors
# The c_ files (a third blind set) were first scored untouched, then used for development too.
LATER = "c_"
HELD_OUT = ROOT / "bench" / "transcripts_heldout"  # never read: aggregate figures only


@dataclass
class Agreement:
    scores: dict[str, dict[str, int]]  # file -> criterion -> score
    expected: dict[str, dict[str, int]]
    quality: dict[str, str]

    def mean(self, quality: str) -> float:
        return statistics.mean(s for f, row in self.scores.items() if self.quality[f] == quality for s in row.values())

    @property
    def gap(self) -> float:
        return self.mean("strong") - self.mean("weak")

    def inversions(self) -> list[str]:
        """Each (strong file, weak file, criterion) where the strong one scores lower: across all personas."""
        strong = [f for f, q in self.quality.items() if q == "strong"]
        weak = [f for f, q in self.quality.items() if q == "weak"]
        return [
            f"{s} < {w} on {c}" for s in strong for w in weak for c in CRITERIA if self.scores[s][c] < self.scores[w][c]
        ]

    def same_persona_inversions(self) -> list[str]:
        """The inversions where the strong and the weak transcript rehearse with the same persona."""
        return [i for i in self.inversions() if i.split("_strong_")[0] == i.split(" < ")[1].split("_weak_")[0]]

    def mae(self) -> dict[str, float]:
        return {c: statistics.mean(abs(self.scores[f][c] - self.expected[f][c]) for f in self.scores) for c in CRITERIA}


def evaluate(folder: Path, pattern: str = "*.json", skip: str = "") -> Agreement:
    """Every labelled transcript in `folder` matching `pattern` (and not starting with `skip`)."""
    scores, expected, quality = {}, {}, {}
    for path in sorted(folder.glob(pattern)):
        if skip and path.name.startswith(skip):
            continue
        labelled = LabelledTranscript.model_validate_json(path.read_text(encoding="utf-8"))
        found = assess(user_turns(labelled.transcript))
        scores[path.name] = {c: found[c].score for c in CRITERIA}
        expected[path.name], quality[path.name] = labelled.expected, labelled.quality
    return Agreement(scores, expected, quality)


def _p50(step, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bench_rehearsal(coach) -> None:
    from coach.llm.capabilities import Capabilities
    from coach.llm.fake import MockChatModel
    from coach.tools.detect.semantic import forget
    from coach.tools.rehearsal import Persona, feedback, mentor_reply

    for folder, name in ((DEVELOPMENT, "development"), (HELD_OUT, "held-out")):
        agreement = evaluate(folder)
        mae = agreement.mae()
        add(f"rehearsal feedback: strong − weak mean score ({name} transcripts)", agreement.gap, unit="points",
            goal="≥ 1.5", ok=lambda v: v >= 1.5, runs=len(agreement.scores))  # fmt: skip
        add(f"rehearsal feedback: strong below weak, same persona ({name})", len(agreement.same_persona_inversions()),
            goal="0", ok=lambda v: v == 0, runs=len(agreement.scores))  # fmt: skip
        add(f"rehearsal feedback: strong below weak, across personas ({name})", len(agreement.inversions()),
            runs=len(agreement.scores))  # fmt: skip
        add(f"rehearsal feedback: mean absolute error vs people ({name})", statistics.mean(mae.values()),
            unit="points", runs=len(agreement.scores))  # fmt: skip
        print("   MAE per criterion", name, {c: round(v, 2) for c, v in mae.items()}, flush=True)
    built_in = MockChatModel(capabilities=Capabilities(small=True, json_schema=True, context_window=8192))
    saved = json.loads((DEVELOPMENT / "busy_executive_strong_1.json").read_text(encoding="utf-8"))
    transcript = saved["transcript"]
    query = _p50(lambda: coach.retriever.search("asking a busy mentor for time", k=3))
    turn = _p50(lambda: mentor_reply(Persona.busy_executive, transcript, built_in))
    # Each run reads every sentence afresh (no vectors kept from the run before), as for a transcript never seen.
    scored = _p50(lambda: (forget(), feedback(transcript, Persona.busy_executive, built_in, coach.retriever)), runs=10)
    add("rehearsal: one mentor turn p50 (vs one guidance query)", turn, query, "ms", goal="≤ 1 s",
        ok=lambda v: v <= 1000, runs=30)  # fmt: skip
    add("rehearsal: feedback p50 (vs one guidance query)", scored, query, "ms", goal="≤ 2 s",
        ok=lambda v: v <= 2000, runs=10)  # fmt: skip


if __name__ == "__main__":  # development figures only: the held-out set is for the gate and the bench table
    for name, part in (("all", evaluate(DEVELOPMENT)), ("first 30", evaluate(DEVELOPMENT, skip=LATER)),
                       ("c_", evaluate(DEVELOPMENT, LATER + "*.json"))):  # fmt: skip
        print(name, "gap", round(part.gap, 2), "same persona", part.same_persona_inversions())
        print("   MAE", {c: round(v, 2) for c, v in part.mae().items()}, round(statistics.mean(part.mae().values()), 2))
