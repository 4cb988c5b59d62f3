#!/usr/bin/env python3
"""The embedded fonts, read back from the PDF (qpdf --qdf expands every object):

- each CID is the glyph's id in the subset (/CIDToGIDMap /Identity), unless a
  glyph is drawn for two texts (a ligature and its one-character twin, with
  DejaVu Sans): then the second text gets its own CID, mapped by a
  CIDToGIDMap stream, and pdftotext still gives back both texts;
- a subset font program holds only the tables a CIDFontType2 needs;
- the ToUnicode CMaps are well formed: at most 100 entries a block, each
  bfrange within one high byte, every array as long as its range;
- the file is PDF 1.5 with object streams and a cross-reference stream
  (qpdf --check clean), except PDF/A-1, which is PDF 1.4 without them.

usage: test_fonts.py MKLETTER REPO_ROOT"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, run, text  # noqa: E402

mkletter, root = sys.argv[1], sys.argv[2]
NEEDED = {b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp"}


def objects(pdf, tmp):
    """{number: (dictionary text, decoded stream bytes or None)} of every object."""
    q = os.path.join(tmp, "q.pdf")
    r = run(["qpdf", "--qdf", "--object-streams=disable", pdf, q])
    check(r.returncode in (0, 3), "qpdf --qdf", text(r.stderr))
    data = open(q, "rb").read() if os.path.exists(q) else b""
    out = {}
    for m in re.finditer(rb"\n(\d+) 0 obj\n(.*?)\nendobj", data, re.S):
        body = m.group(2)
        s = re.match(rb"(.*?)\nstream\n(.*)\nendstream$", body, re.S)
        if s:
            out[int(m.group(1))] = (s.group(1).decode("latin-1"), s.group(2))
        else:
            out[int(m.group(1))] = (body.decode("latin-1"), None)
    return out


def ref(d, key):
    m = re.search(r"/" + key + r" (\d+) 0 R", d)
    return int(m.group(1)) if m else None


def check_fonts(pdf, name, tmp, expect_identity=True):
    objs = objects(pdf, tmp)
    cidfonts = [(n, d) for n, (d, s) in objs.items() if "/CIDFontType2" in d]
    check(len(cidfonts) > 0, f"{name}: has CID fonts")
    for n, d in cidfonts:
        base = re.search(r"/BaseFont /(\S+)", d).group(1)
        if expect_identity:
            check("/CIDToGIDMap /Identity" in d, f"{name} {base}: /CIDToGIDMap /Identity", d[:200])
        fd = objs.get(ref(d, "FontDescriptor"), ("", None))[0]
        prog = objs.get(ref(fd, "FontFile2"), ("", None))[1] or b""
        tags = set()
        if len(prog) >= 12:
            count = struct.unpack(">H", prog[4:6])[0]
            tags = {prog[12 + 16 * i:16 + 16 * i] for i in range(count)}
        check(tags == NEEDED, f"{name} {base}: the font program has only the needed tables", sorted(tags))
    for n, (d, s) in objs.items():
        if "/ToUnicode" not in d or "/Type0" not in d:
            continue
        cmap = (objs.get(ref(d, "ToUnicode"), ("", b""))[1] or b"").decode("latin-1")
        for kind in ("bfchar", "bfrange"):
            for m in re.finditer(r"(\d+) begin" + kind + r"\n(.*?)end" + kind, cmap, re.S):
                lines = m.group(2).strip().split("\n")
                check(int(m.group(1)) == len(lines) <= 100, f"{name}: {kind} block count", m.group(1))
                if kind != "bfrange":
                    continue
                for line in lines:
                    r = re.match(r"<([0-9A-F]{4})> <([0-9A-F]{4})> (.*)", line)
                    lo, hi = int(r.group(1), 16), int(r.group(2), 16)
                    check(lo < hi and lo >> 8 == hi >> 8, f"{name}: range {line[:14]} within one high byte")
                    dst = r.group(3)
                    if dst.startswith("["):
                        check(len(re.findall(r"<[0-9A-F]+>", dst)) == hi - lo + 1, f"{name}: array of {line[:14]}")
    return objs


def check_packed(pdf, name, packed):
    """PDF 1.5 with object streams and a cross-reference stream, or (PDF/A-1) 1.4 without."""
    data = open(pdf, "rb").read()
    version = b"%PDF-1.5\n" if packed else b"%PDF-1.4\n"
    check(data.startswith(version), f"{name}: starts with {version!r}", data[:9])
    check((b"/Type /ObjStm" in data) == packed, f"{name}: object streams {'used' if packed else 'not used'}")
    check((b"/Type /XRef" in data) == packed, f"{name}: cross-reference stream {'used' if packed else 'not used'}")
    check(b"MklFlate" not in data, f"{name}: no stream is left with mkletter's own mark (pack.c turns it into /Filter)")
    r = run(["qpdf", "--check", pdf])
    check(r.returncode == 0 and b"No syntax or stream encoding errors" in r.stdout, f"{name}: qpdf --check",
          text(r.stdout + r.stderr)[-300:])


with tempfile.TemporaryDirectory() as tmp:
    for name, src in (("seed", "open-letter.md"), ("korean", "open-letter.ko.md")):
        pdf = os.path.join(tmp, name + ".pdf")
        r = run([mkletter, os.path.join(root, "examples", src), "-o", pdf])
        if check(r.returncode == 0, f"{name} renders", text(r.stderr)):
            check_fonts(pdf, name, tmp)
            check_packed(pdf, name, True)
            # the same pages and text as the file qpdf writes without object streams
            flat = os.path.join(tmp, name + "-flat.pdf")
            run(["qpdf", "--object-streams=disable", pdf, flat])
            a, b = (text(run(["pdftotext", f, "-"]).stdout) for f in (pdf, flat))
            check(a == b and len(a) > 1000, f"{name}: same text with the object streams expanded")
    pdf = os.path.join(tmp, "pdfa.pdf")
    r = run([mkletter, "--pdfa", os.path.join(root, "examples", "open-letter.md"), "-o", pdf])
    if check(r.returncode == 0, "--pdfa renders", text(r.stderr)):
        check_packed(pdf, "--pdfa", False)

    # a glyph drawn for two texts: DejaVu Sans sets "fi" with the glyph of U+FB01
    fc = run(["fc-list", "DejaVu Sans:style=Book", "file"])
    if not text(fc.stdout).strip():
        print("info: DejaVu Sans not installed; the two-texts case is not tested")
    else:
        body = "Ligatures: \ufb01ne and fine, \ufb02ow and flow, fish."
        letter = ("---\nlang: en\nfonts:\n  body: [\"DejaVu Sans\"]\nto: A. Person\nsubject: Ligatures\n"
                  "opening: Dear A.,\nclosing: Yours,\nsignatures:\n  - name: B. Person\n---\n\n" + body + "\n")
        src = os.path.join(tmp, "lig.md")
        open(src, "w", encoding="utf-8").write(letter)
        pdf = os.path.join(tmp, "lig.pdf")
        r = run([mkletter, src, "-o", pdf])
        if check(r.returncode == 0, "ligature letter renders", text(r.stderr)):
            got = text(run(["pdftotext", pdf, "-"]).stdout)
            check(body in got, "pdftotext gives back both the ligature characters and the letters", got)
            objs = check_fonts(pdf, "ligatures", tmp, expect_identity=False)
            maps = [objs.get(ref(d, "CIDToGIDMap"), ("", None))[1]
                    for d, s in objs.values() if "/CIDFontType2" in d and "DejaVuSans" in d]
            check(any(maps), "the DejaVu font has a CIDToGIDMap stream", maps)
            for m in filter(None, maps):
                gids = struct.unpack(">%dH" % (len(m) // 2), m)
                n = next((i for i, g in enumerate(gids) if g != i), len(gids))  # glyphs in the subset
                check(0 < n < len(gids) and all(g < n for g in gids[n:]),
                      "the map is the identity, then extra CIDs that point to glyphs of the subset", gids)

    # the range forms of ToUnicode: "abcde" alone is CIDs 1-5 for U+0061-0065,
    # written "<0001> <0005> <0061>"; "bad" is three neighbouring CIDs whose
    # texts do not follow each other, written as an array; so is "ýþÿĀā", whose
    # texts follow each other but cross a high byte (U+00FF to U+0100)
    for body, form in (("abcde", rb"<0001> <0005> <0061>"), ("bad", rb"<0001> <0003> \[<0061> <0062> <0064>\]"),
                       ("ýþÿĀā", rb"<0006> <000A> \[<00FD> <00FE> <00FF> <0100> <0101>\]")):
        src = os.path.join(tmp, "range.md")
        open(src, "w", encoding="utf-8").write("---\nlang: en\n---\n\n" + body + "\n")
        pdf = os.path.join(tmp, "range.pdf")
        r = run([mkletter, src, "-o", pdf, "--no-page-numbers"])
        if check(r.returncode == 0, f"the letter '{body}' renders", text(r.stderr)):
            got = text(run(["pdftotext", pdf, "-"]).stdout).strip()
            check(got == body, f"pdftotext gives back '{body}'", repr(got))
            cmaps = [s for d, s in objects(pdf, tmp).values() if s and b"begincmap" in s]
            check(len(cmaps) == 1 and re.search(b"beginbfrange\n" + form + b"\nendbfrange", cmaps[0]) is not None,
                  f"'{body}': its ToUnicode is the range {form.decode()}", cmaps)

finish()
