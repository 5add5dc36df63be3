"""The README's two set-up commands and CI's test command stay the same."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_opens_with_two_commands():
    text = (ROOT / "README.md").read_text()
    commands = readme_commands()
    assert len(commands) >= 2
    assert text.index(commands[0]) < text.index(commands[1]) < text.index("\n- ")
    assert "headwater run params/baseline.toml" in commands[0]
    assert commands[1].endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci


def test_readme_python_example_runs_as_written(tmp_path):
    """The README's Python example, at small n, writes its report (the public API holds)."""
    import subprocess
    import sys

    code = re.search(r"```python\n(.+?)\n```", (ROOT / "README.md").read_text(), re.S).group(1)
    code = code.replace("n=100_000", "n=2_000").replace("n=20_000", "n=1_000")
    code = code.replace('"reports/baseline.html"', repr(str(tmp_path / "example.html")))
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=1800)
    assert (tmp_path / "example.html").stat().st_size > 1_000_000
