#!/usr/bin/env python3
"""Nothing is lost on the page (issue 12, item 9): every word of the input is
on a page, inside the text area. Each letter below used to lose text (lists
nested 31 deep ran off the right edge, a signature's long title ran over the
footer, a co-signer entry taller than a page was cut at the foot). Each is
rendered and read back with `pdftotext -bbox`: every word must be found, and
every word box must lie inside the page and inside the margins (25 mm left,
22 mm right, 15 mm top, 22 mm bottom; the page number below them). A part
that truly cannot be set is an input error with its position.

usage: test_nothing_lost.py MKLETTER REPO_ROOT"""
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

mkletter = os.path.abspath(sys.argv[1])
MM = 72 / 25.4
TOL = 1.5   # pt: glyph boxes of pdftotext against the layout's margins


def words(prefix, n):
    return " ".join(f"{prefix}{i}" for i in range(n))


def boxes(pdf):
    """[(page, width, height, x0, y0, x1, y1, word)] from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True).stdout
    res = []
    for n, (w, h, body) in enumerate(re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S)):
        for m in re.finditer(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>',
                             body):
            res.append((n + 1, float(w), float(h), *map(float, m.groups()[:4]), m.group(5)))
    return res


def render(wd, name, text, margins=True):
    """Render; every marked word (a letter and digits: w12, t3x4) is on a page, inside the page box and,
    with `margins`, inside the text area."""
    path = os.path.join(wd, name + ".md")
    with open(path, "w") as f:
        f.write(text)
    pdf = os.path.join(wd, name + ".pdf")
    r = subprocess.run([mkletter, path, "-o", pdf], capture_output=True, text=True)
    if not check(r.returncode == 0, f"{name}: exit 0", r.stderr):
        return None
    bx = boxes(pdf)
    want = Counter(re.findall(r"\b[a-z]\d+(?:[a-z]\d+)?\b", text))
    got = Counter(re.sub(r"[,.;:]$", "", b[7]) for b in bx)
    missing = [w for w in want if got[w] < want[w]]
    check(not missing, f"{name}: all {sum(want.values())} words on a page", f"{len(missing)} missing: {missing[:8]}")
    off = [b for b in bx if b[3] < 0 or b[4] < 0 or b[5] > b[1] or b[6] > b[2]]
    check(not off, f"{name}: every word inside the page box", off[:4])
    if margins:
        out = []
        for (page, w, h, x0, y0, x1, y1, t) in bx:
            if re.fullmatch(r"Page|of|\d+", t) and y0 > h - 22 * MM:
                continue   # the page number, below the text area
            if x0 < 25 * MM - TOL or x1 > w - 22 * MM + TOL or y0 < 15 * MM - TOL or y1 > h - 22 * MM + TOL:
                out.append((page, t, round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1)))
        check(not out, f"{name}: every word inside the margins", out[:4])
    return bx


def refused(wd, name, text, line, col, says):
    path = os.path.join(wd, name + ".md")
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([mkletter, path, "-o", os.path.join(wd, name + ".pdf")], capture_output=True, text=True)
    check(r.returncode == 1, f"{name}: exit 1", f"{r.returncode}: {r.stderr}")
    check(r.stderr.startswith(f"{path}:{line}:{col}: ") and says in r.stderr, f"{name}: error at its position", r.stderr)


def main():
    with tempfile.TemporaryDirectory() as wd:
        # lists nested 31 deep (the parser allows 32): the indent stops growing at 8 levels
        items = "\n".join("  " * d + f"- i{d} {words(f'n{d}x', 12)}" for d in range(31))
        bx = render(wd, "nested-lists", f"---\nsubject: Nested\n---\n\n{items}\n")
        if bx:
            left = {b[7]: b[3] for b in bx}
            # the top level is level 1: i7 is the 8th
            check(abs(left["i30"] - left["i7"]) < 0.5 and left["i7"] > left["i6"] + 10,
                  "nested lists: deeper than 8 levels at the 8th level's indent", (left["i6"], left["i7"], left["i30"]))
        # a co-signer entry taller than a page, between two small ones
        bx = render(wd, "tall-entry", "---\nsubject: Co-signers\nsignatories:\n  - heading: Organizations\n"
                    "    columns: 2\n    entries:\n      - a1 small\n"
                    f"      - {{name: a2 Big Entry, note: \"{words('w', 8000)}\"}}\n      - a3 small\n---\n\nHello.\n")
        if bx:
            check(len({b[0] for b in bx}) >= 5, "tall entry: broken across pages", len({b[0] for b in bx}))
        # a signature with a long title at the foot of a page (it ran over the footer)
        par = "\n\n".join(words(f"b{p}x", 60) for p in range(7))
        render(wd, "long-title", "---\nsubject: Signature\nclosing: Yours,\nsignatures:\n"
               f"  - {{name: s1 {words('s', 12)}, title: \"{words('t', 150)}\"}}\n  - {{name: z1 Bo, title: z2 short}}\n"
               f"---\n\n{par}\n")
        # three signatures a row, each with a long name and title, four rows, after bodies of every length
        # up to a page and a half (so that every row, not just the first, meets the foot of a page)
        sigs = "".join(f"  - {{name: \"{words(f'm{k}x', 10)}\", title: \"{words(f'q{k}x', 40)}\"}}\n" for k in range(12))
        for n in range(12):
            body = "\n\n".join(words(f"b{p}x", 60) for p in range(n)) or "Hello."
            render(wd, f"many-signatures-{n}", f"---\nsubject: Signatures\nsignatures:\n{sigs}---\n\n{body}\n")
        # CC blocks, addresses, letterhead, enclosures, P.S. and a heading, all long
        cc = "".join(f"  - |\n    {words(f'c{j}x', 30)}\n    c{j}y second line\n" for j in range(40))
        render(wd, "long-blocks", f"---\nsubject: Blocks\nto: |\n  {words('t', 40)}\n  t2 line\n"
               f"from: [{words('f', 30)}, f2 line]\ncc:\n{cc}enclosures: [{words('e', 80)}]\nps: {words('p', 300)}\n"
               f"---\n\n# {words('h', 60)}\n\nHello.\n")
        render(wd, "long-letterhead", f"---\nsubject: Letterhead\nletterhead:\n  name: {words('n', 30)}\n"
               f"  lines: [{words('l', 50)}, {words('m', 40)}]\n---\n\nHello.\n")
        render(wd, "window-address", f"---\nsubject: Window\nlayout: din5008a\nto: |\n  {words('t', 12)}\n  t2 line\n"
               f"from: {words('f', 20)}\n---\n\nHello.\n", margins=False)
        # a long place before the date (it was cut at 512 bytes), subject, opening and closing
        render(wd, "long-place", f"---\nsubject: {words('s', 400)}\nplace: {words('p', 200)}\ndate: 2020-02-21\n"
               f"opening: {words('o', 300)}\nclosing: {words('c', 300)}\n---\n\n> {words('q', 200)}\n")
        render(wd, "long-place-window", f"---\nsubject: W\nlayout: din5008b\nto: A\nplace: {words('p', 200)}\n"
               "date: 2020-02-21\n---\n\nHello.\n", margins=False)
        # what cannot be set is an error at its position, never silent loss
        refused(wd, "place-taller-than-page", f"---\nsubject: x\nplace: {words('p', 9000)}\ndate: 2020-02-21\n---\n\n"
                "Hello.\n", 3, 8, "'place' is 588 lines long (as set, with the date) and does not fit on the first page")
        refused(wd, "signature-taller-than-page", "---\nsubject: S\nsignatures:\n"
                f"  - {{name: Ann, title: \"{words('t', 3000)}\"}}\n---\n\nHello.\n", 4, 12,
                "the signature of 'Ann' is")
    finish()


main()
