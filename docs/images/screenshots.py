"""Regenerate the dashboard screenshots in docs/images/ from real work.

    .venv/bin/python docs/images/screenshots.py        # ~2 minutes on 2 cores

A fresh workspace gets what a user's first afternoon makes: a scikit-learn sweep
over C (`harness train -m`), script runs that log learning curves (one in an
environment of its own), the best run's model registered, a datastore upload.
Then the real `harness ui` serves it and Debian's Chromium (Playwright)
photographs each page at 1280 px. Nothing is drawn by hand: a screenshot that
looks wrong is a page that is wrong.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESS = str(Path(sys.executable).with_name("harness"))
CHROMIUM = "/usr/bin/chromium"

CURVE_SCRIPT = """
import argparse, math, os, time
from harness import Run
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.01)
p.add_argument("--epochs", type=int, default=60)
a = p.parse_args()
run = Run.get_context()
for epoch in range(a.epochs):
    loss = 2.0 * math.exp(-a.lr * 40 * epoch) + 0.05 * math.sin(epoch) ** 2 + 0.1
    run.log("loss", loss)
    run.log("val_accuracy", 1 - loss / 2.5)
    print(f"epoch {epoch}: loss={loss:.4f}", flush=True)
    time.sleep(0.02)
os.makedirs("outputs", exist_ok=True)
with open("outputs/metrics.json", "w") as f:
    f.write('{"final_loss": %.4f}' % loss)
"""


def harness(home: Path, *args: str) -> str:
    env = dict(os.environ, HARNESS_HOME=str(home))
    done = subprocess.run([HARNESS, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"harness {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def make_workspace(home: Path, work: Path) -> dict[str, str]:
    sweep = harness(home, "train", "-m", "experiment=digits", "estimator.C=0.01,0.1,1,10")
    sweep_id = re.search(r"sweep id: (\S+)", sweep).group(1)  # type: ignore[union-attr]
    (work / "src").mkdir()
    (work / "src" / "train.py").write_text(textwrap.dedent(CURVE_SCRIPT))
    curves = []
    for lr in ("0.003", "0.01", "0.03"):
        out = harness(
            home, "train", "+estimator=script", f"estimator.source_directory={work / 'src'}",
            "estimator.entry_script=train.py", "experiment=curves",
            f"+estimator.script_params.lr={lr}",
            *(["+estimator.environment.pip_packages=[tqdm]"] if lr == "0.03" else []),
        )  # fmt: skip
        curves.append(re.search(r"run id: (\S+)", out).group(1))  # type: ignore[union-attr]
    best = json.loads(harness(home, "sweeps", "best", sweep_id, "--format", "json"))
    harness(
        home, "models", "register", "digits-logreg", "--run", best["run_id"],
        "--path", "outputs/model.joblib",
    )  # fmt: skip
    data = work / "data"
    data.mkdir()
    (data / "train.csv").write_text("x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(50)))
    harness(home, "datastore", "upload", str(data), "--target", "digits")
    return {"sweep": sweep_id, "run": curves[1], "compare": ",".join(curves)}


def photograph(home: Path, ids: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    env = dict(os.environ, HARNESS_HOME=str(home))
    server = subprocess.Popen([HARNESS, "ui"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        url = ""
        assert server.stdout is not None
        for line in server.stdout:
            found = re.search(r"(http://\S+/\?token=\S+)", line)
            if found:
                url = found.group(1)
                break
        if not url:
            raise SystemExit("harness ui did not print its URL")
        pages = {
            "runs": "#/runs?cols=metrics.accuracy,metrics.val_accuracy,metrics.loss,params.estimator.C",
            "run": f"#/runs/{ids['run']}",
            "compare": f"#/compare?ids={ids['compare']}",
            "sweep": f"#/sweeps/{ids['sweep']}",
            "model": "#/models/digits-logreg",
            "models": "#/models",
            "datastore": "#/datastores/default",
            "environments": "#/environments",
            "bench": "#/bench",
        }
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(url)
            for name, hash_ in pages.items():
                page.goto(url.split("#")[0] + hash_)
                section = hash_[2:].split("/")[0].split("?")[0]
                page.locator(f'body[data-page^="{section}"]').wait_for()
                page.wait_for_timeout(800)  # charts draw after the data arrives
                page.screenshot(path=str(HERE / f"ui-{name}.png"))
                print(f"docs/images/ui-{name}.png")
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)  # as Ctrl-C would stop it
        server.wait(10)


def main() -> None:
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")
    work = Path(tempfile.mkdtemp(prefix="harness-screenshots-"))
    try:
        home = work / "home"
        ids = make_workspace(home, work)
        photograph(home, ids)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
