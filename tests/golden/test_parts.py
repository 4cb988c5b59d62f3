#!/usr/bin/env python3
"""Every part of a letter, read back from the PDF: a one-page letter with
each key of the front matter and each kind of body block, whose text
(pdftotext) must be exactly the expected lines in order, and whose
geometry (pdftotext -bbox) must be right where a reader sees it: list
markers hanging in the indent, nested lists and quotes indented, room to
sign above the name, the document title.

usage: test_parts.py MKLETTER REPO_ROOT"""
import os
import re
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, run, text  # noqa: E402

mkletter = os.path.abspath(sys.argv[1])

LETTER = """---
lang: en
date: 2021-03-04
place: Geneva
letterhead:
  name: Example Org
  lines: ["1 Main Street, Geneva", "example.org"]
to: |
  Jane Roe
  Ministry of Examples
cc: ["Carl Copy"]
subject: All the parts
opening: Dear Ms Roe,
closing: Yours sincerely,
signatures: [{name: Ann Alpha, title: Director}]
enclosures: [The report]
ps: A short postscript.
---

A first paragraph with *emphasis*, **strength** and `code`.

3) third item
4) fourth item

1. one
2. two

- a bullet
  - a nested bullet

> A quoted line.

## A heading

Last paragraph.
"""

EXPECTED = """Geneva, March 4, 2021
Jane Roe
Ministry of Examples
CC.
Carl Copy
Re: All the parts
Dear Ms Roe,
A first paragraph with emphasis, strength and code.
3) third item
4) fourth item
1. one
2. two
\u2022 a bullet
\u2013 a nested bullet
A quoted line.
A heading
Last paragraph.
Yours sincerely,
Ann Alpha
Director
Enclosure:
The report
P.S. A short postscript.
Page 1 of 1""".split("\n")


def words(pdf):
    """{word: [(xMin, yMin, xMax)]} of the first page."""
    out = text(run(["pdftotext", "-f", "1", "-l", "1", "-bbox", pdf, "-"]).stdout)
    got = {}
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', out):
        got.setdefault(m.group(4), []).append((float(m.group(1)), float(m.group(2)), float(m.group(3))))
    return got


def render(tmp, name, letter):
    src, pdf = os.path.join(tmp, name + ".md"), os.path.join(tmp, name + ".pdf")
    with open(src, "w", encoding="utf-8") as f:
        f.write(letter)
    r = run([mkletter, src, "-o", pdf])
    return pdf if check(r.returncode == 0, f"{name} renders", text(r.stderr)[-300:]) else None


