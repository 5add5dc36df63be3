"""``python -m model`` and the ``headwater`` console script: the command line, with Ctrl-C
during start-up (while the imports run) ending in one line instead of a traceback."""

import sys


def entry() -> int:
    """Import the command line and run it; exit code 130 if interrupted while importing."""
    try:
        from model.cli import main
    except KeyboardInterrupt:
        print("headwater: interrupted", file=sys.stderr)
        return 130
    return main()


if __name__ == "__main__":
    sys.exit(entry())
