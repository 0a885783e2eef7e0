"""provenance.git_state: the same answers as asking git one question at a time."""

from __future__ import annotations

import subprocess

import pytest

from harness.run.provenance import git_state

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
    reason="git is not installed",
)


def git(folder, *args):
    return subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "src" / "train.py").write_text("print(1)\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    return root


def test_a_clean_checkout_from_a_subfolder(repo):
    state = git_state(repo / "src")
    assert state == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "dirty": False,
        "root": git(repo / "src", "rev-parse", "--show-toplevel"),
    }
    assert len(state["commit"]) == 40


def test_a_changed_tracked_file_is_dirty_an_untracked_one_is_not(repo):
    (repo / "notes.txt").write_text("untracked\n")
    assert git_state(repo)["dirty"] is False
    (repo / "src" / "train.py").write_text("print(2)\n")
    assert git_state(repo)["dirty"] is True
    git(repo, "commit", "-qam", "second")
    state = git_state(repo)
    assert state["dirty"] is False and state["commit"] == git(repo, "rev-parse", "HEAD")


def test_no_checkout_or_no_commit_yet_gives_none(tmp_path):
    assert git_state(tmp_path) is None  # tmp_path is not inside a checkout
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    assert git_state(empty) is None  # HEAD names no commit yet
    assert git_state(tmp_path / "missing") is None
