#!/usr/bin/env python3
"""Every reader draws every glyph, for each kind of embedded font:

- TrueType (the bundled Liberation Serif and Nanum fonts),
- OpenType CFF, name-keyed (Nimbus Roman, fonts-urw-base35, a .otf),
- OpenType CFF, CID-keyed, from a collection (Noto Serif/Sans CJK KR, the
  .ttc files of fonts-noto-cjk, face index from Fontconfig),
- the same, in 300 consecutive Hangul syllables: a run of more than 256
  consecutive CIDs, for which hb-subset writes the subset's charset in
  format 2 (the CIDs of a CID-keyed subset are those of its own charset);
- fallback by coverage (Hanja in a Korean letter set in the default fonts).

Each PDF is drawn by poppler (pdftoppm), MuPDF (mutool draw) and Ghostscript
(gs); for every character, in the box MuPDF gives it, each drawing has ink,
the three agree pixel for pixel (within one pixel), and distinct characters
do not all look alike (a reader that draws .notdef for every glyph, or maps
CIDs to the wrong glyphs, fails here). pdftotext and mutool's text agree;
qpdf --check is clean; pdffonts gives emb, sub and uni for every font, of
the expected type. Also: a letter in a CFF font is about the size of the
same letter in a TrueType font of similar design.

usage: test_readers.py MKLETTER REPO_ROOT"""
import html
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, run, text  # noqa: E402

mkletter, root = sys.argv[1], sys.argv[2]
DPI = 100

LATIN = ("The quick brown fox jumps over the lazy dog; *sphinx of black quartz, judge my vow* "
         "and **pack my box with five dozen liquor jugs**: 0123456789.")
KOREAN = ("前 유엔 특별보고관 마르주키 다루스만은 大韓民國 憲法과 國際人權法을 말했다. "
          "Latin in the line, 2020년 2월.")
RUN = " ".join("".join(chr(0xAC00 + i + k) for k in range(10)) for i in range(0, 300, 10))


def letter(front, body):
    return "---\n" + front + "subject: Readers\n---\n\n" + body + "\n"


CASES = [
    # name, front matter, body, the font types pdffonts must list
    ("truetype", "lang: en\n", "# A heading\n\n" + LATIN, {"CID TrueType"}),
    ("cff", "lang: en\nfonts: {body: [\"Nimbus Roman\"], heading: [\"Nimbus Sans\"]}\n",
     "# A heading\n\n" + LATIN, {"CID Type 0C"}),
    ("cff-collection", "lang: ko\nfonts: {body: [\"Noto Serif CJK KR\"], heading: [\"Noto Sans CJK KR\"]}\n",
     "# 大韓民國 제목\n\n" + KOREAN, {"CID Type 0C"}),
    ("cff-range", "lang: ko\nfonts: {body: [\"Noto Serif CJK KR\"], heading: [\"Noto Sans CJK KR\"]}\n",
     "# 가나다 제목\n\n" + RUN, {"CID Type 0C"}),
    ("fallback", "lang: ko\n", "# 大韓民國 제목\n\n" + KOREAN, {"CID TrueType", "CID Type 0C"}),
]


def ppm(path):
    """(width, height, bytes RGB) of a binary PPM."""
    d = open(path, "rb").read()
    m = re.match(rb"P6\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s", d)
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, d[m.end():m.end() + w * h * 3]


