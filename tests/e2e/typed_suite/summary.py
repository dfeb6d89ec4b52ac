"""Prints the figures of the last typed-suite run (results/typed_suite/*.json)."""
import json
import sys
from collections import Counter
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[3] / "results" / "typed_suite"


def main() -> int:
    rows = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS.glob("*.json"))]
    if not rows:
        print("no results: run pytest tests/e2e/test_typed_suite.py first")
        return 1
    by_file = Counter(r["file"] for r in rows)
    passed = Counter(r["file"] for r in rows if r["passed"])
    for name in sorted(by_file):
        print(f"{name}: {passed[name]}/{by_file[name]}")
    total = sum(1 for r in rows if r["passed"])
    print(f"passed {total}/{len(rows)} ({total / len(rows):.0%}); traps {sum(r['traps'] for r in rows)}, "
          f"votes never given {sum(r['unexpected_votes'] for r in rows)}, "
          f"conversations with a trap {sum(1 for r in rows if r['traps'])}")
    if "-v" in sys.argv:
        for r in rows:
            if not r["passed"]:
                print(f"- {r['id']}: " + " | ".join(r["failures"])[:400])
    return 0


if __name__ == "__main__":
    sys.exit(main())
