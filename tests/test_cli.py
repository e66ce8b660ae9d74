"""The `videolabels` command as a user runs it: outputs, batches, bad input, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from videobuild import audio_only
from videolabels import __version__
from videolabels.insights import validate_index

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "bikes.mp4"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "videolabels", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, data_dir) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.mp4").write_text("this is not a video\n" * 50)
    whole = SAMPLE.read_bytes()
    (d / "truncated.mp4").write_bytes(whole[: len(whole) // 3])
    return {
        "missing": d / "missing.mp4",
        "empty": d / "empty.mp4",
        "text": d / "notes.mp4",
        "truncated": d / "truncated.mp4",
        "audio": audio_only(d / "tone.m4a", "aac"),
        "damaged": data_dir / "Megamind_bugy.avi",
    }


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"videolabels {__version__}"


def test_index_to_file_is_a_valid_document(tmp_path):
    out = tmp_path / "bikes.index.json"
    result = run("index", str(SAMPLE), "-o", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    validate_index(doc)
    names = {lb["name"] for lb in doc["videos"][0]["insights"]["labels"]}
    assert {"car", "person"} <= names
    assert doc["name"] == "bikes.mp4" and doc["durationInSeconds"] == 10


def test_index_to_stdout_when_piped():
    result = run("index", str(SAMPLE), "--include-summarized-insights")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert "summarizedInsights" in doc
    assert result.stderr == ""  # no progress bar, no native library chatter when piped


def test_table_format_lists_labels_and_times():
    result = run("index", str(SAMPLE), "--format", "table")
    assert result.returncode == 0
    assert "car" in result.stdout and "0:00:02" in result.stdout


@pytest.mark.parametrize(
    "kind, fragment",
    [
        ("missing", "does not exist"),
        ("empty", "empty"),
        ("text", "not a video"),
        ("truncated", ""),
        ("audio", "no video"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(bad_files, kind, fragment):
    result = run("index", str(bad_files[kind]))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("videolabels: error: ") and str(bad_files[kind]) in lines[0]
    assert fragment in lines[0].lower()
    assert "Traceback" not in result.stderr


def test_batch_goes_on_past_bad_files(bad_files, tmp_path):
    out = tmp_path / "out"
    result = run(
        "index", str(bad_files["text"]), str(SAMPLE), str(bad_files["damaged"]), str(bad_files["audio"]), "-o", str(out)
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (out / "bikes.index.json").exists()
    errors = [line for line in result.stderr.splitlines() if line.startswith("videolabels: error:")]
    assert any("notes.mp4" in e for e in errors) and any("tone.m4a" in e for e in errors)


def test_damaged_file_never_crashes(bad_files):
    result = run("index", str(bad_files["damaged"]))
    assert "Traceback" not in result.stderr
    if result.returncode == 0:
        validate_index(json.loads(result.stdout))
    else:
        assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1


def test_option_errors_are_usage_errors():
    assert run("index", str(SAMPLE), "--fps", "0").returncode == 2
    assert run("index", str(SAMPLE), "--min-confidence", "1.5").returncode == 2
    assert run("index", str(SAMPLE), "--format", "xml").returncode == 2


def test_labels_lists_the_vocabulary():
    result = run("labels", "--json")
    assert result.returncode == 0
    labels = json.loads(result.stdout)
    by_name = {lb["name"]: lb for lb in labels}
    assert by_name["sunglasses"]["referenceId"] == "device/optical instrument/sunglasses"
    assert by_name["sunglasses"]["synset"] == "04356056-n"
    assert len(labels) > 900


def test_bench_reports_speed_stages_memory_and_baseline():
    result = run("bench", str(SAMPLE), "--json", "--repeat", "2")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["realtime_factor"] > 0 and report["frames_sampled"] == 10
    assert report["peak_rss_mb"] > 50
    assert {"decode_busy", "inference:efficientnet-lite3-int8"} <= set(report["stages_s"])
    assert report["baseline"]["frames_read"] == 250 and report["speedup_vs_baseline"] > 0
    # each stage alone, so the pipeline's overlap of the two can be judged
    alone = report["stages_alone"]
    assert alone["decode_s"] > 0 and alone["models_s"] > 0
    # measured as often as the pipeline, the median run reported
    assert len(alone["decode_runs_s"]) == 2 and alone["decode_s"] in alone["decode_runs_s"]
    assert len(alone["models_runs_s"]) == 2 and alone["models_s"] in alone["models_runs_s"]
    assert alone["pipeline_vs_slower_stage"] == pytest.approx(
        report["wall_s"] / max(alone["decode_s"], alone["models_s"]), abs=0.01
    )
    # and the bound no pipeline beats: both stages' CPU shared out over the cores
    cores = report["machine"]["cores"]
    bound = max(alone["decode_s"], alone["models_s"], (alone["decode_cpu_s"] + alone["models_cpu_s"]) / cores)
    assert alone["cpu_bound_s"] == pytest.approx(bound, abs=0.002)
    assert alone["pipeline_vs_cpu_bound"] == pytest.approx(report["wall_s"] / alone["cpu_bound_s"], abs=0.01)
    assert set(report["machine"]["simd"]) <= {"avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"}
    assert report["cpu_s"] > 0 and report["settings"]["skip_static"] is True
    assert len(report["runs_s"]) == 2 and report["wall_s"] in report["runs_s"]
    assert "commit" in report


def test_bench_reports_name_the_commit_that_measured_them(tmp_path):
    """A report that will stand in README says which version of the code measured it:
    the checkout's commit, marked when the code differs from it; nothing for an installed
    copy, even one lying inside some other repository."""
    from videolabels.bench import source_commit

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True, capture_output=True)

    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "bench.py"
    module.write_text("x = 1\n")
    assert source_commit(module) is None  # not in a repository
    git("init", "-q")
    git("add", "pkg/bench.py")
    git("commit", "-q", "-m", "first")
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert source_commit(module) == head
    module.write_text("x = 2\n")
    assert source_commit(module) == head + "+changes"
    installed = tmp_path / "venv" / "site-packages" / "bench.py"  # untracked, inside the repository
    installed.parent.mkdir(parents=True)
    installed.write_text("x = 1\n")
    assert source_commit(installed) is None


def test_skip_static_can_be_turned_off():
    result = run("index", str(SAMPLE), "--no-skip-static", "--format", "table")
    assert result.returncode == 0, result.stderr


def test_language_translates_label_names_and_still_validates():
    english = json.loads(run("index", str(SAMPLE)).stdout)
    result = run("index", str(SAMPLE), "--language", "ja-JP")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    validate_index(doc)
    insights = doc["videos"][0]["insights"]
    assert insights["language"] == "ja-JP" and all(lb["language"] == "ja-JP" for lb in insights["labels"])
    names = {lb["name"] for lb in insights["labels"]}
    assert "人" in names  # person
    # same labels, same times: only the names change
    times = lambda d: sorted(tuple(i["start"] for i in lb["instances"]) for lb in d["videos"][0]["insights"]["labels"])
    assert times(doc) == times(english)


def test_unknown_language_is_a_usage_error_with_close_matches():
    result = run("index", str(SAMPLE), "--language", "he-IS")
    assert result.returncode == 2
    assert "he-IL" in result.stderr and len(result.stderr.strip().splitlines()) == 1
