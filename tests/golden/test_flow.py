#!/usr/bin/env python3
"""How the parts of a letter flow onto pages, read back from the PDF
(pdftotext -bbox): no orphan and no widow at any page break, signatures in
the order written, left to right and row by row, each title under its name;
CC blocks side by side; every link a link annotation.

usage: test_flow.py MKLETTER REPO_ROOT"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import checks  # noqa: E402
from checks import check, finish, run  # noqa: E402

mkletter = os.path.abspath(sys.argv[1])


def words(pdf):
    """[(page, xMin, yMin, word)] of every word of the PDF."""
    return [(p, x0, y0, w) for p, w, x0, y0, _x1, _y1 in checks.words(pdf)]


def render(tmp, name, letter, *args):
    path = os.path.join(tmp, name + ".md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(letter)
    pdf = os.path.join(tmp, name + ".pdf")
    r = run([mkletter, path, "-o", pdf, *args])
    ok = check(r.returncode == 0, f"{name} renders", r.stderr.decode("utf-8", "replace")[-300:])
    return pdf if ok else None


def zebra_lines(tmp, name, k, words_n):
    """Render a first paragraph of k lines, then a paragraph of `words_n`
    "zebra"s: {page: lines of the zebra paragraph on it}, or None."""
    first = "\\\n".join(f"Line {i} of the first paragraph." for i in range(1, k + 1))
    para = " ".join(["zebra"] * words_n)
    letter = f"---\nsubject: Flow\n---\n\n{first}\n\n{para}\n\nThe end.\n"
    pdf = render(tmp, f"{name}-{k}", letter, "--no-page-numbers")
    if not pdf:
        return None
    lines = {}
    for page, _x, y, w in words(pdf):
        if w == "zebra":
            lines.setdefault(page, set()).add(round(y, 1))
    os.remove(pdf)
    return {p: len(ys) for p, ys in sorted(lines.items())}


def check_orphans_widows(tmp):
    """A paragraph of six lines after a first paragraph of k lines, for the k
    around the first two page breaks: wherever the page break falls, each page holds
    at least two of its lines (no lone first line at a page's foot, no lone
    last line at the next page's head)."""
    split, together = 0, 0
    for k in list(range(38, 54)) + list(range(88, 104)):   # around the first and the second page break
        counts = zebra_lines(tmp, "flow", k, 90)   # six lines of the one word
        if counts is None:
            return
        total = sum(counts.values())
        check(total == 6, f"k={k}: the paragraph has its six lines", counts)
        print(f"info: k={k}: {counts}")
        if len(counts) == 1:
            together += 1
        else:
            split += 1
            check(min(counts.values()) >= 2, f"k={k}: no orphan or widow where the paragraph breaks",
                  f"its lines per page: {counts}")
    check(split >= 4 and together >= 4, "the page break fell inside the paragraph for several k, not for others",
          (split, together))


def check_three_lines(tmp):
    """A paragraph of three lines cannot be split without an orphan or a
    widow: wherever the page break falls, it stays whole on one page (with two
    lines left free at a page's foot, all three go to the next page)."""
    for k in range(44, 52):   # around the first page break
        counts = zebra_lines(tmp, "three", k, 40)   # three lines of the one word
        if counts is None:
            return
        print(f"info: three lines, k={k}: {counts}")
        check(sum(counts.values()) == 3 and len(counts) == 1, f"k={k}: the three-line paragraph stays on one page",
              f"its lines per page: {counts}")


def check_last_group_whole(tmp, root):
    """The letter's last group of co-signers, which would break over a page
    but fits whole on the next, goes there whole at no cost in pages: in the
    seed letter the seven individuals stand with their heading on page 4
    (they were split 2 / 5 over pages 3 and 4); a group longer than a page
    still flows over pages."""
    pdf = os.path.join(tmp, "seed.pdf")
    r = run([mkletter, os.path.join(root, "examples", "open-letter.md"), "-o", pdf])
    if not check(r.returncode == 0, "the seed letter renders", r.stderr):
        return
    ws = words(pdf)
    pages = {w: p for p, _x, _y, w in ws}
    names = ["Individuals", "Darusman,", "Alton,", "Biserko,", "Lee,", "Muntarbhorn,", "Nice,", "Ojea-Quintana,"]
    where = {w: pages.get(w) for w in names}
    check(len(set(where.values())) == 1 and max(p for p, *_ in ws) == 4,
          "the seed's individuals stand whole on its last page, 4 pages in all", where)
    # a last group of seven, after a body of k lines: wherever the page break
    # falls, the group stands whole on one page (it always fits on one)
    group = "".join(f"      - Zed{i}, member of a group\n" for i in range(7))
    split = []
    for k in range(36, 52):
        first = "\\\n".join(f"Line {i} of the body." for i in range(1, k + 1))
        pdf = render(tmp, f"group-{k}", f"---\nsubject: Flow\nsignatories:\n  - heading: Zeds\n    columns: 1\n"
                     f"    entries:\n{group}---\n\n{first}\n", "--no-page-numbers")
        if not pdf:
            return
        pp = {p for p, _x, _y, w in words(pdf) if w.startswith("Zed")}
        if len(pp) > 1:
            split.append(k)
    check(not split, "a last group that fits on a page is never split over two", f"split after k = {split}")
    many = "".join(f"      - Person {i:03d}, of a long list\n" for i in range(150))
    pdf = render(tmp, "long-group", f"---\nsubject: Hi\nsignatories:\n  - heading: Everyone\n    columns: 1\n    entries:\n{many}---\n\n"
                 "Hello.\n")
    if pdf:
        pp = {p for p, _x, _y, w in words(pdf) if w == "Person"}
        first = {p for p, _x, _y, w in words(pdf) if w == "Everyone"}
        check(len(pp) >= 2 and first == {min(pp)} and min(pp) == 1, "a group longer than a page starts at once and flows over pages",
              (first, sorted(pp)))


def check_signature_order(tmp):
    names = [("Ann", "Alpha", "First"), ("Bob", "Beta", "Second"), ("Cid", "Gamma", "Third"),
             ("Dee", "Delta", "Fourth"), ("Eve", "Epsilon", "Fifth")]
    sigs = "".join(f"  - {{name: {a} {b}, title: {t}}}\n" for a, b, t in names)
    pdf = render(tmp, "signatures", f"---\nsubject: Hi\nclosing: Yours,\nsignatures:\n{sigs}---\n\nHello.\n")
    if not pdf:
        return
    at = {w: (x, y) for _p, x, y, w in words(pdf)}
    missing = [a for a, _b, t in names for a in (a, t) if a not in at]
    if not check(not missing, "every signature's name and title is there", missing):
        return
    row1, row2 = [at[n[0]] for n in names[:3]], [at[n[0]] for n in names[3:]]
    check(all(abs(p[1] - row1[0][1]) < 0.5 for p in row1) and all(abs(p[1] - row2[0][1]) < 0.5 for p in row2),
          "three signatures a row: the first three side by side, then the other two", (row1, row2))
    check(row1[0][0] < row1[1][0] < row1[2][0] and row2[0][0] < row2[1][0],
          "signatures left to right in the order written", [(n[0], at[n[0]][0]) for n in names])
    check(row2[0][1] > row1[0][1] + 10, "the second row below the first", (row1[0], row2[0]))
    check(abs(row2[0][0] - row1[0][0]) < 0.5, "each row starts at the left margin", (row1[0], row2[0]))
    for a, _b, t in names:
        check(abs(at[t][0] - at[a][0]) < 0.5 and at[a][1] < at[t][1] < at[a][1] + 20,
              f"{t!r} is set under {a!r}", (at[a], at[t]))


def check_cc_and_links(tmp):
    """Two CC blocks side by side after the label, one block alone after it;
    every link of the body is a link annotation to its URL."""
    pdf = render(tmp, "cc2", "---\nsubject: Links\ncc: [\"Ann One\", \"Bob Two\"]\n---\n\n"
                 "See [the first site](https://example.org/one) and [the second](https://example.org/two).\n")
    if pdf:
        at = {w: (x, y) for _p, x, y, w in words(pdf)}
        if check(all(w in at for w in ("CC.", "Ann", "Bob")), "the CC label and both blocks are there", sorted(at)):
            check(abs(at["Ann"][1] - at["CC."][1]) < 0.5 and abs(at["Bob"][1] - at["Ann"][1]) < 0.5
                  and at["CC."][0] < at["Ann"][0] < at["Bob"][0] - 100,
                  "two CC blocks stand side by side on the label's line", (at["CC."], at["Ann"], at["Bob"]))
        urls = run(["pdfinfo", "-url", pdf]).stdout.decode("utf-8", "replace").split()
        check(urls.count("https://example.org/one") == 1 and urls.count("https://example.org/two") == 1,
              "each link of the body is one link annotation", urls)
    pdf = render(tmp, "cc1", "---\nsubject: One\ncc: [\"Ann One\"]\n---\n\nHello.\n")
    if pdf:
        at = {w: (x, y) for _p, x, y, w in words(pdf)}
        check("Ann" in at and "CC." in at and abs(at["Ann"][1] - at["CC."][1]) < 0.5,
              "one CC block stands on the label's line", sorted(at))


with tempfile.TemporaryDirectory(prefix="mkletter-flow-") as tmp:
    check_orphans_widows(tmp)
    check_three_lines(tmp)
    check_last_group_whole(tmp, sys.argv[2])
    check_signature_order(tmp)
    check_cc_and_links(tmp)
finish()
