"""A user's training script, as script mode runs it (argparse, harness.Run)."""

import argparse
from pathlib import Path

from harness import Run

parser = argparse.ArgumentParser()
parser.add_argument("--score", type=float, default=0.75)
args = parser.parse_args()

run = Run.get_context()
run.log("accuracy", args.score)
Path("outputs").mkdir(exist_ok=True)
Path("outputs/result.txt").write_text(f"{args.score}\n")
