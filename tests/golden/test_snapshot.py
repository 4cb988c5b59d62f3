#!/usr/bin/env python3
"""Snapshots of whole letters: every line of text of every page with its
place (page, baseline, left and right end, to 0.1 pt; pdftotext -bbox),
what each page draws besides glyphs (rules, fills, colours, font changes:
qpdf --qdf) and the document info (pdfinfo), compared with
tests/golden/snapshots/NAME.txt.
Any change to what a reader sees fails, with the first differing lines.

The letters: the two examples and tests/golden/snapshots/kitchen.md, which
has every part the examples lack (US window, right-aligned letterhead with
a footer band, a place without a date, three CC blocks, a long addressee in
the continuation header, three-column signatories with a note, two
signatures, two enclosures, a P.S., lists, a quote, a heading, a Korean
paragraph in an English letter, a link).

After a change meant to alter the output, look at the new PDFs, then
rewrite the snapshots:

    MKL_UPDATE_SNAPSHOTS=1 ctest --test-dir build -R golden_snapshot

usage: test_snapshot.py MKLETTER REPO_ROOT"""
import difflib
import os
import re
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, run, text  # noqa: E402

mkletter, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SNAP = os.path.join(root, "tests", "golden", "snapshots")
LETTERS = {
    "open-letter": os.path.join(root, "examples", "open-letter.md"),
    "open-letter.ko": os.path.join(root, "examples", "open-letter.ko.md"),
    "kitchen": os.path.join(SNAP, "kitchen.md"),
}
INFO_KEYS = ("Title", "Author", "Creator", "Pages", "Page size", "PDF version")
VERSION = text(run([mkletter, "--version"]).stdout).split()[-1:] or ["?"]


def graphics(pdf, tmp):
    """Per page, what its content draws besides the glyphs: rules (width, gray,
    path), fills, colour and font changes (qpdf --qdf writes each page's
    content uncompressed); glyph placement (TJ, Td, Tm) is left to the text."""
    q = os.path.join(tmp, "qdf.pdf")
    r = run(["qpdf", "--qdf", "--object-streams=disable", pdf, q])
    if not check(r.returncode in (0, 3) and os.path.exists(q), "qpdf --qdf", text(r.stderr)):
        return []
    data = open(q, "rb").read().decode("latin-1")
    out = []
    for m in re.finditer(r"%% Contents for page (\d+)\n.*?\nstream\n(.*?)\nendstream", data, re.S):
        for line in m.group(2).split("\n"):
            line = line.strip()
            if line and not re.search(r"(TJ|Td|Tm|BT|ET)$", line):
                out.append(f"p{m.group(1)} draws {line}")
    return out


def snapshot(pdf, tmp):
    """The text lines of the PDF with their places, what it draws, and its document info."""
    out = []
    info = text(run(["pdfinfo", "-enc", "UTF-8", pdf]).stdout)
    for key in INFO_KEYS:
        m = re.search(rf"^{re.escape(key)}:\s+(.*)$", info, re.M)
        value = m.group(1).strip() if m else "-"
        out.append(f"{key}: {value.replace(VERSION[0], 'VERSION') if key == 'Creator' else value}")
    bbox = text(run(["pdftotext", "-enc", "UTF-8", "-bbox", pdf, "-"]).stdout)
    page, words = 0, []
    for m in re.finditer(r'<page |<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', bbox):
        if m.group(0) == "<page ":
            page += 1
        else:
            words.append((page, float(m.group(3)), float(m.group(1)), float(m.group(2)), m.group(4)))
    lines = []   # [page, yMax, x0, x1, [words]]
    for p, y, x0, x1, w in sorted(words):
        if lines and lines[-1][0] == p and abs(lines[-1][1] - y) < 0.3 and x0 - lines[-1][3] < 40:
            lines[-1][3] = max(lines[-1][3], x1)
            lines[-1][4].append(w)
        else:
            lines.append([p, y, x0, x1, [w]])
    for p, y, x0, x1, ws in lines:
        out.append(f"p{p} y{y:7.1f} x{x0:6.1f}-{x1:6.1f}  {' '.join(ws)}")
    return out + graphics(pdf, tmp)


update = os.environ.get("MKL_UPDATE_SNAPSHOTS") == "1"
with tempfile.TemporaryDirectory(prefix="mkletter-snapshot-") as tmp:
    for name, letter in LETTERS.items():
        pdf = os.path.join(tmp, name + ".pdf")
        r = run([mkletter, letter, "-o", pdf])
        if not check(r.returncode == 0, f"{name} renders", text(r.stderr)[-300:]):
            continue
        got = snapshot(pdf, tmp)
        path = os.path.join(SNAP, name + ".txt")
        if update:
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(got) + "\n")
            print(f"info: wrote {path} ({len(got)} lines)")
            continue
        if not check(os.path.exists(path), f"{name}: snapshot {path} exists",
                     "missing: MKL_UPDATE_SNAPSHOTS=1 ctest -R golden_snapshot writes it"):
            continue
        want = open(path, encoding="utf-8").read().splitlines()
        diff = list(difflib.unified_diff(want, got, "snapshot", "now", n=1, lineterm=""))
        check(not diff, f"{name}: the letter is as in its snapshot",
              f"{sum(1 for d in diff if d[:1] in '+-') - 2} lines differ:\n" + "\n".join(diff[:40]) +
              "\n(if the change is meant: MKL_UPDATE_SNAPSHOTS=1 ctest --test-dir build -R golden_snapshot)")
finish()