with tempfile.TemporaryDirectory(prefix="mkletter-parts-") as tmp:
    pdf = render(tmp, "parts", LETTER)
    if pdf:
        lines = [ln.strip() for ln in text(run(["pdftotext", "-enc", "UTF-8", pdf, "-"]).stdout).splitlines() if ln.strip()]
        head = [ln for ln in lines if ln in ("Example Org", "1 Main Street, Geneva", "example.org")]
        check(sorted(head) == ["1 Main Street, Geneva", "Example Org", "example.org"], "the letterhead's three lines", lines[:5])
        body = lines[lines.index(EXPECTED[0]):] if EXPECTED[0] in lines else lines
        for i, (got, want) in enumerate(zip(body, EXPECTED)):
            if not check(got == want, f"line {i + 1} of the letter", f"got {got!r}, expected {want!r}"):
                break
        check(len(body) == len(EXPECTED), "as many lines as expected", f"{len(body)} lines: {body[len(EXPECTED):]}")

        w = words(pdf)
        first = lambda k: w[k][0] if k in w else (0.0, 0.0, 0.0)  # noqa: E731
        lead = first("4)")[1] - first("3)")[1]
        check(13 < lead < 16, "list items one line apart", lead)
        # markers hang in the indent, right-aligned, before the item's text
        ends = [first(k)[2] for k in ("3)", "4)", "1.", "2.", "\u2022")]
        check(max(ends) - min(ends) < 0.01 and max(ends) < first("third")[0] - 2,
              "list markers right-aligned in the indent, before the text", ends)
        check(first("third")[0] == first("one")[0] and first("one")[0] > first("A")[0] + 10,
              "list items indented, all alike", (first("A"), first("third"), first("one")))
        check(first("\u2013")[0] > first("\u2022")[0] + 10 and w["a"][1][0] > w["a"][0][0] + 10,
              "a nested list one step further in", (first("\u2022"), first("\u2013"), w.get("a")))
        check(first("quoted")[0] > first("A")[0] + 15, "a block quote indented", first("quoted"))
        # room to sign: the name stands at least 3.5 lines below the closing
        gap = first("Ann")[1] - first("Yours")[1]
        check(gap > 3.5 * lead, "room to sign between the closing and the name", f"{gap:.1f} pt, {gap / lead:.1f} lines")
        check(0 < first("Director")[1] - first("Ann")[1] < 1.2 * lead and first("Director")[0] == first("Ann")[0],
              "the title under the name", (first("Ann"), first("Director")))
        check(first("The")[0] > first("Enclosure:")[0] + 10, "enclosures listed under their label, indented",
              (first("Enclosure:"), first("The")))
        info = text(run(["pdfinfo", "-enc", "UTF-8", pdf]).stdout)
        check(re.search(r"^Title:\s+All the parts$", info, re.M) is not None, "the PDF's title is the subject", info)
        check(re.search(r"^Author:\s+Example Org$", info, re.M) is not None, "the PDF's author is the letterhead", info)

    # two enclosures: the label says so
    pdf = render(tmp, "two", LETTER.replace("enclosures: [The report]", "enclosures: [The report, The annex]"))
    if pdf:
        t = text(run(["pdftotext", pdf, "-"]).stdout)
        check("Enclosures:\n" in t and "Enclosure:\n" not in t and "The annex" in t, "two enclosures: 'Enclosures:'", t[-200:])
    # a long letterhead name is set smaller, down to 13 pt, before it wraps:
    # 17 pt when it fits, one line at 13 pt for a name that needs it
    base = "Alliance for Human Rights in North Korea and the Region Worldwide Now Again"
    for name, lo, hi in [(base[:50].rstrip(), 16.5, 17.5), (base, 12.5, 13.5)]:
        pdf = render(tmp, "lhname", f"---\nletterhead:\n  name: {name}\nsubject: Hi\n---\n\nHello.\n")
        if pdf:
            out = text(run(["pdftotext", "-f", "1", "-l", "1", "-bbox", pdf, "-"]).stdout)
            boxes = [(float(a), float(b)) for a, b, word in re.findall(
                r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', out)
                if word in name.split()]
            rows = {round(y0, 1) for y0, _ in boxes}
            size = (boxes[0][1] - boxes[0][0]) / 1.107 if boxes else 0   # Liberation's box is 1.107 em high
            check(len(rows) == 1 and lo <= size <= hi,
                  f"a letterhead name of {len(name)} characters: one line at {lo:.0f}-{hi:.0f} pt",
                  f"{len(rows)} line(s) at {size:.1f} pt")
    # three signatures a row: a long title wraps flush with the name, not indented
    title = "Director of International Programmes and Advocacy for the Region"
    pdf = render(tmp, "sigtitle", "---\nsubject: Hi\nclosing: Yours,\nsignatures:\n"
                 f"  - {{name: Ann Alpha, title: {title}}}\n  - {{name: Bob Beta, title: Treasurer}}\n"
                 "  - {name: Cid Gamma, title: Secretary}\n---\n\nHello.\n")
    if pdf:
        w = words(pdf)
        tw = title.split()
        xs = sorted({round(x0, 1) for k in tw for x0, _y, _x1 in w.get(k, [])})
        rows = sorted({round(y, 1) for k in tw for _x0, y, _x1 in w.get(k, [])})
        ann = w.get("Ann", [(0, 0, 0)])[0][0]
        lefts = [min(x0 for k in tw for x0, y, _x1 in w.get(k, []) if round(y, 1) == r) for r in rows]
        lefts = [x for x in lefts if x < ann + 100]   # the first column's lines
        check(len(rows) >= 2 and all(abs(x - ann) < 0.1 for x in lefts),
              "a wrapped signature title: every line flush with the name", (ann, lefts, xs[:3]))
    # a P.S. of several lines: every line at the left margin, justified, no hanging indent
    ps = " ".join(f"postscript{i:02d}" for i in range(40))
    pdf = render(tmp, "pslong", f"---\nsubject: Hi\nps: {ps}\n---\n\nHello.\n")
    if pdf:
        w = words(pdf)
        lefts = {}
        for k, boxes in w.items():
            if k.startswith("postscript") or k == "P.S.":
                for x0, y, _x1 in boxes:
                    lefts[round(y, 1)] = min(lefts.get(round(y, 1), 1e9), x0)
        check(len(lefts) >= 3 and max(lefts.values()) - min(lefts.values()) < 0.1,
              "a long P.S.: every line starts at the margin", sorted(lefts.items()))
finish()
