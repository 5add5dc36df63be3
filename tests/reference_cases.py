"""Where the published reference cases live: ``tests/data/reference`` inside the repository.

Each case is a folder named as in the source collection (``05_dampack_herc_icers``, ...); see
``tests/data/reference/README.md`` for each one's origin and licence. The larger tables are
stored gzip-compressed (``*.csv.gz``); pandas and ``decision.load_psa`` read them as they are.
Nothing here looks outside the repository: a missing file is an error, never a skip.
"""

from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "data" / "reference"


def reference_case(name: str) -> Path:
    """The folder of one reference case, e.g. ``reference_case("10_voi_chemo")``."""
    folder = REFERENCE / name
    if not folder.is_dir():
        raise FileNotFoundError(f"reference case {name!r} not found in {REFERENCE}")
    return folder
