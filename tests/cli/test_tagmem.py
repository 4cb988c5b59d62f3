#!/usr/bin/env python3
"""A tagged combined print file: memory flat in the copies, structure sound.

A letter with 60 co-signers (an LI and an LBody each: some 130 structure
objects a copy) and a link, merged into one combined file:

- Memory: a copy costs at most 1 KB of peak memory, tagged (400 against
  1,600 copies, -j 1; with -j 2, whose peak moves by ~1 MB from run to run,
  at most 3.5 MB more for the 1,200 copies). The structure objects written in the tagger's order (parents
  first) made a cross-reference run of nearly each one (16 bytes each, 3 KB
  a copy with the vector's spare room), and the cross-reference rows were
  held whole at the end (8 bytes an object). Not bounded under the
  sanitizers (MKL_TEST_SANITIZED), whose shadow memory is in the peak.
- The cross-reference is compact: at most 16 runs of objects a copy
  (numbered in a row, one after the other in the same object stream), where
  the structure's order made some 140.
- The files read back: qpdf --check (400 copies), pdftotext (the first and
  the last of 1,600 copies' co-signers); in a file of 3 copies the structure
  tree is sound (tests/tagged.py: every MCID and link in the parent tree,
  every /P its parent), pdfinfo -struct-text reads a Part a copy and 60 LI in
  each, and poppler and PDF.js read the same co-signers from it.

usage: test_tagmem.py MKLETTER REPO_ROOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, peak_kb, run, text  # noqa: E402
import tagged  # noqa: E402

mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
for tool in ("qpdf", "pdftotext", "pdfinfo", "node"):
    if not shutil.which(tool):
        check(False, f"{tool} is needed (scripts/deps installs it)")
        finish()

ENV = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")
SIGNERS = 60
LETTER = ('---\nsubject: "For {{name}}"\nto: |\n  {{name}}\n  Seoul\nopening: "Dear {{name}},"\nclosing: Sincerely,\n'
          "signatories:\n  - heading: With us\n    columns: 3\n    entries:\n" +
          "".join(f"      - Signer {i} of {{{{name}}}}\n" for i in range(1, SIGNERS + 1)) +
          "---\n\nWe write to you, {{name}}. Read the [guidelines](https://example.org/guidelines) first.\n")


def mk(args, cwd):
    return subprocess.run([mkl] + args, cwd=cwd, capture_output=True, env=ENV)


def maxrss_kb(args, cwd):
    return peak_kb([mkl] + args, cwd, ENV)


def xref_runs(pdf):
    """The cross-reference's runs: objects numbered in a row that follow each
    other in one object stream are one; any other entry is one of its own."""
    out = run(["qpdf", "--show-xref", pdf]).stdout.decode("utf-8", "replace")
    runs, prev = 0, None
    for ln in out.splitlines():
        m = re.match(r"(\d+)/0: compressed; stream = (\d+), index = (\d+)", ln)
        cur = tuple(map(int, m.groups())) if m else None
        if not (cur and prev and cur == (prev[0] + 1, prev[1], prev[2] + 1)):
            runs += 1
        prev = cur
    return runs


with tempfile.TemporaryDirectory() as work:
    with open(os.path.join(work, "m.md"), "w", encoding="utf-8") as f:
        f.write(LETTER)
    with open(os.path.join(work, "d.csv"), "w", encoding="utf-8") as f:
        f.write("id,name\n" + "".join(f"{i},Person {i}\n" for i in range(1, 1601)))

    # One thread for the bound: with -j 2 the peak moves by some 1 MB from run
    # to run (the threads' malloc arenas, how far the rows are laid out ahead),
    # so -j 2 is held to the growth a 3 KB copy would show, 3.5 MB.
    rc1, kb1 = maxrss_kb(["-q", "m.md", "--merge", "d.csv", "--rows", "1-400", "-o", "small.pdf", "-j", "1"], work)
    rc2, kb2 = maxrss_kb(["-q", "m.md", "--merge", "d.csv", "-o", "big.pdf", "-j", "1"], work)
    rc3, kb3 = maxrss_kb(["-q", "m.md", "--merge", "d.csv", "--rows", "1-400", "-o", "small2.pdf", "-j", "2"], work)
    rc4, kb4 = maxrss_kb(["-q", "m.md", "--merge", "d.csv", "-o", "big2.pdf", "-j", "2"], work)
    check(rc1 == 0 and rc2 == 0 and rc3 == 0 and rc4 == 0,
          "tagged combined files of 400 and 1,600 copies are made, -j 1 and -j 2", (rc1, rc2, rc3, rc4))
    per = (kb2 - kb1) * 1024 / 1200
    if os.environ.get("MKL_TEST_SANITIZED"):
        print(f"info: sanitizer build: {per:.0f} bytes a copy (not bounded here)")
    else:
        check(per <= 1024, "a tagged copy costs at most 1 KB of peak memory (-j 1)",
              f"{per:.0f} bytes a copy ({kb1} KB for 400 copies, {kb2} KB for 1,600)")
        check(kb4 - kb3 <= 3500, "-j 2: 1,600 copies take at most 3.5 MB more than 400",
              f"{kb3} KB for 400 copies, {kb4} KB for 1,600")

    if rc1 == 0:
        q = run(["qpdf", "--check", os.path.join(work, "small.pdf")])
        check(q.returncode == 0 and b"No syntax or stream encoding errors" in q.stdout,
              "qpdf --check passes 400 copies", text(q.stdout + q.stderr)[-300:])
    if rc2 == 0:
        t = text(run(["pdftotext", os.path.join(work, "big.pdf"), "-"]).stdout)
        check("Signer 1 of Person 1\n" in t and f"Signer {SIGNERS} of Person 1600" in t,
              "pdftotext reads the first copy's first co-signer and the last copy's last")

    # the cross-reference: a few runs a copy
    r = mk(["-q", "m.md", "--merge", "d.csv", "--rows", "1-20", "-o", "x.pdf"], work)
    check(r.returncode == 0, "20 copies are made", text(r.stderr))
    if r.returncode == 0:
        runs = xref_runs(os.path.join(work, "x.pdf"))
        check(runs <= 16 * 20, "the cross-reference holds at most 16 runs of objects a copy", f"{runs} for 20 copies")

    # the structure, read back
    r = mk(["-q", "m.md", "--merge", "d.csv", "--rows", "1-3", "-o", "t.pdf"], work)
    check(r.returncode == 0, "3 copies are made", text(r.stderr))
    pdf = os.path.join(work, "t.pdf")
    try:
        doc = tagged.Doc(pdf)
        problems = tagged.check_tree(doc)
        check(not problems, "the structure tree of 3 copies is sound (MCIDs, links, parent tree, /P)", problems[:5])
        els = tagged.elements_by_object(doc)
        roles = [e.get("/S") for _, e in els]
        check(roles.count("/Part") == 3 and roles.count("/LI") == 3 * SIGNERS and
              roles.count("/LBody") == 3 * SIGNERS and roles.count("/Link") == 3,
              "the objects: 3 Parts, an LI and an LBody a co-signer, a Link a copy",
              {r: roles.count(r) for r in set(roles)})
        pop = tagged.poppler_elements(pdf)
        pop_roles = [role for _, role, _, _ in pop]
        check(pop_roles[:1] == ["Document"] and pop_roles.count("Part") == 3 and pop_roles.count("LI") == 3 * SIGNERS,
              f"pdfinfo -struct-text: a Document of 3 Parts, {SIGNERS} LI in each", pop_roles[:3])
        js = tagged.pdfjs_elements(tagged.pdfjs(pdf))
        pop_bodies = [t for _, role, t, _ in pop if role == "LBody"]
        js_bodies = [t for _, _, role, t, _ in js if role == "LBody"]
        check(len(pop_bodies) == 3 * SIGNERS and pop_bodies == js_bodies,
              "poppler and PDF.js read the same co-signers (LBody), in order", (len(pop_bodies), len(js_bodies)))
        check(pop_bodies[:1] == ["Signer 1 of Person 1"] and pop_bodies[-1:] == [f"Signer {SIGNERS} of Person 3"],
              "the first and the last co-signer's LBody hold their names", (pop_bodies[:1], pop_bodies[-1:]))
    except tagged.Missing as e:
        check(False, str(e))
finish()
