#!/usr/bin/env python3
"""Smart punctuation outside the body (issue 14): every front-matter string
(address, subject, opening, closing, letterhead, signatures, signatory
entries and notes, enclosures, P.S.) and every merged value, in the front
matter and in a body sentence, gets the body's ’ ‘ “ ” – — …; a backslash
before a quote keeps it straight, as in the body; code spans keep theirs.
Read back with pdftotext.

usage: test_smart.py MKLETTER REPO_ROOT
"""
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

LETTER = r"""---
date: 2020-02-21
letterhead:
  name: "The Abductees' Families"
  lines: ["Seoul -- Tokyo"]
to: |
  Mr {{name}}
  "Foreign" Affairs
subject: The Abductees' case -- and "others" --- today...
opening: Dear Mr O\'Brien,
closing: Yours, "as ever"
signatures:
  - name: Ann O'Hara
    title: Chair -- "TJWG"
signatories:
  - heading: People's list
    entries:
      - {name: "O'Neil", note: "the 'first' -- 2019-2020"}
enclosures: ["The 'report'"]
ps: It's {{name}}'s copy.
---

Body's text for {{name}} with 'quotes' and `code's`.
"""

WANT = ["The Abductees’ Families", "Seoul – Tokyo", "Mr Sean O’Brien", "“Foreign” Affairs",
        "The Abductees’ case – and “others” — today…", "Dear Mr O'Brien,", "Yours, “as ever”",
        "Ann O’Hara", "Chair – “TJWG”", "People’s list", "O’Neil, the ‘first’ – 2019-2020",
        "The ‘report’", "It’s Sean O’Brien’s copy.", "Body’s text for Sean O’Brien with ‘quotes’ and code's."]


def main():
    mkl = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="mkletter-smart-") as tmp:
        src = os.path.join(tmp, "letter.md")
        with open(src, "w", encoding="utf-8") as f:
            f.write(LETTER)
        with open(os.path.join(tmp, "data.csv"), "w", encoding="utf-8") as f:
            f.write("id,name\n1,Sean O'Brien\n")
        r = subprocess.run([mkl, src, "--merge", os.path.join(tmp, "data.csv"), "-o",
                            os.path.join(tmp, "out-{{id}}.pdf"), "-q"], capture_output=True, text=True)
        pdf = os.path.join(tmp, "out-1.pdf")
        check(r.returncode == 0 and os.path.isfile(pdf), "the merged letter renders", r.stderr[-300:])
        if os.path.isfile(pdf):
            got = " ".join(subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout.split())
            for w in WANT:
                check(w in got, f"comes back as {w!r}", got[:400])
            check("\\" not in got, "the escaping backslash is not set", got[:400])
    finish()


if __name__ == "__main__":
    main()
