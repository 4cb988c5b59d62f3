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
      "Republic of Korea", "Fax: +82 2-770-4721"]

# layout: paper, window (left, top, width, height), recipient zone top, text left, folds, punch mark
LAYOUTS = {
    "din5008a": ("a4", (20 * MM, 27 * MM, 85 * MM, 45 * MM), 44.7 * MM, 25 * MM, (87 * MM, 192 * MM), 148.5 * MM),
    "din5008b": ("a4", (20 * MM, 45 * MM, 85 * MM, 45 * MM), 62.7 * MM, 25 * MM, (105 * MM, 210 * MM), 148.5 * MM),
}
# US No. 10 on US Letter and on A4: the sheet folded in thirds of its own
# height rests on the envelope's bottom; the window (1 1/8 x 4 1/2 in, 7/8 in
# from the left, 1/2 in from the bottom) shows 1 5/8 in to 1/2 in above the
# first fold; the recipient zone starts under a 6 pt return line (its baseline
# 1/8 in + an ascender into the window), its descender and 3 pt.
for paper, height in (("letter", 792.0), ("a4", 841.89)):
    panel = height / 3
    top = panel - 1.625 * IN
    LAYOUTS["us-window-" + paper] = (paper, (0.875 * IN, top, 4.5 * IN, 1.125 * IN), top + 0.125 * IN + 4.5 + 1.5 + 3,
                                     1.0 * IN, (panel, 2 * panel), None)
CLEAR = 0.125 * IN   # the US window's clearance on every side




def ink_rows(pdf, tmp, win):
    """Page 1 at 144 dpi in grey: (ink pixels in the window's 1/8 in clearance
    ring, [(top, bottom) in pt of each band of rows with ink inside the clear
    zone])."""
    base = os.path.join(tmp, "ink")
    subprocess.run(["pdftoppm", "-r", "144", "-gray", "-f", "1", "-l", "1", pdf, base], check=True)
    data = open(base + "-1.pgm", "rb").read()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    w, h = int(m.group(1)), int(m.group(2))
    px = data[m.end():]
    k = 2.0   # pixels per point
    wl, wt, ww, wh = (round(v * k) for v in win)
    c = round(CLEAR * k)
    ring, rows = 0, []
    for y in range(wt, wt + wh):
        line = px[y * w + wl:y * w + wl + ww]
        dark = [x for x, v in enumerate(line) if v < 160]
        inner = [x for x in dark if c <= x < ww - c] if c <= y - wt < wh - c else []
        ring += len(dark) - len(inner)
        rows.append(bool(inner))
    bands, start = [], None
    for i, on in enumerate(rows + [False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            bands.append(((wt + start) / k, (wt + i) / k))
            start = None
    merged = []   # the return line's underline is part of it
    for b in bands:
        if merged and b[0] - merged[-1][1] < 1.5:
            merged[-1] = (merged[-1][0], b[1])
        else:
            merged.append(b)
    return ring, merged


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
        layout = "us-window" if name.startswith("us-window") else name
        text = src.replace("layout: plain", "layout: " + layout).replace("paper: a4", "paper: " + paper)
        if layout == "us-window":
            # the seed's six address lines do not fit a No. 10 window: an error saying how many do
            with open(letter, "w", encoding="utf-8") as f:
                f.write(text)
            r = subprocess.run([mkletter, letter, "-o", pdf], capture_output=True, text=True)
            check(r.returncode == 1 and "'to' is 6 lines long" in r.stderr and "which holds 5 lines" in r.stderr
                  and not os.path.exists(pdf), f"{name}: a six-line address is refused, saying five lines fit", r.stderr)
            text = text.replace("  E-mail: president@president.go.kr\n", "")
        with open(letter, "w", encoding="utf-8") as f:
            f.write(text)
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
        if layout == "us-window":
            # the body flush with the address; all ink 1/8 in inside the window, the
            # return line apart from the recipient's first line
            body = next((w for w in ws if w[4] == "We"), None)
            check(body is not None and abs(body[0] - x0) < 0.1, f"{name}: the address flush with the body's left edge",
                  (x0, body and body[0]))
            ring, bands = ink_rows(pdf, tmp, win)
            print(f"info: {name}: ink bands in the clear zone (pt): {[(round(a, 1), round(b, 1)) for a, b in bands]}")
            check(ring == 0, f"{name}: nothing drawn in the window's 1/8 in clearance", f"{ring} dark pixels")
            check(len(bands) == 6, f"{name}: the return line and five address lines inside the clear zone", bands)
            check(len(bands) >= 2 and bands[1][0] - bands[0][1] >= 2, f"{name}: the return line does not touch the address",
                  bands[:2])

    # a smaller body sets a smaller recipient, but the clear zone still holds five lines
    letter = os.path.join(tmp, "us-small.md")
    with open(letter, "w", encoding="utf-8") as f:
        f.write("---\nlayout: us-window\npaper: letter\nfonts: {size: 9pt}\nto: [A One, B Two, C Three, D Four, E Five, F Six]\n"
                "subject: Hi\n---\n\nHello.\n")
    r = subprocess.run([mkletter, letter, "-o", os.path.join(tmp, "us-small.pdf")], capture_output=True, text=True)
    check(r.returncode == 1 and "which holds 5 lines" in r.stderr, "us-window at 9 pt: six address lines refused, five fit",
          r.stderr)

finish()
