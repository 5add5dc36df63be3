"""The house rules of docs/architecture.md: arrows one way, no private name crossing a module,
and a light ``import model``."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "model"
#: What each layer may import from the package, besides itself and model.errors.
ALLOWED = {
    "inputs": set(),
    "regulation": set(),
    "analysis": set(),
    "study": {"inputs", "regulation", "analysis"},
    "report": {"inputs", "regulation", "analysis", "study"},
}


def _imports(path: Path):
    """(module imported, names imported) for every import in a file, nested ones included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_arrows_point_one_way(path):
    layer = path.relative_to(PACKAGE).parts[0]
    if layer not in ALLOWED:  # cli.py, errors.py, __init__.py, __main__.py
        return
    for module, _ in _imports(path):
        parts = module.split(".")
        if parts[0] != "model" or len(parts) < 2 or parts[1] in (layer, "errors"):
            continue
        assert parts[1] in ALLOWED[layer], f"{path.name}: layer {layer} imports {module}"


@pytest.mark.parametrize(
    "path", [*MODULES, *sorted((ROOT / "tests").rglob("*.py"))], ids=lambda p: p.name
)
def test_no_private_name_is_imported_from_the_package(path):
    for module, names in _imports(path):
        if module.split(".")[0] == "model" and module != "__future__":
            private = [n for n in names if n.startswith("_")]
            assert not private, f"{path.name} imports {private} from {module}"


def test_import_model_stays_light():
    code = (
        "import sys, model\n"
        "model.simulate, model.analyse, model.load_params, model.decision, model.sweep\n"
        "print(sorted(m for m in ('plotly', 'jinja2', 'dask', 'distributed') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
