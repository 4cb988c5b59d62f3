#!/usr/bin/env python3
"""-j N for a merge into one combined file: the rows are filled and laid out
ahead by a thread of the batch's, written in order by the main thread, and
their streams deflated by N - 1 more (and the main thread).

- The file is byte for byte that of -j 1: the seed letter (tagged, the
  default), the Korean letter whose rows each bring a new Hangul name (new
  glyphs in every copy) with -j 2 and -j 3, with --duplex, and a Korean
  official document with a seal and a signature image (images decoded by
  the thread that lays the rows out, written by the main one).
- qpdf --check passes the -j 3 file; pdftotext reads the last copy's name.
- The threads are there: a -j 3 run has 2 that deflate and one that lays
  rows out, a -j 1 run none.
- A row that fails in the middle gives, with -j 2, the message and exit
  status of -j 1, and leaves no file (an older one is kept as it was).

usage: test_jobs.py MKLETTER REPO_ROOT
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, run, text  # noqa: E402

mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
for tool in ("qpdf", "pdftotext"):
    if not shutil.which(tool):
        check(False, f"{tool} is needed (scripts/deps installs it)")
        finish()
ENV = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")


def mk(args, cwd):
    return subprocess.run([mkl] + args, cwd=cwd, capture_output=True, env=ENV)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, content):
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def most_threads(args, cwd):
    """Run the command; the most threads it had at once of each name ("mkl-deflate",
    "mkl-layout", from /proc), and its exit status."""
    p = subprocess.Popen([mkl] + args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    most = {"mkl-deflate": 0, "mkl-layout": 0}
    while p.poll() is None:
        seen = dict.fromkeys(most, 0)
        try:
            for t in os.listdir(f"/proc/{p.pid}/task"):
                with open(f"/proc/{p.pid}/task/{t}/comm") as f:
                    name = f.read().strip()
                if name in seen:
                    seen[name] += 1
        except OSError:
            pass
        for k in most:
            most[k] = max(most[k], seen[k])
        time.sleep(0.001)
    return most, p.returncode


with tempfile.TemporaryDirectory() as work:
    seed = read(os.path.join(root, "examples", "open-letter.md")).decode()
    seed = seed.replace("\n  Moon Jae-in\n  President of the Republic of Korea\n", "\n  {{name}}\n  {{title}}\n", 1)
    seed = seed.replace("opening: President Moon Jae-in,", "opening: Dear {{name}},", 1)
    ko = read(os.path.join(root, "examples", "open-letter.ko.md")).decode()
    ko = ko.replace("  대통령 문재인 귀하\n", "  {{name}} 귀하\n  {{title}}\n", 1)
    ko = ko.replace("opening: 존경하는 문재인 대통령님께", "opening: 존경하는 {{name}} 님께", 1)
    check("{{name}}" in seed and "{{name}}" in ko, "the example letters take a name")
    # a Korean official document with a seal and a signature image, addressed by row
    off = read(os.path.join(root, "examples", "official-request.ko.md")).decode().replace("\nto: 통일부장관\n", "\nto: \"{{name}}\"\n", 1)
    check("{{name}}" in off, "the official example takes a name")
    write(os.path.join(work, "off.md"), off)
    for png in ("official-seal.png", "official-sign.png"):
        shutil.copy(os.path.join(root, "examples", png), work)
    write(os.path.join(work, "seed.md"), seed)
    write(os.path.join(work, "ko.md"), ko)
    write(os.path.join(work, "latin.csv"),
          "id,name,title\n" + "".join(f"{i},Recipient No. {i},Minister {i % 7}\n" for i in range(1, 201)))
    rnd = random.Random(15)
    names = ["".join(chr(0xAC00 + rnd.randrange(11172)) for _ in range(3)) for _ in range(24)]
    write(os.path.join(work, "hangul.csv"),
          "id,name,title\n" + "".join(f"{i + 1},{n},장관 {i % 5}\n" for i, n in enumerate(names)))

    # the same bytes for every -j
    for letter, csv, rows, js, extra in (("seed.md", "latin.csv", "1-30", ("1", "2"), []),
                                         ("ko.md", "hangul.csv", "1-24", ("1", "2", "3"), []),
                                         ("ko.md", "hangul.csv", "1-9", ("1", "2"), ["--duplex"]),
                                         ("off.md", "hangul.csv", "1-8", ("1", "3"), [])):
        files = {}
        for j in js:
            out = f"{letter}-{j}{''.join(extra)}.pdf"
            r = mk([letter, "--merge", csv, "--rows", rows, "-o", out, "-q", "-j", j] + extra, work)
            check(r.returncode == 0, f"{letter} rows {rows} {' '.join(extra)} with -j {j} runs", text(r.stderr))
            files[j] = read(os.path.join(work, out)) if r.returncode == 0 else b""
        check(len(files["1"]) > 10000 and all(files[j] == files["1"] for j in js),
              f"{letter} rows {rows} {' '.join(extra)}: -j {', '.join(js[1:])} write the bytes of -j 1",
              [len(files[j]) for j in js])
    last = os.path.join(work, "ko.md-3.pdf")
    q = run(["qpdf", "--check", last])
    check(q.returncode == 0 and b"No syntax or stream encoding errors" in q.stdout, "qpdf --check passes the -j 3 file",
          text(q.stdout + q.stderr)[-300:])
    t = text(run(["pdftotext", last, "-"]).stdout)
    check(names[0] in t and names[-1] in t, "pdftotext reads the first and the last copy's Hangul name")

    # the threads: with -j N, N - 1 that deflate and one that lays the rows out ahead
    for j, want in (("1", {"mkl-deflate": 0, "mkl-layout": 0}), ("3", {"mkl-deflate": 2, "mkl-layout": 1})):
        most, rc = most_threads(["seed.md", "--merge", "latin.csv", "-o", f"t{j}.pdf", "-q", "-j", j], work)
        check(rc == 0 and most == want, f"a combined file with -j {j}: besides the main thread {want}", (rc, most))

    # a failing row in the middle: the same message and status, no file
    rows = "".join(f"{i},{'Bad ' + chr(0x10FFFD) if i == 17 else f'Person {i}'},T\n" for i in range(1, 31))
    write(os.path.join(work, "bad.csv"), "id,name,title\n" + rows)
    os.makedirs(os.path.join(work, "out"))
    res = {}
    for j in ("1", "2"):
        write(os.path.join(work, "out", "all.pdf"), "older file")
        r = mk(["-q", "seed.md", "--merge", "bad.csv", "-o", "out/all.pdf", "-j", j], work)   # (-q: no progress line, whose rate differs)
        res[j] = (r.returncode, text(r.stderr))
        check(os.listdir(os.path.join(work, "out")) == ["all.pdf"] and
              read(os.path.join(work, "out", "all.pdf")) == b"older file",
              f"-j {j}: the failing row leaves the older file as it was and no temporary file",
              os.listdir(os.path.join(work, "out")))
    check(res["1"][0] == 1 and "row 17 (bad.csv line 18)" in res["1"][1], "-j 1: row 17 fails, exit 1, the row named",
          res["1"])
    check(res["2"] == res["1"], "-j 2: the same exit status and message as -j 1", res)
finish()
