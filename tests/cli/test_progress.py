#!/usr/bin/env python3
"""The progress line of a merge covers the whole run: it says 100 % once, as
its last figure, and only once the files are in place.

A merge that takes longer than a second prints "mkletter: DONE/TOTAL copies
made (P%)" lines on standard error, and a combined file's last step is its
final write (fonts, page tree, cross-reference) and rename. So the write of
the "(100%)" line must come after the rename of the output into place, read
in the order the kernel saw them (strace), for a combined file and for one
file per row, with -j 1 and -j 2. The figures before it rise and stay below
100. The merge grows (x4, from 1,500 rows) until it takes long enough to
print progress, so a fast machine and a sanitizer build test the same.

usage: test_progress.py MKLETTER REPO_ROOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

mkl = os.path.abspath(sys.argv[1])
if not check(shutil.which("strace") is not None, "strace is installed (scripts/deps installs it)"):
    finish()

LETTER = ('---\nsubject: "For {{name}}"\nto: |\n  {{name}}\n  Seoul\nopening: "Dear {{name}},"\n---\n\n'
          "We write to you, {{name}}, about the meeting.\n")
# (LeakSanitizer cannot run under ptrace; the other tests look for leaks)
ENV = dict(os.environ, SOURCE_DATE_EPOCH="1600000000",
           ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
MOST_ROWS = 96000


def traced(work, rows, out, jobs):
    """(exit code, the progress figures in order, index of the 100 % write,
    index of the last rename into place) of a traced merge of `rows` rows."""
    with open(os.path.join(work, "people.csv"), "w") as f:
        f.write("name\n" + "".join(f"Person {i}\n" for i in range(rows)))
    trace = os.path.join(work, "trace.txt")
    r = subprocess.run(["strace", "-f", "-s", "256", "-e", "trace=write,rename,renameat,renameat2", "-o", trace,
                        mkl, "letter.md", "--merge", "people.csv", "-o", out, "-j", str(jobs)],
                       cwd=work, capture_output=True, env=ENV)
    figures, at100, renamed = [], None, None
    for i, line in enumerate(open(trace, errors="replace")):
        if re.search(r"\bwrite\(2, ", line):
            for done, total, pct in re.findall(r"(\d+)/(\d+) copies made \((\d+)%\)", line):
                figures.append((int(done), int(total), int(pct)))
                if pct == "100":
                    at100 = i if at100 is None else at100
        elif re.search(r"\brename(at2?)?\(", line) and ".mkletter-" in line and "= 0" in line:
            renamed = i
    return r.returncode, figures, at100, renamed, r.stderr.decode(errors="replace")


with tempfile.TemporaryDirectory() as work:
    with open(os.path.join(work, "letter.md"), "w") as f:
        f.write(LETTER)
    os.mkdir(os.path.join(work, "out"))
    for what, out in (("a combined file", "all.pdf"), ("one file per row", "out/{{name}}.pdf")):
        for jobs in (1, 2):
            rows = 1500
            while True:
                code, figures, at100, renamed, err = traced(work, rows, out, jobs)
                if code or figures or rows >= MOST_ROWS:
                    break
                rows *= 4
            name = f"{what}, -j {jobs}, {rows} rows"
            if not check(code == 0 and figures, f"{name}: done, with a progress line", err[-400:]):
                continue
            pcts = [p for _, _, p in figures]
            check(pcts.count(100) == 1 and pcts[-1] == 100 and figures[-1][:2] == (rows, rows),
                  f"{name}: 100 % once, as the last figure, with every copy", figures)
            check(all(a <= b for a, b in zip(pcts, pcts[1:])) and all(p < 100 for p in pcts[:-1]),
                  f"{name}: the figures rise", figures)
            check(at100 is not None and renamed is not None and renamed < at100,
                  f"{name}: 100 % is said after the output is renamed into place", (renamed, at100))
            if out == "all.pdf":
                check(os.path.getsize(os.path.join(work, "all.pdf")) > 1000, f"{name}: the file is there")
finish()
