"""Shared by the Python tests: count checks, print a line for each failure,
and close with the "N passed, N failed" line CI reads."""
import os
import re
import subprocess
import sys

_counts = {"passed": 0, "failed": 0}


def check(ok, what, detail=""):
    """Count one check; print a line if it failed. Returns ok."""
    if ok:
        _counts["passed"] += 1
    else:
        _counts["failed"] += 1
        print(f"FAIL {what}" + (f": {detail}" if detail != "" else ""))
    return ok


def failures():
    return _counts["failed"]


def finish():
    """Print the closing line and exit 0 only if nothing failed."""
    print(f"{_counts['passed']} passed, {_counts['failed']} failed")
    sys.exit(1 if _counts["failed"] else 0)


def run(args, env=None):
    """Run a command; never raises (a missing tool is a failed run, rc 127)."""
    try:
        return subprocess.run(args, capture_output=True, env=env)
    except OSError as e:
        return subprocess.CompletedProcess(args, 127, b"", str(e).encode())


def text(data):
    return data.decode("utf-8", errors="replace")


def squash(s):
    """Drop all whitespace."""
    return re.sub(r"\s+", "", s)


class Workdir:
    """The temp dir a command runs in."""

    def __init__(self, path, mkletter):
        self.path, self.mkletter = path, mkletter

    def file(self, name):
        return os.path.join(self.path, name)

    def write(self, name, content):
        with open(self.file(name), "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        return name

    def read(self, name):
        with open(self.file(name), "rb") as f:
            return f.read()

    def listing(self):
        return set(os.listdir(self.path))
