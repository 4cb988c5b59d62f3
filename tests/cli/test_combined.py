#!/usr/bin/env python3
"""A combined print file written as it is made (one -o file for a merge).

- Memory is flat in the number of copies: the peak memory of 2,000 copies of
  a short letter is within 6 MB of 200 copies' (made whole, 2,000 copies took
  some 40 MB more). Not bounded under the sanitizers (MKL_TEST_SANITIZED).
- The file reads back cleanly: qpdf --check, pdftotext and mutool (the first
  and the last addressee), pdffonts (embedded, subset, with ToUnicode),
  pdfinfo -struct-text (a Part per copy), and the tagged structure is sound
  (tests/tagged.py: every MCID and link in the parent tree, which has leaves
  here) in a file of 600 copies with a link each.
- Standard output gets the bytes of the -o file (-j 1 and 2), once whole:
  the file is streamed to an unnamed temporary file in $TMPDIR, gone after,
  and memory stays as flat (so for a device, /dev/null); with no folder for it, or a write to it that
  fails, the exit is 3, the problem said, and nothing is written.
- All or nothing: a row that fails halfway leaves no file, no temporary file,
  and the older file as it was.
- -j 2 writes the same bytes as -j 1.

usage: test_combined.py MKLETTER REPO_ROOT
"""
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, peak_kb, run, text  # noqa: E402
import tagged  # noqa: E402

mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
for tool in ("qpdf", "pdftotext", "mutool", "pdffonts", "pdfinfo", "pdftoppm"):
    if not shutil.which(tool):
        check(False, f"{tool} is needed (scripts/deps installs it)")
        finish()

ENV = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")
LETTER = ('---\nsubject: "For {{name}}"\nto: |\n  {{name}}\n  Seoul\nopening: "Dear {{name}},"\n---\n\n'
          "We write to you, {{name}}. Read the [guidelines](https://example.org/guidelines) first.\n")


def mk(args, cwd):
    return subprocess.run([mkl] + args, cwd=cwd, capture_output=True, env=ENV)


def maxrss_kb(args, cwd):
    return peak_kb([mkl] + args, cwd, ENV)


def write(path, content):
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def snapshot(top):
    return sorted((d, f, os.path.getsize(os.path.join(d, f)), open(os.path.join(d, f), "rb").read())
                  for d, _, fs in os.walk(top) for f in fs)


