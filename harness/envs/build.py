"""Build an environment with uv into ``$HARNESS_HOME/envs/<hash>/``, once.

- **Once:** builders of the same hash take ``envs/.locks/<hash>.lock`` (filelock);
  whoever gets it second finds the folder built and reuses it.
- **Whole or not at all:** the build happens in ``envs/.building-<hash>-<pid>``
  and is renamed into place after its record (``harness-env.json``) is written;
  a failure or Ctrl-C removes it. A builder killed outright leaves the temporary
  folder, which the next builder of that hash (holding the lock, so it knows the
  folder is dead) or ``harness envs prune`` removes. ``uv venv --relocatable``
  keeps the venv working after the rename.
- **Fast when cached:** a built environment is found by one ``stat``; nothing
  runs uv again. The installed package list (``uv pip freeze``) is recorded at
  build time for run provenance.
- **Nothing installed twice:** requirements the harness's own environment already
  meets are reused through the overlay instead of downloaded (``reuse.py``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.envs.errors import EnvironmentBuildError
from harness.envs.resolve import ResolvedEnvironment
from harness.envs.uv import python_of, uv_command, uv_environment
from harness.storage.workspace import atomic_write_json, read_json

RECORD = "harness-env.json"
OVERLAY_PTH = "_harness_overlay.pth"
LAST_USED = ".last-used"
BUILDING_PREFIX = ".building-"


@dataclass
class BuiltEnvironment:
    path: Path
    record: dict[str, Any]
    #: True when this call built it; False when it was already there.
    built_now: bool = False

    @property
    def python(self) -> Path:
        return python_of(self.path)

    @property
    def hash(self) -> str:
        return str(self.record["hash"])

    def provenance(self) -> dict[str, Any]:
        return {
            "name": self.record.get("name"),
            "version": self.record.get("version"),
            "hash": self.hash,
            "python": self.record.get("python"),
            "interpreter": str(self.python),
            "path": str(self.path),
            "requirements": self.record.get("requirements", []),
            "packages": self.record.get("packages", []),
            "from_harness": self.record.get("from_harness", []),
            "definition": self.record.get("definition"),
            **{
                k: self.record[k]
                for k in ("python_requested", "python_note", "direct_requirements", "not_installed")
                if k in self.record
            },
        }


def envs_root(home: Path) -> Path:
    return home / "envs"


def find_built(resolved: ResolvedEnvironment, home: Path) -> BuiltEnvironment | None:
    target = envs_root(home) / resolved.hash
    if (target / RECORD).is_file():
        return BuiltEnvironment(target, _named(read_json(target / RECORD), resolved))
    return None


def ensure_built(
    resolved: ResolvedEnvironment, home: Path, log: Path | None = None, quiet: bool = False
) -> BuiltEnvironment:
    """The built environment for ``resolved``: reused, or built now under the lock."""
    found = find_built(resolved, home)
    if found is not None:
        _touch(found.path / LAST_USED)
        return found
    from filelock import FileLock

    root = envs_root(home)
    (root / ".locks").mkdir(parents=True, exist_ok=True)
    label = resolved.definition.label
    with FileLock(str(root / ".locks" / f"{resolved.hash}.lock")):
        found = find_built(resolved, home)
        if found is not None:  # another run built it while this one waited
            if not quiet:
                print(f"harness: environment {label} ({resolved.hash}) built by another run")
            return found
        for stale in root.glob(f"{BUILDING_PREFIX}{resolved.hash}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # a killed builder's leftovers
        if not quiet:
            print(f"harness: building environment {label} ({resolved.hash}) with uv", flush=True)
        return _build(resolved, home, log)


def _build(resolved: ResolvedEnvironment, home: Path, log: Path | None) -> BuiltEnvironment:
    root = envs_root(home)
    target = root / resolved.hash
    temp = root / f"{BUILDING_PREFIX}{resolved.hash}-{os.getpid()}"
    started = time.perf_counter()
    output: list[str] = []
    try:
        _uv(["venv", "--relocatable", "--quiet", "--python", resolved.interpreter.path,
             str(temp)], home, output)  # fmt: skip
        python = python_of(temp)
        from_harness = _install(resolved, temp, python, home, output)
        if resolved.harness_install:  # another Python: the harness itself, no deps
            _uv(["pip", "install", "--python", str(python), "--no-deps",
                 *resolved.harness_install], home, output)  # fmt: skip
        freeze = _uv(["pip", "freeze", "--python", str(python)], home, output, keep=False)
        # Last, so uv installs and lists only the environment's own packages.
        _write_overlay(temp, resolved)
        record = {
            "hash": resolved.hash,
            "name": resolved.definition.name,
            "version": resolved.definition.version,
            "python": resolved.interpreter.version,
            "interpreter": resolved.interpreter.path,
            "requirements": list(resolved.requirements),
            "build_constraints": list(resolved.build_constraints),
            "overlay": list(resolved.overlay),
            "definition": resolved.definition.to_json(),
            # Everything the job imports from a requirement: the environment's own
            # packages and those reused from the harness's environment.
            "packages": sorted(
                [line for line in freeze.splitlines() if line.strip()] + from_harness,
                key=str.lower,
            ),
            "from_harness": from_harness,
            "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "build_s": round(time.perf_counter() - started, 3),
        }
        atomic_write_json(temp / RECORD, record)
        _touch(temp / LAST_USED)
        os.rename(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        if log is not None and output:
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "a") as handle:
                handle.write("".join(output))
    return BuiltEnvironment(target, _named(record, resolved), built_now=True)


def _install(
    resolved: ResolvedEnvironment, env: Path, python: Path, home: Path, output: list[str]
) -> list[str]:
    """Install the requirements the harness's own packages do not already meet
    (see reuse.py); returns ``name==version`` of what is reused from there."""
    if not resolved.requirements:
        return []
    reused: list[str] = []
    to_install = list(resolved.requirements)
    if resolved.overlay:
        from harness.envs import reuse

        reused, to_install = reuse.split(resolved.requirements, resolved.overlay)
    if to_install:
        _uv_install(resolved, env, python, to_install, home, output)
    if not reused:
        return []
    closure = reuse.unmet_after_install(reused, _site_packages(env), resolved.overlay)
    if not closure.unmet and to_install:
        # The environment's own packages may still break a reused one at import.
        closure.unmet = reuse.failed_imports(reused, python, resolved.overlay)
    if not closure.unmet:
        output.append("reused from the harness's environment: " + ", ".join(reused) + "\n")
        if closure.as_in_harness:
            output.append(
                "unmet in the harness's environment too (not reinstalled): "
                + ", ".join(sorted(set(closure.as_in_harness)))
                + "\n"
            )
        return closure.from_harness
    # The packages installed here would break the reused ones: install everything.
    output.append(
        "not reusing the harness's packages (" + "; ".join(closure.unmet) + "): installing all\n"
    )
    _uv_install(resolved, env, python, list(resolved.requirements), home, output)
    return []


def _uv_install(
    resolved: ResolvedEnvironment,
    env: Path,
    python: Path,
    requirements: list[str],
    home: Path,
    output: list[str],
) -> None:
    install = ["pip", "install", "--python", str(python), *requirements]
    if resolved.build_constraints:
        constraints = env / "build-constraints.txt"
        constraints.write_text("\n".join(resolved.build_constraints) + "\n")
        install[2:2] = ["--build-constraints", str(constraints)]
    _uv(install, home, output)


def _write_overlay(env: Path, resolved: ResolvedEnvironment) -> None:
    """The .pth that makes the harness importable after the environment's own packages."""
    if not resolved.overlay:
        return
    site_packages = _site_packages(env)
    lines = [
        "# Written by the harness: its own packages, after this environment's (see",
        "# harness/envs/resolve.py). The next line is executed by Python's site module.",
        "import site; " + "; ".join(f"site.addsitedir({folder!r})" for folder in resolved.overlay),
    ]
    (site_packages / OVERLAY_PTH).write_text("\n".join(lines) + "\n")


