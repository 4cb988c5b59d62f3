#!/usr/bin/env python3
"""Leading (issue 14, research/korean.md C.13): body lines of a Korean letter
are 150 % of the size apart on their own grid (16.5 pt at 11 pt), an English
letter's 127 % (14 pt); a Korean paragraph in an English letter keeps Korean
leading and the English after it is back on the 14 pt grid; `fonts:
leading:` sets it for both languages, as a share ("160%") or in points
("15pt"); a bad value is an error at its line and column. Baselines read
with pdftotext -bbox.

usage: test_leading.py MKLETTER REPO_ROOT
"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
EN = ("We write to you about the situation of human rights in the country and the role the government "
      "can play at the council next month, in the resolution and in the talks that follow it. ") * 3
KO = ("저희는 대통령님께서 한반도의 평화와 대화, 그리고 북한 정부와의 교류를 위해 기울여 오신 노력을 높이 "
      "평가합니다. 아울러 대한민국이 지난 여러 해 동안 유엔 인권이사회와 유엔 총회에서 북한 인권 결의안을 "
      "지지하며 중요한 역할을 해 왔다는 사실도 잘 알고 있습니다. ") * 2


def baselines(pdf, first_word):
    """yMax of each line of page 1 from the line holding first_word on, grouped by row."""
    out = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", pdf, "-"], capture_output=True, text=True).stdout
    words = [(float(m.group(4)), m.group(5)) for m in WORD.finditer(out)]
    rows = sorted({round(y, 2) for y, _ in words})
    start = next((round(y, 2) for y, w in words if w == first_word), None)
    return [y for y in rows if start is not None and y >= start]


def pitches(ys, n):
    return [round(b - a, 2) for a, b in zip(ys, ys[1:])][:n]


def render(mkl, tmp, name, front, body, ok=True):
    src = os.path.join(tmp, name + ".md")
    with open(src, "w", encoding="utf-8") as f:
        f.write(f"---\ndate: 2020-02-21\n{front}---\n\n{body}\n")
    pdf = os.path.join(tmp, name + ".pdf")
    r = subprocess.run([mkl, src, "-o", pdf, "-q"], capture_output=True, text=True)
    if ok:
        check(r.returncode == 0, f"{name} renders", r.stderr[-300:])
    return pdf, r


def main():
    mkl = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="mkletter-leading-") as tmp:
        for name, front, body, first, want in (
                ("en", "", "Opening " + EN, "Opening", 14.0),
                ("ko", "lang: ko\n", "첫머리 " + KO, "첫머리", 16.5),
                ("en-160", "fonts:\n  leading: 160%\n", "Opening " + EN, "Opening", 17.6),
                ("ko-15pt", "lang: ko\nfonts: {leading: 15pt}\n", "첫머리 " + KO, "첫머리", 15.0)):
            pdf, _ = render(mkl, tmp, name, front, body)
            p = pitches(baselines(pdf, first), 3)
            check(len(p) == 3 and all(abs(x - want) < 0.02 for x in p), f"{name}: lines {want} pt apart", p)
        # a Korean paragraph in an English letter: Korean leading, then back on the grid
        pdf, _ = render(mkl, tmp, "mixed", "", "Opening " + EN + "\n\n<div lang=\"ko\">\n\n첫머리 " + KO +
                        "\n\n</div>\n\nClosing " + EN)
        en, ko, after = baselines(pdf, "Opening"), baselines(pdf, "첫머리"), baselines(pdf, "Closing")
        check(all(abs(x - 16.5) < 0.02 for x in pitches(ko, 3)) and len(pitches(ko, 3)) == 3,
              "mixed: the Korean paragraph's lines 16.5 pt apart", pitches(ko, 3))
        check(all(abs(x - 14) < 0.02 for x in pitches(after, 3)), "mixed: the English after it 14 pt apart",
              pitches(after, 3))
        if en and after:
            off = (after[0] - en[0]) % 14
            check(min(off, 14 - off) < 0.02, "mixed: the English after it back on the 14 pt grid",
                  f"{after[0] - en[0]:.2f} pt below the first line")
        # a bad value
        _, r = render(mkl, tmp, "bad", "fonts:\n  leading: 90%\n", "Text.", ok=False)
        check(r.returncode != 0 and ":4:12:" in r.stderr and "'leading' must be" in r.stderr,
              "fonts: leading: 90% is an error at its place", r.stderr.strip()[-300:])
    finish()


if __name__ == "__main__":
    main()