with tempfile.TemporaryDirectory() as work:
    write(os.path.join(work, "m.md"), LETTER)
    write(os.path.join(work, "d.csv"), "id,name\n" + "".join(f"{i},Person {i}\n" for i in range(1, 2001)))

    # memory: flat in the copies
    rc1, kb1 = maxrss_kb(["-q", "m.md", "--merge", "d.csv", "--rows", "1-200", "-o", "small.pdf"], work)
    rc2, kb2 = maxrss_kb(["-q", "m.md", "--merge", "d.csv", "-o", "big.pdf"], work)
    check(rc1 == 0 and rc2 == 0, "combined files of 200 and 2,000 copies are made", (rc1, rc2))
    if os.environ.get("MKL_TEST_SANITIZED"):
        print(f"info: sanitizer build: {kb1} KB for 200 copies, {kb2} KB for 2,000 (not bounded here)")
    else:
        check(kb2 - kb1 <= 6 * 1024, "2,000 copies take at most 6 MB more memory than 200",
              f"{kb1} KB for 200, {kb2} KB for 2,000")

    big = os.path.join(work, "big.pdf")
    q = run(["qpdf", "--check", big])
    check(q.returncode == 0 and b"No syntax or stream encoding errors" in q.stdout, "qpdf --check passes 2,000 copies",
          text(q.stdout + q.stderr)[-300:])
    t = text(run(["pdftotext", big, "-"]).stdout)
    m = text(run(["mutool", "draw", "-F", "txt", "-o", "-", big, "1,N"]).stdout)
    check("Dear Person 1," in t and "Dear Person 2000," in t and t.count("We write to you") == 2000,
          "pdftotext reads every copy, the first and the last addressee", t[:200])
    check("Person 1" in m and "Person 2000" in m, "mutool reads the first and the last page", m[:200])
    fonts = [ln.split() for ln in text(run(["pdffonts", big]).stdout).splitlines()[2:]]
    check(fonts and all(f[-5:-2] == ["yes", "yes", "yes"] for f in fonts),
          "pdffonts: every font embedded, subset, with ToUnicode", fonts)
    info = text(run(["pdfinfo", big]).stdout)
    check("Pages:           2000" in info and "Tagged:          yes" in info, "pdfinfo: 2,000 pages, tagged", info)
    st = text(run(["pdfinfo", "-struct-text", big]).stdout)
    check(st.count("Part") == 2000 and st.lstrip().startswith("Document"), "pdfinfo -struct-text: a Part per copy",
          st[:200])

    # the structure, read from the objects, in a file with a parent tree of several leaves
    r = mk(["-q", "m.md", "--merge", "d.csv", "--rows", "1-600", "-o", "t.pdf"], work)
    check(r.returncode == 0, "600 copies are made", text(r.stderr))
    try:
        doc = tagged.Doc(os.path.join(work, "t.pdf"))
        problems = tagged.check_tree(doc)
        check(not problems, "the structure tree of 600 copies is sound (MCIDs, links, parent tree)", problems[:5])
        ptree = doc.get(doc.get(doc.catalog()["/StructTreeRoot"])["/ParentTree"])
        check(len(ptree.get("/Kids", [])) >= 2, "the parent tree has several leaves", ptree)
    except tagged.Missing as e:
        check(False, str(e))

    # to standard output: streamed to an unnamed temporary file in $TMPDIR,
    # handed over whole; the bytes of the file written with -o
    spool = os.path.join(work, "spool")
    os.makedirs(spool)
    senv = dict(ENV, TMPDIR=spool)

    def to_stdout(args, env=senv, preexec=None):
        return subprocess.run([mkl, "-q", "m.md"] + args + ["-o", "-"], cwd=work, capture_output=True, env=env,
                              preexec_fn=preexec)

    r = mk(["-q", "m.md", "--merge", "d.csv", "--rows", "1-40", "-o", "s.pdf"], work)
    w = to_stdout(["--merge", "d.csv", "--rows", "1-40"])
    check(r.returncode == 0 and w.returncode == 0, "40 copies to a file and to standard output", text(r.stderr + w.stderr))
    with open(os.path.join(work, "s.pdf"), "rb") as f:
        check(w.stdout == f.read() and len(w.stdout) > 10000, "standard output gets the bytes of the file, whole")
    w2 = to_stdout(["--merge", "d.csv", "--rows", "1-40", "-j", "2"])
    check(w2.returncode == 0 and w2.stdout == w.stdout, "standard output with -j 2: the same bytes")
    check(os.listdir(spool) == [], "the temporary file is gone (it never had a name)", os.listdir(spool))
    # made whole (PDF/A): the spool holds nothing, the writer gets it all at the end
    r = mk(["-q", "m.md", "--merge", "d.csv", "--rows", "1-20", "--pdfa", "-o", "a.pdf"], work)
    w = to_stdout(["--merge", "d.csv", "--rows", "1-20", "--pdfa"])
    with open(os.path.join(work, "a.pdf"), "rb") as f:
        check(r.returncode == 0 and w.returncode == 0 and w.stdout == f.read() and len(w.stdout) > 10000,
              "a PDF/A combined file to standard output: the bytes of the file", text(r.stderr + w.stderr))
    rc1, kb1 = peak_kb([mkl, "-q", "m.md", "--merge", "d.csv", "--rows", "1-200", "-o", "-"], work, senv)
    rc2, kb2 = peak_kb([mkl, "-q", "m.md", "--merge", "d.csv", "-o", "-"], work, senv)
    check(rc1 == 0 and rc2 == 0, "200 and 2,000 copies to standard output", (rc1, rc2))
    if not os.environ.get("MKL_TEST_SANITIZED"):
        check(kb2 - kb1 <= 6 * 1024, "to standard output, 2,000 copies take at most 6 MB more memory than 200",
              f"{kb1} KB for 200, {kb2} KB for 2,000")
    # to a device, written through at commit: spooled as well
    rc1, kb1 = peak_kb([mkl, "-q", "m.md", "--merge", "d.csv", "--rows", "1-200", "-o", "/dev/null"], work, senv)
    rc2, kb2 = peak_kb([mkl, "-q", "m.md", "--merge", "d.csv", "-o", "/dev/null"], work, senv)
    check(rc1 == 0 and rc2 == 0 and os.listdir(spool) == [], "200 and 2,000 copies to /dev/null, no file left", (rc1, rc2))
    if not os.environ.get("MKL_TEST_SANITIZED"):
        check(kb2 - kb1 <= 6 * 1024, "to a device, 2,000 copies take at most 6 MB more memory than 200",
              f"{kb1} KB for 200, {kb2} KB for 2,000")
    # no temporary file to be had, or a write to it that fails: exit 3, nothing on standard output
    missing = os.path.join(work, "no-such-folder")
    w = to_stdout(["--merge", "d.csv", "--rows", "1-40"], dict(ENV, TMPDIR=missing))
    check(w.returncode == 3 and w.stdout == b"" and f"{missing}: cannot make a temporary file" in text(w.stderr),
          "no folder for the temporary file: exit 3, the folder named, nothing written", (w.returncode, text(w.stderr)))

    def small_files():   # files of at most 200 KB: the temporary file's writes fail past that
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
    w = to_stdout(["--merge", "d.csv"], preexec=small_files)
    check(w.returncode == 3 and w.stdout == b"" and "a temporary file in " in text(w.stderr) and
          "cannot write: File too large" in text(w.stderr),
          "a write to the temporary file that fails: exit 3, said, nothing written", (w.returncode, text(w.stderr)))

    # -j 2: the same bytes
    r1 = mk(["-q", "m.md", "--merge", "d.csv", "--rows", "1-60", "-o", "j1.pdf", "-j", "1"], work)
    r2 = mk(["-q", "m.md", "--merge", "d.csv", "--rows", "1-60", "-o", "j2.pdf", "-j", "2"], work)
    check(r1.returncode == 0 and r2.returncode == 0 and open(os.path.join(work, "j1.pdf"), "rb").read() ==
          open(os.path.join(work, "j2.pdf"), "rb").read(), "a combined file with -j 2 is the one made with -j 1")

    # all or nothing: row 150 fails after 149 copies went to the temporary file
    rows = "".join(f"{i},{'Bad ' + chr(0x10FFFD) if i == 150 else f'Person {i}'}\n" for i in range(1, 301))
    write(os.path.join(work, "bad.csv"), "id,name\n" + rows)
    os.makedirs(os.path.join(work, "out"))
    write(os.path.join(work, "out", "all.pdf"), "older file")
    before = snapshot(os.path.join(work, "out"))
    r = mk(["-q", "m.md", "--merge", "bad.csv", "-o", "out/all.pdf"], work)
    err = text(r.stderr)
    check(r.returncode == 1 and "row 150 (bad.csv line 151)" in err, "row 150 fails: exit 1, the row named", err)
    check(snapshot(os.path.join(work, "out")) == before, "a failing row leaves the older file and no temporary file",
          os.listdir(os.path.join(work, "out")))
    w = to_stdout(["--merge", "bad.csv"])
    check(w.returncode == 1 and w.stdout == b"" and "row 150 (bad.csv line 151)" in text(w.stderr),
          "row 150 fails to standard output: exit 1, nothing written", (w.returncode, text(w.stderr)))
    check(os.listdir(spool) == [], "no temporary file is left", os.listdir(spool))
finish()
