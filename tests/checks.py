"""Shared by the Python tests: count checks, print a line for each failure,
and close with the "N passed, N failed" line CI reads."""
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
