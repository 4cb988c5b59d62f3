#!/usr/bin/env python3
"""A merge copy of a letter set in a big face (Nanum Myeongjo: 20,251
glyphs) draws its template's fixed glyphs from one subset made of exactly
them (the base, made from the template with every field empty) and only
the glyphs its row brings from a second, small subset of the face: every
copy embeds the same base font program, byte for byte, which the renderer
subsets and deflates once (glyphbase.h). Checked: a copy whose row brings
new Hangul has two Nanum Myeongjo subsets, the base's program the same
bytes in every copy, the other a few glyphs; a row with no new glyph has
the base alone; the text read back (pdftotext, mutool) names each row; each
copy is byte for byte the file its row makes alone (--rows N); qpdf --check
passes. The base is every glyph the blank template draws, even one a copy
does not (a middle dot after the field, drawn in Nanum after a Hangul name
and in Liberation after a Latin one): both copies embed the same base. A Latin face (2,602 glyphs) has no base: a name with letters the
letter lacks still makes one subset; and a letter rendered alone (no
merge) has one subset of each face.

usage: test_glyphbase.py MKLETTER REPO_ROOT
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, example_template, finish, run, text  # noqa: E402

ENV = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")
# rare syllables no Korean letter has, then a name of the letter's own syllables
HANGUL = ["뷁똠쀍", "횽꿿뙑", "정의"]


def fonts(pdf):
    """pdffonts: the base names (without the subset tag) of the fonts."""
    out = text(run(["pdffonts", pdf]).stdout).splitlines()[2:]
    return [line.split()[0].split("+", 1)[-1] for line in out if line.strip()]


def programs(pdf):
    """{font name without tag: [raw (deflated) FontFile2 bytes, ...]}."""
    r = run(["qpdf", "--json", "--json-stream-data=inline", "--decode-level=none", pdf])
    if r.returncode != 0:
        return {}
    objs = json.loads(r.stdout)["qpdf"][1]
    out = {}
    for v in objs.values():
        d = v.get("value")
        if not isinstance(d, dict) or d.get("/Type") != "/FontDescriptor" or "/FontFile2" not in d:
            continue
        s = objs.get("obj:" + d["/FontFile2"], {}).get("stream", {})
        out.setdefault(d["/FontName"][1:].split("+", 1)[-1], []).append(base64.b64decode(s.get("data", "")))
    return out


def words(pdf, tool):
    argv = ["pdftotext", pdf, "-"] if tool == "pdftotext" else ["mutool", "draw", "-q", "-F", "txt", "-o", "-", pdf]
    return "".join(text(run(argv).stdout).split())


def main():
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="mkletter-base-") as tmp:
        ko = example_template(root, "open-letter.ko.md",
                              ("  대통령 문재인 귀하\n", "  {{name}} 귀하\n"),
                              ("opening: 존경하는 문재인 대통령님께", "opening: 존경하는 {{name}} 님께"))
        check("{{name}}" in ko, "the Korean letter has its field")
        with open(os.path.join(tmp, "ko.md"), "w", encoding="utf-8") as f:
            f.write(ko)
        with open(os.path.join(tmp, "ko.csv"), "w", encoding="utf-8") as f:
            f.write("id,name\n" + "".join(f"{i + 1},{n}\n" for i, n in enumerate(HANGUL)))
        os.makedirs(os.path.join(tmp, "all"))
        r = subprocess.run([mkl, "ko.md", "--merge", "ko.csv", "-o", "all/{{id}}.pdf", "-q", "-j", "1"], cwd=tmp, env=ENV)
        check(r.returncode == 0, "the Korean merge renders", r.returncode)
        bases = []
        for i, name in enumerate(HANGUL):
            pdf = os.path.join(tmp, "all", f"{i + 1}.pdf")
            if not check(os.path.exists(pdf), f"copy {i + 1} written"):
                continue
            fs = fonts(pdf)
            progs = programs(pdf).get("NanumMyeongjo", [])
            want = 1 if name == "정의" else 2
            check(fs.count("NanumMyeongjo") == want and len(progs) == want,
                  f"copy {i + 1} ({name}): {want} Nanum Myeongjo subset(s)", (fs, len(progs)))
            if progs:
                progs.sort(key=len)
                bases.append(progs[-1])
                if want == 2:
                    check(len(progs[0]) < 3000 and len(progs[-1]) > 20000,
                          f"copy {i + 1}: the row's subset is small, the base's large",
                          [len(p) for p in progs])
            for tool in ("pdftotext", "mutool"):
                t = words(pdf, tool)
                check(f"{name}귀하" in t and f"존경하는{name}님께" in t, f"copy {i + 1}: {tool} reads {name} twice", t[:120])
                others = [n for n in HANGUL if n != name and n != "정의"]
                check(not any(o in t for o in others), f"copy {i + 1}: {tool} reads no other row's name")
            r = run(["qpdf", "--check", pdf])
            check(r.returncode == 0, f"copy {i + 1}: qpdf --check", text(r.stdout)[-200:])
            alone = os.path.join(tmp, f"alone{i + 1}")
            os.makedirs(alone)
            r = subprocess.run([mkl, "ko.md", "--merge", "ko.csv", "--rows", str(i + 1), "-o", f"alone{i + 1}/{{{{id}}}}.pdf",
                                "-q"], cwd=tmp, env=ENV)
            one = os.path.join(alone, f"{i + 1}.pdf")
            check(r.returncode == 0 and os.path.exists(one) and open(one, "rb").read() == open(pdf, "rb").read(),
                  f"copy {i + 1} is byte for byte the file its row makes alone")
        check(len(bases) == len(HANGUL) and len(set(bases)) == 1,
              "every copy embeds the same base font program, byte for byte", [len(b) for b in bases])

        # the base holds every glyph the blank template draws, even one a copy
        # does not: a middle dot after the field is drawn with the font of what
        # comes before it, Nanum Myeongjo after a Hangul name (or none),
        # Liberation Serif after a Latin one
        with open(os.path.join(tmp, "dot.md"), "w", encoding="utf-8") as f:
            f.write("---\nlang: ko\nto: 홍길동\nsubject: 시험\n---\n\n정의 가나 {{name}}\u00b7 다라 씁니다.\n")
        with open(os.path.join(tmp, "dot.csv"), "w", encoding="utf-8") as f:
            f.write("name\nKim\n뷁\n")
        os.makedirs(os.path.join(tmp, "dot"))
        r = subprocess.run([mkl, "dot.md", "--merge", "dot.csv", "-o", "dot/{{name}}.pdf", "-q", "-j", "1"], cwd=tmp, env=ENV)
        if check(r.returncode == 0, "the middle-dot merge renders", r.returncode):
            latin, hangul = (os.path.join(tmp, "dot", n + ".pdf") for n in ("Kim", "뷁"))
            trace = text(run(["mutool", "trace", latin]).stdout)
            dot = trace.find('unicode="\u00b7"')
            span = trace.rfind("<span", 0, dot)
            check(dot > 0 and "LiberationSerif" in trace[span:dot], "middle dot: after Kim, drawn in Liberation Serif")
            check("가나Kim\u00b7다라" in words(latin, "pdftotext") and "가나뷁\u00b7다라" in words(hangul, "pdftotext"),
                  "middle dot: each copy reads its name", (words(latin, "pdftotext")[:40], words(hangul, "pdftotext")[:40]))
            a_, b_ = (sorted(programs(p).get("NanumMyeongjo", []), key=len) for p in (latin, hangul))
            check(a_ and b_ and a_[-1] == b_[-1], "middle dot: both copies embed the same base program, the dot drawn from it or not",
                  ([len(x) for x in a_], [len(x) for x in b_]))

        # a Latin face has no base; a letter alone has none
        seed = example_template(root, "open-letter.md",
                                ("opening: President Moon Jae-in,", "opening: Dear {{name}},"))
        with open(os.path.join(tmp, "seed.md"), "w", encoding="utf-8") as f:
            f.write(seed)
        with open(os.path.join(tmp, "seed.csv"), "w", encoding="utf-8") as f:
            f.write("id,name\n1,Zoë Þórsdóttir\n")
        os.makedirs(os.path.join(tmp, "seed"))
        r = subprocess.run([mkl, "seed.md", "--merge", "seed.csv", "-o", "seed/{{id}}.pdf", "-q"], cwd=tmp, env=ENV)
        if check(r.returncode == 0, "the seed merge renders", r.returncode):
            fs = fonts(os.path.join(tmp, "seed", "1.pdf"))
            check(fs.count("LiberationSerif") == 1, "a Latin face has no base: one subset, whatever the row brings", fs)
            check("DearZoëÞórsdóttir," in words(os.path.join(tmp, "seed", "1.pdf"), "pdftotext"), "the seed copy's name reads")
        pdf = os.path.join(tmp, "alone.pdf")
        r = subprocess.run([mkl, "-q", os.path.join(root, "examples", "open-letter.ko.md"), "-o", pdf], env=ENV)
        if check(r.returncode == 0, "the Korean example renders alone", r.returncode):
            fs = fonts(pdf)
            check(fs.count("NanumMyeongjo") == 1, "a letter alone (no merge) has one subset of each face", fs)
    finish()


if __name__ == "__main__":
    main()
