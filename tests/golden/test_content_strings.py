#!/usr/bin/env python3
"""The glyph codes of a page's text are written as literal strings of their
two bytes (Identity-H), not as hex digits: a page's content is a third
smaller, deflated in a third of the time and smaller once deflated. Read
from the raw content streams (qpdf decodes the filters only, nothing
normalized): every TJ array's strings are literal; each string, read as
ISO 32000-1 7.3.4.2 says (escapes, balanced parentheses, a bare end of
line read as LF), is whole codes; the five bytes that must be escaped
('(', ')', '\\', CR, LF) occur as halves of codes in these letters and are
never bare; and the text read back by pdftotext and by mutool is the
letter's. For the seed letter, the Korean example, and a combined file of a
merge (the writer that writes its pages as it goes). Page content is
deflated at the fastest level (deflate.h: every copy of a merge pays for
it), fonts at the default, object streams at 7 (libdeflate writes FLEVEL 2
for 6-7) in a letter and at 5 (FLEVEL 1) in a combined file, whose every copy deflates its
structure tree: the zlib header says so (FLEVEL, RFC 1950).

usage: test_content_strings.py MKLETTER REPO_ROOT
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, example_template, finish, run, text  # noqa: E402

ENV = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")
SPECIAL = {0x28: "(", 0x29: ")", 0x5C: "\\", 0x0D: "CR", 0x0A: "LF"}
ESC = {ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09, ord("b"): 0x08, ord("f"): 0x0C}


def contents(pdf):
    """The decoded content streams of the pages, in page order."""
    r = run(["qpdf", "--json", "--json-stream-data=inline", "--decode-level=generalized", pdf])
    if not check(r.returncode == 0, f"{os.path.basename(pdf)}: qpdf reads it", text(r.stderr)[-300:]):
        return []
    d = json.loads(r.stdout)
    objs = d["qpdf"][1]
    out = []
    for page in d["pages"]:
        for ref in page["contents"]:
            s = objs["obj:" + ref]["stream"]
            out.append(base64.b64decode(s.get("data", "")))
    return out


def zlib_levels(pdf):
    """The FLEVEL (RFC 1950: 0 fastest .. 3 best) of the raw page content
    streams, and of the font programs."""
    r = run(["qpdf", "--json", "--json-stream-data=inline", "--decode-level=none", pdf])
    if r.returncode != 0:
        return set(), set()
    d = json.loads(r.stdout)
    objs = d["qpdf"][1]
    level = lambda ref: base64.b64decode(objs["obj:" + ref]["stream"].get("data", ""))[1:2][0] >> 6  # noqa
    pages = {level(ref) for page in d["pages"] for ref in page["contents"]}
    fonts = {level(v["value"][k]) for v in objs.values() if isinstance(v.get("value"), dict)
             for k in ("/FontFile2", "/FontFile3") if k in v["value"]}
    return pages, fonts


def objstm_levels(pdf):
    """The FLEVEL of the raw object streams (read from the file: qpdf's JSON
    shows them unpacked)."""
    data = open(pdf, "rb").read()
    out = set()
    for m in re.finditer(rb"/Type\s*/ObjStm\b", data):
        body = re.compile(rb">>\s*stream\r?\n").search(data, m.end())
        if body:
            out.add(data[body.end() + 1] >> 6)
    return out


def literal(data, i):
    """The string starting at data[i] == '(' as a reader decodes it, the
    offset after it, and the bare CR/LF bytes met in it."""
    out, depth, bare, j = bytearray(), 1, 0, i + 1
    while j < len(data):
        c = data[j]
        if c == 0x5C:
            n = data[j + 1]
            if n in ESC:
                out.append(ESC[n])
                j += 2
            elif 0x30 <= n <= 0x37:
                k = j + 1
                while k < len(data) and k < j + 4 and 0x30 <= data[k] <= 0x37:
                    k += 1
                out.append(int(data[j + 1:k], 8) & 0xFF)
                j = k
            elif n in (0x0D, 0x0A):   # a line continuation
                j += 3 if data[j + 1:j + 3] == b"\r\n" else 2
            else:
                out.append(n)
                j += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if not depth:
                return bytes(out), j + 1, bare
        if c == 0x0D:
            bare += 1
            out.append(0x0A)
            j += 2 if data[j + 1:j + 2] == b"\n" else 1
            continue
        if c == 0x0A:
            bare += 1
        out.append(c)
        j += 1
    return bytes(out), j, bare + 1000   # unterminated


def look(pdf, name, halves):
    """Check the TJ arrays of every page of `pdf`; add the code bytes met to `halves`."""
    pages = contents(pdf)
    check(pages, f"{name}: has pages")
    arrays = hexes = odd = bare = 0
    for data in pages:
        i = 0
        while True:
            i = data.find(b"[", i)
            if i < 0:
                break
            # a TJ array: numbers and strings up to "] TJ"
            j, strings, ok = i + 1, [], True
            while j < len(data) and data[j] != 0x5D:
                if data[j] == 0x28:
                    s, j, b = literal(data, j)
                    strings.append(s)
                    bare += b
                elif data[j] == 0x3C:
                    hexes += 1
                    j = data.find(b">", j) + 1
                elif data[j:j + 1] in b"0123456789.- ":
                    j += 1
                else:
                    ok = False
                    break
            if not ok or not re.match(rb"\]\s*TJ", data[j:j + 6]):
                i += 1
                continue
            arrays += 1
            for s in strings:
                odd += len(s) % 2
                halves.update(s)
            i = j
    check(arrays > 20, f"{name}: TJ arrays read", arrays)
    check(hexes == 0, f"{name}: no hex string in a TJ array (codes as literal strings)", hexes)
    check(odd == 0, f"{name}: every literal string is whole two-byte codes", odd)
    check(bare == 0, f"{name}: no bare CR or LF in a string (a reader would read CR as LF)", bare)


def words(s):
    return " ".join(s.split())


def main():
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="mkletter-strings-") as tmp:
        halves = set()
        for src in ("open-letter.md", "open-letter.ko.md"):
            pdf = os.path.join(tmp, src + ".pdf")
            r = subprocess.run([mkl, "-q", os.path.join(root, "examples", src), "-o", pdf], env=ENV)
            if not check(r.returncode == 0, f"{src} renders", r.returncode):
                continue
            look(pdf, src, halves)
            pages, fonts = zlib_levels(pdf)
            check(pages == {0}, f"{src}: page content deflated at the fastest level", pages)
            check(fonts == {2}, f"{src}: fonts deflated at the default level", fonts)
            check(objstm_levels(pdf) == {2}, f"{src}: object streams deflated at a default level (7)", objstm_levels(pdf))
            a = words(text(run(["pdftotext", pdf, "-"]).stdout))
            b = words(text(run(["mutool", "draw", "-q", "-F", "txt", "-o", "-", pdf]).stdout))
            if src == "open-letter.md":
                for want in ("Moon Jae-in", "President of the Republic of Korea", "Republic of Korea"):
                    check(want in a and want in b, f"{src}: pdftotext and mutool read {want!r}")
                paras = open(os.path.join(root, "tests", "golden", "open-letter.paragraphs.txt"), encoding="utf-8").read()
                first = [p for p in paras.splitlines() if len(p) > 200][0]
                head = words(first)[:120]
                check(head in a.replace("- ", "-") or head in a, f"{src}: pdftotext reads the first long paragraph",
                      head[:60])
            else:
                check("대통령 문재인 귀하" in a and "대통령 문재인 귀하" in b, f"{src}: pdftotext and mutool read the address")
        for byte, what in SPECIAL.items():
            check(byte in halves, f"the letters draw a glyph whose code has the byte {what} (its escape is exercised)")
        # a combined file: its pages written as they are made
        seed = example_template(root, "open-letter.md",
                                ("opening: President Moon Jae-in,", "opening: Dear {{name}},"))
        with open(os.path.join(tmp, "m.md"), "w", encoding="utf-8") as f:
            f.write(seed)
        with open(os.path.join(tmp, "m.csv"), "w", encoding="utf-8") as f:
            f.write("name\nAnna (Berg)\nJohn \\ Smith\n")
        out = os.path.join(tmp, "all.pdf")
        r = subprocess.run([mkl, "-q", "m.md", "--merge", "m.csv", "-o", out], cwd=tmp, env=ENV)
        if check(r.returncode == 0, "a combined merge renders", r.returncode):
            look(out, "combined file", set())
            pages, fonts = zlib_levels(out)
            check(pages == {0}, "combined file: page content deflated at the fastest level", pages)
            check(objstm_levels(out) == {1}, "combined file: object streams deflated at a fast level (5)",
                  objstm_levels(out))
            a = words(text(run(["pdftotext", out, "-"]).stdout))
            check("Dear Anna (Berg)," in a and "Dear John \\ Smith," in a, "combined file: pdftotext reads each copy's name",
                  a[:200])
            r = run(["qpdf", "--check", out])
            check(r.returncode == 0, "combined file: qpdf --check", text(r.stdout)[-300:])
    finish()


if __name__ == "__main__":
    main()