def _site_packages(env: Path) -> Path:
    if sys.platform == "win32":
        return env / "Lib" / "site-packages"
    found = sorted((env / "lib").glob("python*/site-packages"))
    if not found:
        raise EnvironmentBuildError(f"uv created no site-packages folder in {env}")
    return found[0]


def _uv(args: list[str], home: Path, output: list[str], keep: bool = True) -> str:
    from harness.contract.supervise import die_with_parent

    command = [*uv_command(), *args]
    output.append(f"$ uv {' '.join(args)}\n")
    try:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=uv_environment(home),
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - only a prctl call
        )
    except OSError as exc:
        raise EnvironmentBuildError(f"cannot start uv: {exc}") from None
    try:
        stdout, stderr = proc.communicate()
    except BaseException:  # Ctrl-C: stop uv before the caller removes its folder
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    if keep:
        output.append(stdout)
    output.append(stderr)
    if proc.returncode != 0:
        raise EnvironmentBuildError(one_paragraph(stderr or stdout))
    return stdout


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_DECORATION = re.compile(r"^[\s×╰─▶│├╭╮╯]+")


def one_paragraph(text: str) -> str:
    """uv's error as one paragraph: the lines from its first error on, joined."""
    lines = [_DECORATION.sub("", _ANSI.sub("", line)).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        if line.startswith(("error:", "No solution")) or "error" in line.lower():
            lines = lines[index:]
            break
    paragraph = " ".join(lines) or "uv failed without a message"
    paragraph = paragraph.removeprefix("error: ").replace(" cause: ", ": ")
    return "environment build failed: " + paragraph


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):  # a read-only shared environment is still usable
        path.touch()


def _named(record: dict[str, Any], resolved: ResolvedEnvironment) -> dict[str, Any]:
    """A build is shared by every definition with the same content: report the
    name and version this run asked for, not the first builder's."""
    return {
        **record,
        "name": resolved.definition.name,
        "version": resolved.definition.version,
        "definition": resolved.definition.to_json(),
        **resolved.python_request(),
        **resolved.direct_record(),
    }