def draw(pdf, tmp, who):
    out = os.path.join(tmp, who + ".ppm")
    if who == "poppler":
        r = run(["pdftoppm", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile", pdf, out[:-4]])
    elif who == "mupdf":
        r = run(["mutool", "draw", "-q", "-r", str(DPI), "-o", out, pdf, "1"])
    else:
        r = run(["gs", "-q", "-dSAFER", "-dNOPAUSE", "-dBATCH", "-sDEVICE=ppmraw", "-r%d" % DPI,
                 "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4",
                 "-dFirstPage=1", "-dLastPage=1", "-sOutputFile=" + out, pdf])
    check(r.returncode == 0 and os.path.exists(out), f"{who} draws {os.path.basename(pdf)}", text(r.stderr)[-300:])
    return ppm(out) if os.path.exists(out) else None


def chars(pdf):
    """[(character, (x0, y0, x1, y1) in pt, font name)] of page 1, from MuPDF."""
    r = run(["mutool", "draw", "-q", "-F", "stext", "-o", "-", pdf, "1"])
    out, font = [], ""
    for line in text(r.stdout).splitlines():
        m = re.search(r'<font name="([^"]*)"', line)
        if m:
            font = m.group(1)
        m = re.search(r'<char quad="([^"]+)".* c="([^"]*)"', line)
        if m:
            q = [float(v) for v in m.group(1).split()]
            c = html.unescape(m.group(2))
            out.append((c, (min(q[0::2]), min(q[1::2]), max(q[0::2]), max(q[1::2])), font))
    return out


def mask(img, box):
    """The set of inked pixels (dark enough) in a box given in pt."""
    w, h, px = img
    k = DPI / 72.0
    x0, y0 = max(0, int(box[0] * k)), max(0, int(box[1] * k))
    x1, y1 = min(w, int(box[2] * k + 1)), min(h, int(box[3] * k + 1))
    ink = set()
    for y in range(y0, y1):
        row = px[(y * w) * 3:(y * w + w) * 3]
        for x in range(x0, x1):
            if row[3 * x] + row[3 * x + 1] + row[3 * x + 2] < 3 * 200:
                ink.add((x - x0, y - y0))
    return ink


def near(a, b):
    """Share of a's pixels within two pixels of one of b's (readers round
    stems to pixels differently)."""
    if not a:
        return 1.0
    r = (-2, -1, 0, 1, 2)
    hit = sum(1 for (x, y) in a if any((x + dx, y + dy) in b for dx in r for dy in r))
    return hit / len(a)


def check_readers(pdf, name, tmp):
    imgs = {who: draw(pdf, tmp, who) for who in ("poppler", "mupdf", "ghostscript")}
    if not all(imgs.values()):
        return
    cs = [(c, b, f) for c, b, f in chars(pdf) if c.strip()]
    check(len(cs) > 20, f"{name}: MuPDF finds the characters", str(len(cs)))
    blank, differ, shapes, none = [], [], {}, 0
    for c, box, font in cs:
        m = {who: mask(img, box) for who, img in imgs.items()}
        # the second letter of a ligature has a box of no width, which may
        # catch a stray pixel of its neighbour in one drawing
        if box[2] - box[0] < 0.01 or not any(m.values()):
            none += 1   # no reader inks it: the second letter of a ligature (its box is empty)
            continue
        for who, ink in m.items():
            if not ink and max(len(i) for i in m.values()) > 2:
                blank.append((who, c, font))
        for a in m:
            for b in m:
                if a < b and (near(m[a], m[b]) < 0.75 or near(m[b], m[a]) < 0.75):
                    differ.append((a, b, c, font, round(near(m[a], m[b]), 2), round(near(m[b], m[a]), 2)))
        # the glyph's shape, in poppler's drawing: offsets from its ink's corner
        ink = m["poppler"]
        if ink:
            mx, my = min(x for x, _ in ink), min(y for _, y in ink)
            shapes.setdefault(c, frozenset((x - mx, y - my) for x, y in ink))
    check(none <= 0.03 * len(cs), f"{name}: no reader inks {none} of {len(cs)} characters")
    check(not blank, f"{name}: every character has ink in every reader", str(blank[:8]))
    check(len(differ) <= 0.01 * len(cs), f"{name}: poppler, MuPDF and Ghostscript draw the same glyphs",
          str(differ[:8]))
    distinct = len(set(shapes.values()))
    check(distinct >= 0.9 * len(shapes), f"{name}: distinct characters look distinct ({distinct} shapes for "
          f"{len(shapes)} characters)")


def check_text(pdf, name, want):
    a = text(run(["pdftotext", pdf, "-"]).stdout)
    b = text(run(["mutool", "draw", "-q", "-F", "txt", "-o", "-", pdf]).stdout)
    sq = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    check(sq(a) == sq(b), f"{name}: pdftotext and mutool give the same text", f"{a[:200]!r} / {b[:200]!r}")
    for w in want:
        check(sq(w) in sq(a), f"{name}: the text comes back: {w[:30]}", a[:300])


def fonts_of(pdf):
    rows = text(run(["pdffonts", pdf]).stdout).splitlines()[2:]
    out = []
    for r in rows:
        m = re.match(r"(\S+)\s+(CID TrueType|CID Type 0C|CID Type 0|\S+(?: \S+)*?)\s+(Identity-H|\S+)\s+"
                     r"(yes|no)\s+(yes|no)\s+(yes|no)", r)
        if m:
            out.append((m.group(1), m.group(2), m.group(4), m.group(5), m.group(6)))
    return out


def cff_fonts(pdf, tmp):
    """[(ToUnicode CIDs, CIDSet bytes or None)] of each CFF font."""
    qd = os.path.join(tmp, "c.pdf")
    run(["qpdf", "--qdf", "--object-streams=disable", pdf, qd])
    d = open(qd, "rb").read().decode("latin-1") if os.path.exists(qd) else ""
    objs = {int(m.group(1)): m.group(2) for m in re.finditer(r"\n(\d+) 0 obj\n(.*?)\nendobj", d, re.S)}
    ref = lambda o, k: int(re.search("/" + k + r" \[?\s*(\d+) 0 R", o).group(1)) if re.search("/" + k + r" \[?\s*(\d+) 0 R", o) else None  # noqa
    body = lambda o: o.split("\nstream\n", 1)[1].rsplit("endstream", 1)[0] if "\nstream\n" in o else ""  # noqa
    out = []
    for o in objs.values():
        if "/Subtype /Type0" not in o:
            continue
        cf = objs.get(ref(o, "DescendantFonts"), "")
        fd = objs.get(ref(cf, "FontDescriptor"), "")
        if not ref(fd, "FontFile3"):
            continue
        cids = set()
        for kind, block in re.findall(r"begin(bfchar|bfrange)\n(.*?)end\1", body(objs.get(ref(o, "ToUnicode"), "")), re.S):
            for line in block.splitlines():
                v = re.findall(r"<([0-9A-Fa-f]+)>", line)
                if kind == "bfchar" and v:
                    cids.add(int(v[0], 16))
                elif len(v) >= 2:
                    cids.update(range(int(v[0], 16), int(v[1], 16) + 1))
        cs = ref(fd, "CIDSet")
        out.append((cids, body(objs.get(cs, "")).encode("latin-1") if cs else None))
    return out


def longest_run(cids):
    best = run_ = 0
    for c in sorted(cids):
        run_ = run_ + 1 if c - 1 in cids else 1
        best = max(best, run_)
    return best


def check_structure(pdf, name, tmp):
    """ISO 32000-1 9.7.4, 9.9: a CFF program is a FontFile3 /CIDFontType0C under a
    /CIDFontType0 (which has no CIDToGIDMap); TrueType a FontFile2 under a /CIDFontType2."""
    qd = os.path.join(tmp, "s.pdf")
    run(["qpdf", "--qdf", "--object-streams=disable", pdf, qd])
    d = open(qd, "rb").read().decode("latin-1") if os.path.exists(qd) else ""
    objs = {int(m.group(1)): m.group(2) for m in re.finditer(r"\n(\d+) 0 obj\n(.*?)\nendobj", d, re.S)}
    ref = lambda o, k: int(re.search("/" + k + r" (\d+) 0 R", o).group(1)) if re.search("/" + k + r" (\d+) 0 R", o) else None  # noqa
    n = 0
    for o in objs.values():
        if "/CIDFontType" not in o or "/FontDescriptor" not in o:
            continue
        n += 1
        fd = objs.get(ref(o, "FontDescriptor"), "")
        if ref(fd, "FontFile3"):
            prog = objs.get(ref(fd, "FontFile3"), "")
            check("/Subtype /CIDFontType0C" in prog.split("stream")[0], f"{name}: FontFile3 /Subtype /CIDFontType0C",
                  prog[:120])
            check("/Subtype /CIDFontType0\n" in o and "/CIDToGIDMap" not in o,
                  f"{name}: a CFF program's CID font is a CIDFontType0 without CIDToGIDMap", o[:300])
        else:
            check(ref(fd, "FontFile2") is not None and "/Subtype /CIDFontType2" in o,
                  f"{name}: a TrueType program is a FontFile2 of a CIDFontType2", o[:300])
    check(n >= 2, f"{name}: CID fonts found", str(n))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {}
        for name, front, body, types in CASES:
            src = os.path.join(tmp, name + ".md")
            pdf = os.path.join(tmp, name + ".pdf")
            open(src, "w", encoding="utf-8").write(letter(front, body))
            r = run([mkletter, src, "-o", pdf])
            check(r.returncode == 0, f"{name}: renders", text(r.stderr))
            if r.returncode:
                continue
            sizes[name] = os.path.getsize(pdf)
            q = run(["qpdf", "--check", pdf])
            check(q.returncode == 0, f"{name}: qpdf --check clean", text(q.stdout)[-300:])
            fl = fonts_of(pdf)
            check(len(fl) >= 2, f"{name}: pdffonts lists the fonts", str(fl))
            for f in fl:
                check(f[2:] == ("yes", "yes", "yes"), f"{name} {f[0]}: emb sub uni", str(f))
            check({f[1] for f in fl} == types, f"{name}: font types {sorted(types)}", str(fl))
            check_structure(pdf, name, tmp)
            want = [l.strip("#* ") for l in body.replace("*", "").splitlines() if l.strip()]
            check_text(pdf, name, want)
            check_readers(pdf, name, tmp)
            if name == "cff-range":
                runs = [longest_run(c) for c, _ in cff_fonts(pdf, tmp)]
                check(max(runs, default=0) > 256, f"{name}: a font has a run of more than 256 consecutive CIDs", str(runs))
            if name in ("cff-collection", "cff-range"):
                # the CIDs are the charset's: CIDs of Noto CJK, not glyph ids of the subset
                fs = cff_fonts(pdf, tmp)
                check(fs and all(max(c, default=0) > 1000 for c, _ in fs),
                      f"{name}: the CIDs are the font's own CIDs", str([sorted(c)[-3:] for c, _ in fs]))
            if name == "cff-collection":
                # PDF/A-1b: the CFF fonts get a CIDSet too
                apdf = os.path.join(tmp, name + "-a.pdf")
                r = run([mkletter, src, "-o", apdf, "--pdfa"])
                check(r.returncode == 0, f"{name} --pdfa: renders", text(r.stderr))
                qd = os.path.join(tmp, "qa.pdf")
                run(["qpdf", "--qdf", "--object-streams=disable", apdf, qd])
                d = open(qd, "rb").read().decode("latin-1") if os.path.exists(qd) else ""
                check(d.count("/FontFile3") == d.count("/CIDSet") > 0, f"{name} --pdfa: every CFF font has a CIDSet",
                      f"{d.count('/FontFile3')} {d.count('/CIDSet')}")
                check(run(["qpdf", "--check", apdf]).returncode == 0, f"{name} --pdfa: qpdf --check clean")
                # which names every CID drawn (PDF/A-1, 6.3.5: every CID the font program has)
                for cids, cs in cff_fonts(apdf, tmp):
                    have = {8 * i + b for i, v in enumerate(cs or b"") for b in range(8) if v & (0x80 >> b)}
                    check(cs is not None and 0 in have and cids <= have,
                          f"{name} --pdfa: the CIDSet names CID 0 and every CID of the ToUnicode map",
                          f"{len(cids - have)} missing of {len(cids)}, {len(have)} in the set")
            if name == "fallback":
                fs = {f for c, b, f in chars(pdf) if c == "憲"}
                check(fs and all("NotoSerifCJK" in f for f in fs), "fallback: body Hanja in Noto Serif CJK", str(fs))
                fs = {f for c, b, f in chars(pdf) if c == "韓"}
                check(any("NanumGothic" in f or "NotoSansCJKkr-Bold" in f for f in fs),
                      "fallback: heading Hanja in a sans (Nanum Gothic, or Noto Sans CJK KR Bold where bold)", str(fs))
        # a CFF letter against the same letter in a TrueType face of the same design (Times)
        for kind, fam in (("cff", "Nimbus Roman"), ("truetype", "Liberation Serif")):
            src = os.path.join(tmp, "pair-" + kind + ".md")
            open(src, "w", encoding="utf-8").write(letter("fonts: {body: [\"%s\"], heading: [\"%s\"]}\n" % (fam, fam),
                                                          open(os.path.join(root, "examples", "open-letter.md"),
                                                               encoding="utf-8").read().split("\n---\n", 1)[1]))
            r = run([mkletter, src, "-o", src[:-3] + ".pdf"])
            check(r.returncode == 0, f"pair {fam}: renders", text(r.stderr))
            sizes["pair-" + kind] = os.path.getsize(src[:-3] + ".pdf") if r.returncode == 0 else 0
        print("sizes:", sizes)
        if sizes.get("pair-cff") and sizes.get("pair-truetype"):
            # (1.136 with page content at deflate level 6, 1.151 at level 1:
            # the kerning's TJ numbers deflate less well there)
            check(sizes["pair-cff"] <= sizes["pair-truetype"] * 1.16,
                  "the seed letter in Nimbus Roman (CFF) is at most 16% larger than in Liberation Serif (TrueType): "
                  "URW's outlines are richer; the page content has more kerning",
                  str(sizes))
    finish()


main()
