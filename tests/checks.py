"""Shared by the Python tests: count checks, print a line for each failure,
and close with the "N passed, N failed" line CI reads."""
import os
import re
import subprocess
import sys
import tempfile

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


def peak_kb(args, cwd, env=None):
    """(exit code, peak memory in KB: the kernel's max RSS) of a command whose
    output is thrown away. Measured by GNU time, which the command is forked
    from: a child's max RSS counts its parent's at the fork (Linux keeps it
    across exec), so a test holding 100,000 names (35 MB) read its own size
    as a small command's peak."""
    if not os.access(TIME, os.X_OK):
        raise SystemExit(f"{TIME} (Debian's 'time') is needed to measure peak memory: scripts/deps installs it")
    with tempfile.NamedTemporaryFile("r", suffix=".kb") as out:
        pr = subprocess.run([TIME, "-q", "-f", "%x %M", "-o", out.name] + list(args), cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        words = out.read().split()
    if len(words) < 2:   # (killed by a signal: GNU time writes no exit code)
        return pr.returncode or 1, 0
    return int(words[-2]), int(words[-1])


TIME = "/usr/bin/time"


def example_template(root, name, *changes):
    """The text of examples/`name` made into a merge template: each (old, new)
    of `changes` replaced once. An `old` the example no longer has stops the
    test, naming it (the example changed under the test)."""
    with open(os.path.join(root, "examples", name), encoding="utf-8") as f:
        s = f.read()
    for old, new in changes:
        if old not in s:
            raise SystemExit(f"examples/{name} no longer has {old!r}: the test must follow it")
        s = s.replace(old, new, 1)
    return s


def text(data):
    return data.decode("utf-8", errors="replace")


def squash(s):
    """Drop all whitespace."""
    return re.sub(r"\s+", "", s)


WORD_RE = re.compile(r'<page |<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def words(pdf, first=None, last=None):
    """[(page, word, xMin, yMin, xMax, yMax)] of every word of `pdf` as
    pdftotext -bbox reads it (pages from 1; `first`/`last` limit the pages,
    and pages keep their own numbers)."""
    args = ["pdftotext", "-bbox"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    out = run(args + [pdf, "-"]).stdout.decode("utf-8", "replace")
    res, page = [], (first or 1) - 1
    for m in WORD_RE.finditer(out):
        if m.group(0) == "<page ":
            page += 1
            continue
        res.append((page, m.group(5), *(float(m.group(i)) for i in range(1, 5))))
    return res


def justified_ends(pdf):
    """Where the justified lines of `pdf` end (pt): each line's rightmost word
    edge (pdftotext -bbox), for the lines that end within 0.5 pt of the
    commonest line end (the right margin). A PDF that places its glyphs where
    the layout put them ends them all within a few hundredths of a point."""
    out = run(["pdftotext", "-bbox", pdf, "-"]).stdout.decode("utf-8", "replace")
    lines, page = {}, 0
    for m in re.finditer(r'<page |xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"', out):
        if m.group(0) == "<page ":
            page += 1
            continue
        key = (page, round(float(m.group(2)), 1))
        lines[key] = max(lines.get(key, 0.0), float(m.group(3)))
    ends = list(lines.values())
    if not ends:
        return []
    buckets = {}
    for e in ends:
        buckets[round(e)] = buckets.get(round(e), 0) + 1
    margin = max(buckets, key=buckets.get)
    return [e for e in ends if abs(e - margin) <= 0.5]


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
