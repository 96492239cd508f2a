#!/usr/bin/env python3
"""Regenerate src/mapforge/bench/data/mbpp-sanitized.jsonl (the `mbpp` suite of `mapforge bench`).

Source: MBPP, "Mostly Basic Python Problems" (Austin et al., 2021, "Program Synthesis with Large Language
Models"), file mbpp/sanitized-mbpp.json of the public repository https://github.com/google-research/google-research
(the hand-verified subset, 427 problems). The repository is licensed Apache-2.0; the MBPP data set is
released under CC BY 4.0 (attribution: Google Research, Austin et al. 2021). This script keeps the
evaluation split its README specifies (task ids 11-510: 257 problems) and these fields of each record:
task_id, prompt, code (the reference solution, used only to check the harness), test_imports, test_list.

Usage:
    python scripts/import-mbpp.py SOURCE [--out FILE]

SOURCE is a local copy of sanitized-mbpp.json (from a clone of the repository) or its raw URL. The copy used
for the committed file parsed to the same JSON as google-research's file: sha256 of json.dumps(records) is
ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9 (the script prints the hash it sees).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.request
from pathlib import Path

EXPECTED_SHA256 = "ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9"
OUT = Path(__file__).resolve().parent.parent / "src/mapforge/bench/data/mbpp-sanitized.jsonl"
FIELDS = ("task_id", "prompt", "code", "test_imports", "test_list")


def read(source: str) -> list[dict]:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=60) as r:  # noqa: S310 (a URL the user names)
            text = r.read().decode("utf-8")
    else:
        text = Path(source).read_text(encoding="utf-8")
    return json.loads(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="path or URL of mbpp/sanitized-mbpp.json")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    records = read(args.source)
    digest = hashlib.sha256(json.dumps(records).encode()).hexdigest()
    same = "matches" if digest == EXPECTED_SHA256 else "DIFFERS from"
    print(f"{args.source}: {len(records)} records, sha256 {digest} ({same} the copy the committed file came from)",
          file=sys.stderr)
    test = sorted((r for r in records if 11 <= int(r["task_id"]) <= 510), key=lambda r: int(r["task_id"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for r in test:
            f.write(json.dumps({k: r[k] for k in FIELDS}) + "\n")
    print(f"wrote {len(test)} problems (task ids 11-510) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
