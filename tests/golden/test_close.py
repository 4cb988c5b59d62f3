#!/usr/bin/env python3
"""The close stays with what it closes (issue 14): the last two lines of the
body, the closing and the start of what follows it (the first row of
signatures, or the first group's heading with its first rows) fall on one
page, and the page before keeps no hole of more than MAX_HOLE lines: where
keeping them would leave a larger one the close (closing and first row of
signatures, never the closing alone) starts the next page instead. On the
seed letter ("Sincerely," was the last text of page 2), the Korean example,
and a letter with signatures whose body grows a line at a time over two page
ends. Read back with pdftotext -bbox.

usage: test_close.py MKLETTER REPO_ROOT
"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
MAX_HOLE = 7          # lines left empty at the foot of the page before the close
FILLER = ("The government has a role to play in the resolution and in the talks that follow it, and we ask "
          "it to take that role with care for the people whose rights are at stake. ")


def words(pdf):
    """[(page, yMax, xMin, text, xMax)] of every word, the page furniture (header, folio) left out."""
    out = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True).stdout
    res = []
    for n, page in enumerate(out.split("<page ")[1:], 1):
        for m in WORD.finditer(page):
            res.append((n, float(m.group(4)), float(m.group(1)), m.group(5), float(m.group(3))))
    rows = {}
    for w in res:
        rows.setdefault((w[0], round(w[1], 1)), []).append(w)
    drop = set()
    for key, row in rows.items():
        text = " ".join(w[3] for w in sorted(row, key=lambda w: w[2]))
        # the folio, and the running header at the top of later pages
        if re.fullmatch(r"Page \d+ of \d+|\d+ / \d+", text) or (key[0] > 1 and key[1] < 75):
            drop.add(key)
    return [w for w in res if (w[0], round(w[1], 1)) not in drop]


def lines(pdf):
    """[(page, y, text)] in reading order, furniture left out."""
    rows = {}
    for p, y, x, t, _ in words(pdf):
        rows.setdefault((p, round(y, 1)), []).append((x, t))
    return [(p, y, " ".join(t for _, t in sorted(v))) for (p, y), v in sorted(rows.items())]


def last_line_end(ws, page):
    """Where the last line of `page` ends (the right edge of its last word)."""
    on = [w for w in ws if w[0] == page]
    y = max(w[1] for w in on)
    return max(w[4] for w in on if w[1] == y)


def find(ls, text, after=0):
    for i in range(after, len(ls)):
        if text in ls[i][2]:
            return i
    return None


def check_close(what, pdf, closing, follow, lead=14.0, rows=2):
    ls = lines(pdf)
    i = find(ls, closing)
    if not check(i is not None and i >= 2, f"{what}: closing {closing!r} found after the body", ls[:3]):
        return
    j = find(ls, follow, i + 1)
    if not check(j is not None, f"{what}: {follow!r} found after the closing"):
        return
    page = ls[i][0]
    chain = ls[i - 2:j + 1 + rows]
    check(all(p == page for p, _, _ in chain), f"{what}: last two body lines, closing, {follow!r} and "
          f"{rows} rows on one page", [(p, t[:30]) for p, _, t in chain])
    check(ls[-1][2] != ls[i][2] and ls[i + 1][0] == page, f"{what}: the closing is not the last text of its page")
    # no widow: the close's page does not start with the lone last line of a paragraph
    # begun on the page before (its last line there runs to the margin, mid-paragraph)
    if page > 1:
        ws = words(pdf)
        on_page = [x for x in ls if x[0] == page]
        right = max(w[4] for w in ws)
        lone = (len(on_page) > 1 and on_page[1][1] - on_page[0][1] > lead + 1 and
                right - last_line_end(ws, page - 1) < 2)
        check(not lone, f"{what}: page {page} does not start with a widow", on_page[0][2][:40])
    # the hole: the page before the close's ends no more than MAX_HOLE lines above the lowest baseline
    if page > 1:
        foot = max(y for p, y, _ in ls)
        prev = max(y for p, y, _ in ls if p == page - 1)
        check(foot - prev <= MAX_HOLE * lead + 4, f"{what}: page {page - 1} ends at most {MAX_HOLE} lines short",
              f"{(foot - prev) / lead:.1f} lines")


def render(mkl, src, pdf):
    r = subprocess.run([mkl, src, "-o", pdf, "-q"], capture_output=True, text=True)
    return check(r.returncode == 0, f"{os.path.basename(src)} renders", r.stderr[-300:])


def main():
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="mkletter-close-") as tmp:
        pdf = os.path.join(tmp, "seed.pdf")
        foot = None
        if render(mkl, os.path.join(root, "examples", "open-letter.md"), pdf):
            check_close("seed", pdf, "Sincerely,", "Organizations")
            foot = max(y for p, y, _ in lines(pdf) if p == 1)   # a full A4 page: its lowest line
        pdf = os.path.join(tmp, "ko.pdf")
        if render(mkl, os.path.join(root, "examples", "open-letter.ko.md"), pdf):
            check_close("Korean example", pdf, "일동 올림", "참여 단체", lead=16.5)
        # signatures: a body a line longer each time, over two page ends
        splits = kept = 0
        for k in range(40):
            src = os.path.join(tmp, f"sig{k}.md")
            body = "\n\n".join([FILLER * 6] * 3 + [FILLER * (k // 4 + 1) + "word " * (k % 4 * 4),
                                                    "The penultimate line.", "The final line."])
            with open(src, "w", encoding="utf-8") as f:
                f.write("---\ndate: 2020-02-21\nsubject: A test\nclosing: Yours sincerely,\nsignatures:\n"
                        "  - {name: Alice Signer, title: Chair}\n  - {name: Bob Signer, title: Director}\n---\n\n"
                        + body + "\n")
            pdf = os.path.join(tmp, f"sig{k}.pdf")
            if not render(mkl, src, pdf):
                continue
            ls = lines(pdf)
            i, j = find(ls, "Yours sincerely,"), find(ls, "Alice Signer")
            if i is None or j is None:
                check(False, f"signatures {k}: closing and signature found")
                continue
            check(ls[i][0] == ls[j][0] and ls[i + 1][0] == ls[i][0],
                  f"signatures {k}: the closing is not the last text of its page, its first signature with it",
                  [(p, t[:25]) for p, _, t in ls[i - 2:j + 1]])
            together = len({ls[x][0] for x in (i - 2, i - 1, i, j)}) == 1
            kept += together
            print(f"info: signatures {k}: close on page {ls[i][0]}, " +
                  ("with the body's last two lines" if together else "the body's last lines on the page before"))
            splits += together and ls[i][0] > 1 and ls[i - 3][0] < ls[i][0]
            if not together:
                # left behind only when keeping them would leave a larger hole: the room
                # below the line before the two that would have to move
                left = (foot - ls[i - 3][1]) / 14 if foot else 0   # the room below the line before them
                check(left > MAX_HOLE, f"signatures {k}: the close leaves the body's last lines behind only "
                      f"where keeping them would leave more than {MAX_HOLE} lines empty", f"{left:.1f} lines")
            if together and ls[i][0] > 1:
                prev = max(y for p, y, _ in ls if p == ls[i][0] - 1)
                check(foot is not None and foot - prev <= MAX_HOLE * 14 + 4, f"signatures {k}: the page before ends at most {MAX_HOLE} "
                      "lines short", f"{(foot - prev) / 14:.1f} lines" if foot else "no foot measured")
        check(splits >= 2, "the close with the body's last two lines started a page at least twice", splits)
        check(kept >= 20, "the close kept with the body's last two lines in at least 20 of the 40", kept)
        # a group of co-signers: a body a line longer each time; the closing is kept
        # with the group's heading (the page breaker's trials place the heading
        # too, not only the closing)
        alone = 0
        for k in range(24):
            src = os.path.join(tmp, f"grp{k}.md")
            body = "\n\n".join([FILLER * 6] * 3 + [FILLER * (k // 4 + 1) + "word " * (k % 4 * 4),
                                                    "The penultimate line.", "The final line."])
            with open(src, "w", encoding="utf-8") as f:
                f.write("---\ndate: 2020-02-21\nsubject: A test\nclosing: Yours sincerely,\nsignatories:\n"
                        "  - heading: Co-signers\n    columns: 2\n    entries:\n" +
                        "".join(f"      - Organisation number {n}\n" for n in range(12)) + "---\n\n" + body + "\n")
            pdf = os.path.join(tmp, f"grp{k}.pdf")
            if not render(mkl, src, pdf):
                continue
            ls = lines(pdf)
            i, j = find(ls, "Yours sincerely,"), find(ls, "Co-signers")
            if not check(i is not None and j is not None and j > i, f"group {k}: closing and heading found"):
                continue
            if ls[i][0] != ls[j][0]:
                # left there only when moving the close would leave a larger hole: the
                # room below the line before the body's last two
                alone += 1
                left = (foot - ls[i - 3][1]) / 14 if foot else 0
                check(left > MAX_HOLE, f"group {k}: the closing is away from the group's heading only where "
                      f"keeping them would leave more than {MAX_HOLE} lines empty", f"{left:.1f} lines")
        print(f"info: groups: the closing away from the heading in {alone} of 24")
    finish()


if __name__ == "__main__":
    main()
