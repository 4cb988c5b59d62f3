#!/usr/bin/env python3
"""No glyph past the measure (issue 14): in every example and golden letter
(examples/*.md, the snapshot letters), on A4 and on US Letter, every word
pdftotext -bbox finds ends at most 0.05 pt right of the right margin (22 mm
from the page's edge), paragraph last lines included ("…Korean Peninsula.”"
ended 2.4 pt past it, set at natural spacing on a width the breaker had
counted on shrinking).

usage: test_measure.py MKLETTER REPO_ROOT
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

TOLERANCE = 0.05
RIGHT_MARGIN = 22 * 72 / 25.4
ITEM = re.compile(r'<page width="([\d.]+)"|<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')


def past(pdf, right_margin=RIGHT_MARGIN):
    """[(page, points past the measure, word)] for every word that ends past it."""
    out = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True).stdout
    res, width, page = [], None, 0
    for m in ITEM.finditer(out):
        if m.group(1):
            width, page = float(m.group(1)), page + 1
            continue
        over = float(m.group(2)) - (width - right_margin)
        if over > TOLERANCE:
            res.append((page, round(over, 2), m.group(3)))
    return res


def main():
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    letters = sorted(glob.glob(os.path.join(root, "examples", "*.md")) +
                     glob.glob(os.path.join(root, "tests", "golden", "snapshots", "*.md")))
    check(len(letters) >= 3, "example and golden letters found", letters)
    with tempfile.TemporaryDirectory(prefix="mkletter-measure-") as tmp:
        for letter in letters:
            # a Korean official document (layout: kr-official) is A4 only, its right margin 15 mm
            official = re.search(r"^layout: kr-official", open(letter, encoding="utf-8").read(), re.M)
            for paper in ("a4",) if official else ("a4", "letter"):
                name = f"{os.path.basename(letter)} on {paper}"
                pdf = os.path.join(tmp, f"{os.path.basename(letter)}.{paper}.pdf")
                # the paper in the front matter, the letter beside a copy of its folder (styles, images)
                folder = os.path.join(tmp, f"{paper}-{os.path.basename(os.path.dirname(letter))}")
                if not os.path.isdir(folder):
                    shutil.copytree(os.path.dirname(letter), folder)
                src = os.path.join(folder, f"{paper}-{os.path.basename(letter)}")
                text = open(letter, encoding="utf-8").read()
                text = re.sub(r"^paper:.*\n", "", text, count=1, flags=re.M).replace("---\n", f"---\npaper: {paper}\n", 1)
                with open(src, "w", encoding="utf-8") as f:
                    f.write(text)
                r = subprocess.run([mkl, src, "-o", pdf, "-q"], capture_output=True, text=True)
                if not check(r.returncode == 0, f"{name} renders", r.stderr[-300:]):
                    continue
                bad = past(pdf, 15 * 72 / 25.4 if official else RIGHT_MARGIN)
                check(not bad, f"{name}: no word past the right margin (+{TOLERANCE} pt)",
                      "; ".join(f"page {p}: {w!r} {o} pt" for p, o, w in bad[:5]))
    finish()


if __name__ == "__main__":
    main()
