from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands(text):
    return [line.strip() for line in text.splitlines() if line.startswith("python3 -m venv")]


def test_readme_has_two_setup_commands_and_ci_runs_the_test_one():
    """Check the README's two set-up commands and that .ci/run runs the test one verbatim."""
    commands = _commands((ROOT / "README.md").read_text())
    assert len(commands) == 2
    assert "pytest" in commands[1]
    assert commands[1] in _commands((ROOT / ".ci" / "run").read_text())
