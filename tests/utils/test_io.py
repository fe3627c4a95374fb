"""Outputs written whole or not at all, checked against inputs, and folders read as one version."""

import multiprocessing
import os
import secrets
import time

import pytest

from skltransient.utils import atomic_write, check_output, read_folder


def test_atomic_write_renames_the_file_only_when_complete(tmp_path):
    """Check that the destination appears only when the block ends, from a temporary name beside it."""
    out = tmp_path / "table.csv"
    with atomic_write(out) as temporary:
        temporary.write_text("a,b\n")
        assert temporary.parent == tmp_path and temporary.name.startswith(".table.csv.")
        assert not out.exists()
    assert out.read_text() == "a,b\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, ValueError])
@pytest.mark.parametrize("folder", [False, True])
def test_atomic_write_interrupted_leaves_the_previous_output(tmp_path, interrupt, folder):
    """Check that an exception or Ctrl-C in the block removes the temporary and keeps the old output."""
    out = tmp_path / "out"
    with atomic_write(out, folder=folder) as temporary:
        (temporary / "old" if folder else temporary).write_text("old")
    with pytest.raises(interrupt):
        with atomic_write(out, overwrite=True, folder=folder) as temporary:
            (temporary / "new" if folder else temporary).write_text("half")
            raise interrupt("stopped")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (out / "old" if folder else out).read_text() == "old"


def test_atomic_write_refuses_an_existing_output_unless_told_to_overwrite(tmp_path):
    """Check that an existing file or folder is refused without overwrite, an empty folder is used."""
    (tmp_path / "file").write_text("mine")
    with pytest.raises(FileExistsError, match=r"The output '.*file' exists; .*pass overwrite=True"):
        with atomic_write(tmp_path / "file"):
            pass
    assert (tmp_path / "file").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    with atomic_write(tmp_path / "empty", folder=True) as temporary:
        (temporary / "x").write_text("x")
    assert [p.name for p in (tmp_path / "empty").iterdir()] == ["x"]


def test_atomic_write_swaps_a_folder_whole(tmp_path):
    """Check that a folder written over another leaves none of the old files."""
    out = tmp_path / "model"
    with atomic_write(out, folder=True) as temporary:
        (temporary / "card.md").write_text("old card")
        (temporary / "weights").write_text("old")
    with atomic_write(out, folder=True, overwrite=True) as temporary:
        (temporary / "weights").write_text("new")
    assert [p.name for p in out.iterdir()] == ["weights"]
    assert (out / "weights").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_check_output_refuses_an_output_that_is_near_an_input(tmp_path):
    """Check that an output that is, contains, lies inside or links to an input is refused."""
    data = tmp_path / "survey" / "night.parquet"
    data.parent.mkdir()
    data.write_bytes(b"data")
    (tmp_path / "link.parquet").symlink_to(data)
    for out, relation in [(data, "is"), (tmp_path / "link.parquet", "is"),
                          (tmp_path / "survey", "contains"), (data / "part.csv", "lies inside")]:
        with pytest.raises(ValueError, match=rf"The output '.*' {relation} the input '.*night\.parquet'"):
            check_output(out, inputs=[None, "s3://bucket/x", data], overwrite=True)
    assert check_output(tmp_path / "other.csv", inputs=[data]) == tmp_path / "other.csv"


def test_check_output_replaces_only_a_folder_with_a_marker(tmp_path):
    """Check that markers keep a folder of something else from being replaced, even with overwrite."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("...")
    with pytest.raises(ValueError, match=r"'.*notes' exists and is not what this command writes "
                                         r"\(it has none of \['model\.json'\]\)"):
        check_output(tmp_path / "notes", overwrite=True, markers=("model.json",))
    (tmp_path / "notes" / "model.json").write_text("{}")
    assert check_output(tmp_path / "notes", overwrite=True, markers=("model.json",))


def test_read_folder_reads_named_and_optional_files(tmp_path):
    """Check that read_folder gives each file's bytes, None for a missing optional one."""
    (tmp_path / "a").write_bytes(b"1")
    assert read_folder(tmp_path, ["a"], optional=["b"]) == {"a": b"1", "b": None}
    with pytest.raises(FileNotFoundError):
        read_folder(tmp_path, ["a", "b"])
    with pytest.raises(FileNotFoundError):
        read_folder(tmp_path / "absent", ["a"])


def swap_and_read(folder, seconds, barrier, results):
    """Write a folder of two files holding one token, and read it back, for ``seconds``."""
    try:
        barrier.wait()
        end, rounds = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            token = secrets.token_bytes(64) * 1000
            with atomic_write(folder, folder=True, overwrite=True) as temporary:
                (temporary / "first").write_bytes(token)
                (temporary / "second").write_bytes(token)
            files = read_folder(folder, ["first", "second"])
            if files["first"] != files["second"] or len(files["first"]) != len(token):
                raise AssertionError("read two files of different versions")
            rounds += 1
        results.put(rounds)
    except BaseException as error:  # noqa: BLE001 - reported to the test in the parent process
        results.put(f"{os.getpid()}: {type(error).__name__}: {error}")


def test_read_folder_gets_one_version_while_eight_processes_swap_it(tmp_path):
    """Check that 8 processes replacing and reading one folder never read a mixed or missing one."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(8), context.Queue()
    workers = [context.Process(target=swap_and_read, args=(tmp_path / "shared", 2.0, barrier, results))
               for _ in range(8)]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=300) for _ in workers]
    for process in workers:
        process.join()
    assert all(isinstance(outcome, int) and outcome > 0 for outcome in outcomes), outcomes
    assert [p.name for p in tmp_path.iterdir()] == ["shared"]
