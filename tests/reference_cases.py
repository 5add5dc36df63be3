"""Shared test settings: where the published reference cases live."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def validation_dir() -> Path:
    """``shared/validation`` beside the checkout (as CI lays it out), else the workplace copy."""
    for candidate in (ROOT.parent / "shared" / "validation", Path("/work/shared/validation")):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"reference cases not found beside {ROOT} (expected ../shared/validation)"
    )
