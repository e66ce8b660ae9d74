"""Many videos at once: `videolabels index DIR_OR_GLOB --jobs N` (see `videolabels.batch`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from videolabels.batch import expand_inputs, output_names
from videolabels.insights import validate_index


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "videolabels", *args], capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, data_dir) -> Path:
    """Two good clips with the same stem in different folders, one bad file, one non-video."""
    d = tmp_path_factory.mktemp("videos")
    (d / "a").mkdir()
    (d / "b" / "deeper").mkdir(parents=True)
    shutil.copy(data_dir / "carphone_pristine.mp4", d / "a" / "clip.mp4")
    shutil.copy(data_dir / "realshort.mp4", d / "b" / "deeper" / "clip.MP4")
    (d / "broken.mkv").write_text("this is not a video\n" * 20)
    (d / "notes.txt").write_text("not picked: no video extension\n")
    return d


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("videolabels: error:")]


def test_folder_with_two_jobs(folder, tmp_path):
    out = tmp_path / "out"
    result = run("index", str(folder), "--jobs", "2", "-o", str(out))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    written = sorted(p.name for p in out.iterdir())
    # Same stem in two folders: told apart by their folder, neither overwrites the other.
    assert written == ["a_clip.index.json", "deeper_clip.index.json"]
    names = set()
    for path in out.iterdir():
        doc = json.loads(path.read_text())
        validate_index(doc)
        names.add(doc["name"])
    assert names == {"clip.mp4", "clip.MP4"}
    (line,) = errors(result.stderr)
    assert "broken.mkv" in line and "notes.txt" not in result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("Indexed 2 of 3 videos, 1 failed") and "2 jobs" in summary and "real time" in summary


def test_glob_pattern(folder, tmp_path):
    out = tmp_path / "out"
    result = run("index", str(folder / "**" / "*.mp4"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    # Matching is case-sensitive like the shell's: clip.MP4 is not *.mp4.
    assert [p.name for p in out.iterdir()] == ["clip.index.json"]
    assert errors(result.stderr) == []
    assert result.stderr.strip().splitlines()[-1].startswith("Indexed 1 of 1 video:")


def test_glob_that_matches_nothing_is_an_error(folder):
    result = run("index", str(folder / "*.webm"), "--jobs", "2")
    assert result.returncode == 1
    (line,) = errors(result.stderr)
    assert "No file matches" in line


def test_documents_to_stdout_one_per_line(folder, data_dir):
    result = run("index", str(data_dir / "realshort.mp4"), str(folder / "a" / "clip.mp4"), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(d["name"] for d in docs) == ["clip.mp4", "realshort.mp4"]


def test_expand_inputs(folder):
    videos, problems = expand_inputs([folder, folder / "a" / "clip.mp4", folder / "missing.mp4"])
    assert [p.relative_to(folder).as_posix() for p in videos] == ["a/clip.mp4", "b/deeper/clip.MP4", "broken.mkv", "missing.mp4"]
    assert problems == []
    _, problems = expand_inputs([folder / "a" / "*.avi"])
    assert len(problems) == 1 and problems[0].error.startswith("No file matches")


def test_output_names_are_unique():
    paths = [Path("/x/a/clip.mp4"), Path("/y/a/clip.mp4"), Path("/x/b/clip.mp4"), Path("/x/b/clip.mkv"), Path("/z/other.mp4")]
    names = output_names(paths)
    assert len(set(names.values())) == len(paths)
    assert names[Path("/z/other.mp4")] == "other.index.json"
    assert names[Path("/x/b/clip.mkv")] == "x_b_clip.mkv.index.json"
    # A made-up name never takes another video's plain one.
    clash = output_names([Path("/p/a/clip.mp4"), Path("/p/b/clip.mp4"), Path("/q/a_clip.mp4")])
    assert len(set(clash.values())) == 3 and clash[Path("/q/a_clip.mp4")] == "a_clip.index.json"
