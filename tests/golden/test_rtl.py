#!/usr/bin/env python3
"""Right-to-left and bidirectional text, read back from the PDF:

- Hebrew and Arabic phrases in an English paragraph, and Hebrew and Arabic
  names in a signatory list, are drawn right to left (MuPDF's character
  boxes: each letter left of the one before it), Arabic joined, numbers
  inside them left to right;
- pdftotext gives every word in logical order;
- a signatory list with Hebrew, Arabic, Japanese, Chinese, Thai, Devanagari
  and Vietnamese names renders wherever a font covers each script, and
  otherwise fails at the name with the Debian package to install.

(MuPDF 1.21's text output, mutool draw -F txt, gives right-to-left text in
visual order whatever the PDF says, /ActualText included; poppler reverses an
/ActualText given in logical order. So none is written: the glyphs' ToUnicode
and their places give poppler the logical order.)

usage: test_rtl.py MKLETTER REPO_ROOT"""
import html
import os
import re
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, run, text  # noqa: E402

mkletter, root = sys.argv[1], sys.argv[2]
HEB = "שלום עולם"
ARA = "مرحبا بالعالم"
NUM = "سنة 1948 م"
NAMES = {"he": "דוד בן־גוריון", "ar": "محمد البرادعي", "ja": "山田 太郎", "zh": "王小明",
         "th": "สมชาย ใจดี", "hi": "अमिताभ बच्चन", "vi": "Nguyễn Thị Minh Khai"}


def chars(pdf):
    """[(character, x0, x1, y)] from MuPDF, in content order."""
    r = run(["mutool", "draw", "-q", "-F", "stext", "-o", "-", pdf])
    out = []
    for line in text(r.stdout).splitlines():
        m = re.search(r'<char quad="([^"]+)".* c="([^"]*)"', line)
        if m:
            q = [float(v) for v in m.group(1).split()]
            out.append((html.unescape(m.group(2)), min(q[0::2]), max(q[0::2]), round(q[1])))
    return out


def covered(ch):
    r = run(["fc-list", ":charset=%x" % ord(ch), "family"])
    return bool(text(r.stdout).strip())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "rtl.md")
        open(src, "w", encoding="utf-8").write(
            "---\nlang: en\nsubject: Right to left\nsignatories:\n  - heading: Names\n    entries:\n"
            f"      - {{name: \"{NAMES['he']}\", note: Israel}}\n      - {{name: \"{NAMES['ar']}\", note: Egypt}}\n"
            "---\n\n"
            f"The words {HEB} mean hello world, and {ARA} too; {NUM} is a year.\n")
        pdf = os.path.join(tmp, "rtl.pdf")
        r = run([mkletter, src, "-o", pdf])
        check(r.returncode == 0, "the letter with Hebrew and Arabic renders", text(r.stderr))
        if r.returncode == 0:
            got = text(run(["pdftotext", pdf, "-"]).stdout)
            got = re.sub("[\u202a-\u202e]", "", got)   # poppler marks embeddings
            for w in HEB.split() + ARA.split() + NUM.split() + NAMES["he"].split() + NAMES["ar"].split():
                check(w in got, f"pdftotext gives {w} in logical order", got[:400])
            check(f"{NAMES['he']}, Israel" in got, "a Hebrew name in a list keeps the list's order", got)
            cs = chars(pdf)
            # drawn right to left: MuPDF lists the characters as drawn, left to right (x grows); the
            # Hebrew comes out reversed there, the Latin around it not
            seq = "".join(c for c, x0, x1, y in cs)
            xs = [x0 for c, x0, x1, y in cs]
            for phrase in (HEB, NAMES["he"]):
                at = seq.find(phrase[::-1])
                check(at >= 0, f"{phrase} is drawn right to left", seq[:200])
                if at >= 0:
                    check(all(xs[i] < xs[i + 1] for i in range(at, at + len(phrase) - 1)),
                          f"{phrase}: each letter left of the one before it", str(xs[at:at + len(phrase)]))
            check("The words" in seq and "mean hello world" in seq, "the Latin around it reads left to right")
            # the number inside Arabic reads left to right
            d = {c: x0 for c, x0, x1, y in cs if c in "1948"}
            check(len(d) == 4 and d["1"] < d["9"] < d["4"] < d["8"], "1948 inside Arabic is left to right", str(d))
            check(run(["qpdf", "--check", pdf]).returncode == 0, "qpdf --check clean")
        # names in seven scripts
        src = os.path.join(tmp, "names.md")
        body = "".join(f"      - {{name: \"{n}\", note: {k}}}\n" for k, n in NAMES.items())
        open(src, "w", encoding="utf-8").write("---\nlang: en\nsignatories:\n  - heading: Names\n    entries:\n" +
                                               body + "---\n\nSigned.\n")
        missing = [k for k, n in NAMES.items() if not all(covered(c) for c in n.replace(" ", "").replace("־", ""))]
        r = run([mkletter, src, "-o", os.path.join(tmp, "names.pdf")])
        # scripts/deps installs fonts-noto-core (Hebrew, Arabic, Thai, Devanagari) and
        # fonts-noto-cjk: every name must render, and extract in logical order
        check(not missing, "fonts for the seven scripts are installed (scripts/deps: fonts-noto-core, fonts-noto-cjk)",
              missing)
        if not missing:
            check(r.returncode == 0, "names in seven scripts render", text(r.stderr))
            got = re.sub("[\u202a-\u202e]", "", text(run(["pdftotext", os.path.join(tmp, "names.pdf"), "-"]).stdout))
            for k, n in NAMES.items():
                check(n in got, f"pdftotext gives the {k} name back in logical order", got)
        else:
            # a script no installed font covers: the error says what to install
            err = text(r.stderr)
            check(r.returncode == 1 and "install a font with the" in err and "fonts-noto-core" in err,
                  f"names in scripts no font covers ({', '.join(missing)}): exit 1, install fonts-noto-core", err)
            print("no font for:", missing, "-", err.strip())
    finish()


main()
