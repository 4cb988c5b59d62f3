#!/usr/bin/env python3
"""Address-window layouts: the seed letter set as DIN 5008 form A and B and in a
US No. 10 window envelope. Reads the positions back from the PDF
(pdftotext -bbox, and the fold marks from the content stream) and checks that
the recipient's first baseline and left edge are within 1 mm of the standard's
window, that the whole address sits inside the window, and that the fold and
punch marks are where the standard puts them.

usage: test_windows.py MKLETTER REPO_ROOT"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, failures, finish  # noqa: E402

mkletter, root = sys.argv[1], sys.argv[2]
MM = 72 / 25.4
IN = 72.0
# Liberation Serif: ascent 0.891, descent 0.216 of the size (pdftotext's word boxes)
ASC, DESC = 0.891, 0.216
RECIPIENT_SIZE = 10.0
TO = ["Moon Jae-in", "President of the Republic of Korea", "1 Cheongwadae-ro, Jongno-gu, Seoul",
      "Republic of Korea", "Fax: +82 2-770-4721", "E-mail: president@president.go.kr"]

# layout: paper, window (left, top, width, height), recipient zone top, text left, folds, punch mark
LAYOUTS = {
    "din5008a": ("a4", (20 * MM, 27 * MM, 85 * MM, 45 * MM), 44.7 * MM, 25 * MM, (87 * MM, 192 * MM), 148.5 * MM),
    "din5008b": ("a4", (20 * MM, 45 * MM, 85 * MM, 45 * MM), 62.7 * MM, 25 * MM, (105 * MM, 210 * MM), 148.5 * MM),
    "us-window": ("letter", (0.875 * IN, 1.875 * IN, 4.5 * IN, 1.375 * IN), 2.125 * IN, 1.0 * IN,
                  (11 / 3 * IN, 22 / 3 * IN), None),
}




def words(pdf):
    out = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", pdf, "-"], capture_output=True, text=True).stdout
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in
            re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', out)]


def rules(pdf, tmp, height):
    """Horizontal rules drawn on page 1: (x0, x1, y from the top)."""
    qdf = os.path.join(tmp, "q.pdf")
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", pdf, qdf], check=True)
    data = open(qdf, "rb").read().decode("latin-1")
    first = data[data.find("%% Contents for page 1"):]
    first = first[:first.find("%% Page 2")] if "%% Page 2" in first else first
    return [(float(x0), float(x1), height - float(y0)) for x0, y0, x1, y1 in
            re.findall(r"([\d.]+) ([\d.]+) m ([\d.]+) ([\d.]+) l S", first) if y0 == y1]


src = open(os.path.join(root, "examples", "open-letter.md"), encoding="utf-8").read()
with tempfile.TemporaryDirectory() as tmp:
    for name, (paper, win, zone_top, text_x, folds, punch) in LAYOUTS.items():
        letter = os.path.join(tmp, name + ".md")
        pdf = os.path.join(tmp, name + ".pdf")
        with open(letter, "w", encoding="utf-8") as f:
            f.write(src.replace("layout: plain", "layout: " + name).replace("paper: a4", "paper: " + paper))
        r = subprocess.run([mkletter, letter, "-o", pdf], capture_output=True, text=True)
        check(r.returncode == 0, f"{name}: renders", r.stderr)
        if r.returncode:
            continue
        ws = words(pdf)
        first = next((w for w in ws if w[4] == "Moon"), None)
        check(first is not None, f"{name}: the addressee's first word is on page 1")
        if not first:
            continue
        x0, y0, x1, y1, _ = first
        size = (y1 - y0) / (ASC + DESC)
        baseline = y1 - DESC * size
        want = zone_top + 0.75 * RECIPIENT_SIZE   # a cap height below the zone's top
        print(f"info: {name}: first baseline {baseline / MM:.2f} mm (window zone {zone_top / MM:.2f} mm), "
              f"left {x0 / MM:.2f} mm")
        check(abs(baseline - want) <= 1 * MM, f"{name}: first baseline within 1 mm", f"{(baseline - want) / MM:+.2f} mm")
        check(abs(x0 - text_x) <= 1 * MM, f"{name}: left edge within 1 mm", f"{(x0 - text_x) / MM:+.2f} mm")
        # every word of the address inside the window
        wl, wt, ww, wh = win
        lines = [w for w in ws if w[1] >= zone_top - 2 and w[3] <= wt + wh + 2 and w[0] < wl + ww]
        text = " ".join(w[4] for w in lines)
        check(all(t.split()[0] in text for t in TO), f"{name}: the address lines are in the window", text[:120])
        inside = all(wl <= w[0] and w[2] <= wl + ww and wt <= w[1] and w[3] <= wt + wh for w in lines)
        check(inside, f"{name}: nothing of the address leaves the window")
        # the return address: above the recipient zone, inside the field
        back = [w for w in ws if wt <= w[1] and w[3] <= zone_top and wl <= w[0] < wl + ww]
        check(len(back) > 0, f"{name}: a return-address line above the recipient")
        # fold and punch marks in the left margin
        marks = [y for a, b, y in rules(pdf, tmp, 792.0 if paper == "letter" else 841.89) if b <= 15 * MM]
        for fy in folds:
            check(any(abs(y - fy) < 0.5 for y in marks), f"{name}: fold mark at {fy / MM:.1f} mm", marks)
        if punch:
            check(any(abs(y - punch) < 0.5 for y in marks), f"{name}: punch mark at {punch / MM:.1f} mm", marks)

finish()
