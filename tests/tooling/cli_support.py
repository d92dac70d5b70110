"""Running the CLI in-process in tests: its exit code and output, and the one-line failure rule."""

from __future__ import annotations

import io

import pytest

from arbiter_tools import cli


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`cli.main(argv)`: exit code, stdout, stderr."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_failure(code: int, err: str) -> str:
    """A failure is a non-zero exit and exactly one line on stderr, never a traceback."""
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


class Capture(io.StringIO):
    """An output stream whose text a test reads as `.text`."""

    @property
    def text(self) -> str:
        return self.getvalue()
