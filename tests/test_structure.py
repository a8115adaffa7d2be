"""Project conventions that a reviewer would otherwise check by hand."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_playground_never_imports_streamlit():
    for path in (ROOT / "playground").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+streamlit", text, re.M), path


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    lines = [line for line in readme.splitlines() if line.startswith("pip install -r requirements-dev.txt")]
    assert len(lines) == 1, "README must give exactly one test command line"
    assert "pytest" in lines[0]
    assert "grep -m1 '^pip install -r requirements-dev.txt' README.md" in (ROOT / ".ci/run").read_text()


def test_no_eval_exec_pickle_in_app_code():
    for path in [*(ROOT / "playground").rglob("*.py"), *(ROOT / "pages").rglob("*.py"), ROOT / "app.py"]:
        if path.exists():
            assert not re.search(r"\b(eval|exec)\(|pickle\.loads?\(", path.read_text()), path
