#!/usr/bin/env python3
"""Glyph expansion (issue 14), read back with mutool trace: a justified line's
glyphs may be drawn up to 2 % wider or narrower (PDF horizontal scaling, Tz)
so that its spaces take less of the stretch. In the seed letter lines are set
both wider and narrower, none past 2 %; Hangul is never scaled (the Korean
example's syllables keep their square); the text read back is the letter's.

usage: test_expansion.py MKLETTER REPO_ROOT"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, run, text  # noqa: E402

mkletter, root = sys.argv[1], sys.argv[2]
LIMIT = 0.02


def spans(pdf):
    """[(horizontal / vertical scale, text)] of every span mutool traces."""
    r = run(["mutool", "trace", pdf])
    check(r.returncode == 0, f"{os.path.basename(pdf)}: mutool trace reads it (mupdf-tools)", text(r.stderr)[-300:])
    out, res = text(r.stdout), []
    for m in re.finditer(r'<span [^>]*trm="([-\d.e]+) ([-\d.e]+) ([-\d.e]+) ([-\d.e]+)"[^>]*>(.*?)</span>', out, re.S):
        a, b, c, d = (float(m.group(i)) for i in range(1, 5))
        chars = "".join(re.findall(r'<g unicode="([^"]*)"', m.group(5)))
        if d:
            res.append((a / d, chars))
    return res


def hangul(ch):
    o = ord(ch) if len(ch) == 1 else 0
    return 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F


with tempfile.TemporaryDirectory() as tmp:
    seed, ko = os.path.join(tmp, "seed.pdf"), os.path.join(tmp, "ko.pdf")
    for src, pdf in (("open-letter.md", seed), ("open-letter.ko.md", ko)):
        r = subprocess.run([mkletter, os.path.join(root, "examples", src), "-o", pdf])
        check(r.returncode == 0, f"{src} renders", r.returncode)

    s = spans(seed)
    check(len(s) > 40, "seed letter: spans traced", len(s))
    wider = [x for x, _ in s if x > 1.0005]
    narrower = [x for x, _ in s if x < 0.9995]
    beyond = [x for x, _ in s if abs(x - 1) > LIMIT + 0.0005]
    check(len(wider) >= 10, "seed letter: justified lines with their glyphs drawn wider", len(wider))
    check(len(narrower) >= 3, "seed letter: justified lines with their glyphs drawn narrower", len(narrower))
    check(not beyond, f"seed letter: no glyph scaled by more than {LIMIT:.0%}", beyond[:5])
    # the last line of a paragraph (natural spacing) and headings are not scaled
    heading = [x for x, t in s if t.startswith("Re:")]
    check(heading and all(abs(x - 1) < 1e-6 for x in heading), "seed letter: the subject is not scaled", heading)

    # the writer tracks the pen at the line's scale: a TJ number moves a glyph
    # only where the layout put it off the pen (a justified space, kerning),
    # not at every scaled glyph
    qdf = os.path.join(tmp, "seed.qdf")
    r = run(["qpdf", "--qdf", "--object-streams=disable", seed, qdf])
    check(r.returncode == 0, "qpdf uncompresses the seed letter", text(r.stderr)[-300:])
    content = open(qdf, "rb").read().decode("latin-1") if r.returncode == 0 else ""
    arrays = re.findall(r"\[([^\]]*)\]\s*TJ", content)
    numbers = sum(len(re.findall(r"(?:^|>)\s*-?[\d.]+\s*<", a)) for a in arrays)
    glyphs = sum(len(re.sub(r"[^0-9A-Fa-f]", "", "".join(re.findall(r"<([0-9A-Fa-f]*)>", a)))) // 4 for a in arrays)
    check(glyphs > 5000 and numbers <= 0.2 * glyphs, "seed letter: at most one TJ number per five glyphs",
          f"{numbers} numbers, {glyphs} glyphs")

    k = spans(ko)
    scaled_hangul = [t for x, t in k if abs(x - 1) > 1e-6 and any(hangul(c) for c in t)]
    check(not scaled_hangul, "Korean example: no Hangul drawn scaled", scaled_hangul[:3])
    check(any(abs(x - 1) > 1e-6 for x, _ in k), "Korean example: its Latin lines are expanded", "")

    # the text read back is the letter's: scaled glyphs and their narrower or
    # wider spaces neither join nor split words, for pdftotext as for mutool
    for pdf in (seed, ko):
        a = text(run(["pdftotext", pdf, "-"]).stdout)
        b = text(run(["mutool", "draw", "-q", "-F", "txt", "-o", "-", pdf]).stdout)
        # (words with a letter: the two read a centred folio's "1 / 2" apart differently)
        words = lambda t: sorted(w for w in re.sub(r"-\n", "", t).split() if re.search(r"[^\W\d_]", w))  # noqa: E731
        wa, wb = words(a), words(b)
        check(wa == wb, f"{os.path.basename(pdf)}: pdftotext and mutool read the same {len(wa)} words",
              sorted(set(wa) ^ set(wb))[:8])
    body = " ".join(words(text(run(["pdftotext", seed, "-"]).stdout)))
    for w in ("accountability", "non-governmental", "government’s", "Ojea-Quintana,", "counter-proliferation"):
        check(w in body, f"seed letter: the word {w!r} is read whole", "")

finish()
