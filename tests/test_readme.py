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


def test_install_page_gives_the_readmes_commands():
    """Check that docs/install.rst gives the README's two set-up commands and docs build, verbatim."""
    readme = (ROOT / "README.md").read_text()
    install = (ROOT / "docs" / "install.rst").read_text()
    assert _commands(readme) == [line.strip() for line in install.splitlines()
                                 if line.strip().startswith("python3 -m venv")]
    docs = 'pip install -e ".[docs]" && python -m sphinx -W -b html docs docs/_build/html'
    assert docs in readme and docs in install
    assert "3.10 or newer" in readme and "3.10 or newer" in install


def test_install_page_lists_every_extra():
    """Check that the extras table of docs/install.rst names every extra of setup.cfg."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    extras = set(config["options.extras_require"])
    install = (ROOT / "docs" / "install.rst").read_text()
    listed = {line.split("``")[1] for line in install.splitlines() if line.startswith("   * - ``")}
    assert listed == extras
