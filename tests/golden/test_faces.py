#!/usr/bin/env python3
"""Bold and heading faces per role and script (issue 14, research/korean.md
C.7, C.8): serif pairs with serif and sans with sans, at the Latin bold's
weight, whichever families the letter names. Read back from the PDF with
`mutool draw -F stext` (the font of every character) and the weight of each
embedded face from fontconfig (fc-query on the bundled fonts, fc-list for
the installed ones).

usage: test_faces.py MKLETTER REPO_ROOT
"""
import glob
import html
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

SERIF = re.compile(r"serif|myeongjo|batang|times", re.I)
SANS = re.compile(r"sans|gothic|dotum", re.I)


def klass(font):
    """'sans', 'serif' or '?' from a font's PostScript name (subset tag dropped)."""
    name = font.split("+")[-1]
    return "sans" if SANS.search(name) else "serif" if SERIF.search(name) else "?"


def weights(root):
    """{PostScript name: fontconfig weight (80 regular, 180 demibold, 200 bold)}."""
    out = {}
    fc = subprocess.run(["fc-list", "-f", "%{postscriptname}\t%{weight}\n"], capture_output=True, text=True).stdout
    for f in glob.glob(os.path.join(root, "fonts", "*.ttf")):
        fc += subprocess.run(["fc-query", "-f", "%{postscriptname}\t%{weight}\n", f],
                             capture_output=True, text=True).stdout
    for line in fc.splitlines():
        name, _, w = line.partition("\t")
        if name and w.strip().isdigit():
            out[name] = int(w)
    return out


def chars(pdf):
    """[(page, line text, [font of each character])] from mutool's structured text."""
    r = subprocess.run(["mutool", "draw", "-F", "stext", "-o", "-", pdf], capture_output=True, text=True)
    check(r.returncode == 0, f"{os.path.basename(pdf)}: mutool reads it", r.stderr[-300:])
    out, page = [], 0
    for m in re.finditer(r'<page |<line .*?</line>', r.stdout, re.S):
        if m.group(0) == "<page ":
            page += 1
            continue
        text, fonts, font = "", [], "?"
        for t in re.finditer(r'<font name="([^"]*)"|<char [^>]*c="([^"]*)"', m.group(0)):
            if t.group(1) is not None:
                font = t.group(1)
            else:
                text += html.unescape(t.group(2))
                fonts.append(font)
        out.append((page, text, fonts))
    return out


def faces_of(lines, word):
    """The fonts the characters of `word` are set in, where it first occurs."""
    for _, text, fonts in lines:
        i = text.find(word)
        if i >= 0:
            return {fonts[k] for k in range(i, i + len(word)) if not text[k].isspace()}
    return None


def render(mkl, tmp, name, content):
    src = os.path.join(tmp, name + ".md")
    with open(src, "w", encoding="utf-8") as f:
        f.write(content)
    pdf = os.path.join(tmp, name + ".pdf")
    r = subprocess.run([mkl, src, "-o", pdf, "-q"], capture_output=True, text=True)
    check(r.returncode == 0 and os.path.isfile(pdf), f"{name} renders", r.stderr[-300:])
    return chars(pdf) if os.path.isfile(pdf) else []


def expect(lines, what, word, want_class, weight, fc_weights, min_weight=None):
    faces = faces_of(lines, word)
    if not check(faces, f"{what}: {word!r} found", "not in the text"):
        return
    classes = {klass(f) for f in faces}
    check(classes == {want_class}, f"{what}: {word!r} set in {want_class}", ", ".join(sorted(faces)))
    if min_weight is not None:
        light = [f"{f} ({fc_weights.get(f.split('+')[-1], '?')})" for f in faces
                 if fc_weights.get(f.split("+")[-1], 0) < min_weight]
        check(not light, f"{what}: {word!r} at weight {weight}", ", ".join(light))


BODY = "본문에 **굵은 홍길동 Hong** 이름이 있습니다."


def main():
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    fcw = weights(root)
    check(fcw.get("LiberationSerif-Bold") == 200 and fcw.get("NanumMyeongjoBold") == 180,
          "fontconfig reads the weights of the bundled fonts", {k: fcw.get(k) for k in ("LiberationSerif-Bold",
                                                                                       "NanumMyeongjoBold")})
    with tempfile.TemporaryDirectory(prefix="mkletter-faces-") as tmp:
        # a Korean letter, default fonts: bold in the body is serif with serif, both bold;
        # the subject (a heading) sans with sans, both bold
        ko = render(mkl, tmp, "ko", "---\nlang: ko\ndate: 2020-02-21\nsubject: 제목 Title 시험\n---\n\n" + BODY + "\n")
        expect(ko, "Korean body bold", "굵은 홍길동", "serif", "bold", fcw, 200)
        expect(ko, "Korean body bold", "Hong", "serif", "bold", fcw, 200)
        expect(ko, "Korean body", "이름이", "serif", "regular", fcw)
        expect(ko, "Korean subject", "제목", "sans", "bold", fcw, 200)
        expect(ko, "Korean subject", "Title", "sans", "bold", fcw, 200)
        # the same letter naming its body fonts: the headings stay sans (Gothic)
        named = render(mkl, tmp, "ko-named", "---\nlang: ko\ndate: 2020-02-21\nsubject: 제목 Title 시험\n"
                       "fonts:\n  body: [\"Liberation Serif\", \"NanumMyeongjo\"]\n---\n\n" + BODY + "\n")
        expect(named, "Korean subject, body fonts named", "제목", "sans", "bold", fcw, 200)
        expect(named, "Korean subject, body fonts named", "Title", "sans", "bold", fcw, 200)
        expect(named, "Korean body bold, body fonts named", "굵은 홍길동", "serif", "bold", fcw, 200)
        # an English letter: a bold subject with Hangul is serif at the Latin bold's weight
        en = render(mkl, tmp, "en", "---\ndate: 2020-02-21\nsubject: Open letter 공개서한\n---\n\n"
                    "Dear **김철수 Kim**, a letter.\n")
        expect(en, "English subject", "공개서한", "serif", "bold", fcw, 200)
        expect(en, "English subject", "Open", "serif", "bold", fcw, 200)
        expect(en, "English body bold", "김철수", "serif", "bold", fcw, 200)
    finish()


if __name__ == "__main__":
    main()
