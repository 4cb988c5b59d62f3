#!/usr/bin/env python3
"""One folio a page: every page of the example letters, English and Korean,
carries its page number once ("Page k of n" / "k / n" at the foot; the
running header of later pages names the addressee and date only), and none
with --no-page-numbers.

usage: test_folio.py MKLETTER REPO_ROOT
"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

FOLIO = re.compile(r"Page \d+(?: of \d+)?|\d+\s*쪽|^\s*\d+\s*/\s*\d+\s*$", re.M)


def pages(pdf):
    out = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def words_of(pdf, page):
    """(x0, y0, x1, word) of every word on a page, from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", pdf, "-"],
                         capture_output=True, text=True).stdout
    return [(float(m[1]), float(m[2]), float(m[3]), m[4]) for m in
            re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', out)]


def main():
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="mkletter-folio-") as tmp:
        for name, want in [("open-letter.md", "Page {k} of {n}"), ("open-letter.ko.md", "{k} / {n}")]:
            pdf = os.path.join(tmp, name + ".pdf")
            r = subprocess.run([mkl, os.path.join(root, "examples", name), "-o", pdf], capture_output=True)
            check(r.returncode == 0, f"{name} renders", r.stderr)
            texts = pages(pdf)
            check(len(texts) >= 2, f"{name} has pages after the first", len(texts))
            for k, text in enumerate(texts, 1):
                # pdftotext may drop the spaces of "1 / 2"
                folios = [re.sub(r"\s+", "", f) for f in FOLIO.findall(text)]
                expect = re.sub(r"\s+", "", want.format(k=k, n=len(texts)))
                check(folios == [expect], f"{name} page {k}: one folio, {expect!r}", folios)
            pdf = os.path.join(tmp, name + ".none.pdf")
            subprocess.run([mkl, os.path.join(root, "examples", name), "-o", pdf, "--no-page-numbers"], capture_output=True)
            check(all(FOLIO.findall(t) == [] for t in pages(pdf)), f"{name} --no-page-numbers: no folio at all")
        # the running header is one line: a long addressee is cut to its first line there
        words = [f"Word{k:03d}" for k in range(60)]
        letter = os.path.join(tmp, "long-to.md")
        body = "\n\n".join("A paragraph of the body that goes on for a while. " * 8 for _ in range(12))
        with open(letter, "w", encoding="utf-8") as f:
            f.write(f"---\nsubject: Long addressee\ndate: 2020-02-21\nto: |\n  {' '.join(words)}\n  Seoul\n---\n\n{body}\n")
        pdf = os.path.join(tmp, "long-to.pdf")
        r = subprocess.run([mkl, letter, "-o", pdf], capture_output=True)
        texts = pages(pdf) if r.returncode == 0 else []
        check(len(texts) >= 2, "the long-addressee letter has a second page", r.stderr)
        if len(texts) >= 2:
            shown = [w for w in words if w in texts[1]]
            check(shown and shown == words[:len(shown)] and 5 < len(shown) < 20,   # one line holds 13
                  "page 2's header shows the addressee's first line only, one line of it", shown)
            head = texts[1].strip().splitlines()[0].strip() if texts[1].strip() else ""
            check(re.search(r"Word\d{3}\u2026\s+\u00b7\s+February 21, 2020$", head) is not None,
                  "a shortened addressee ends in an ellipsis after a whole word, and the date stays whole", head)
        # a date set as written that is longer than the line alone: the
        # addressee goes, then the date is shortened; nothing passes the margin
        date = ", ".join(f"day{k:02d} of the long meeting" for k in range(40))
        with open(letter, "w", encoding="utf-8") as f:
            f.write(f"---\nsubject: Long date\ndate: {date}\nto: |\n  Moon Jae-in\n---\n\n{body}\n")
        r = subprocess.run([mkl, letter, "-o", pdf], capture_output=True)
        check(r.returncode == 0, "the long-date letter renders", r.stderr)
        boxes = words_of(pdf, 2) if r.returncode == 0 else []
        head = [w for w in boxes if w[1] < 60]
        body_right = max((w[2] for w in boxes if w[1] >= 60), default=0)
        check(head and body_right and max(w[2] for w in head) <= body_right + 0.5,
              "page 2's header ends inside the text width", (head[-3:], body_right))
        text = " ".join(w[3] for w in head)
        check(re.fullmatch(r"day00 of the long meeting, (day\d\d of the long meeting, )*day\d\d of the long\S*\u2026", text)
              is not None, "the addressee is left out (no lone ellipsis) and the date cut after a whole word, with an ellipsis",
              text)
    finish()


if __name__ == "__main__":
    main()
