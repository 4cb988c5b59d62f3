#!/usr/bin/env python3
"""What a renderer keeps from one copy of a merge to the next (shaped and
broken paragraphs, subset fonts, the hyphenation table compiled in, the
page breaker's trials) never shows in a copy: each copy of a merge is byte
for byte the file that row makes alone (--rows N: a renderer that kept
nothing), and its text is its own row's, down to a body paragraph whose
field changes only a few letters from the copy before (a paragraph kept
from the last copy would have the last copy's name). For the seed letter
with names in Latin letters and the Korean example with new Hangul names;
read back with pdftotext.

usage: test_reuse.py MKLETTER REPO_ROOT
"""
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, example_template, finish  # noqa: E402

ENV = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")
# names of one length, a letter apart: the same glyph runs, another text
LATIN = ["Anna Berg", "Anne Berg", "Anna Borg", "Hanna Lee", "Anna Berg"]
HANGUL = ["김민지", "김민수", "박민지", "이서연", "김민지"]


def run(argv, cwd):
    r = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True)
    return check(r.returncode == 0, " ".join(os.path.basename(a) for a in argv[:3]) + " renders", r.stderr[-300:])


def pdftext(path):
    return subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True).stdout


def main():
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="mkletter-reuse-") as tmp:
        seed = example_template(root, "open-letter.md",
                                ("opening: President Moon Jae-in,", "opening: Dear {{name}},"),
                                ("\n  Moon Jae-in\n", "\n  {{name}}\n"))
        # a body paragraph with the field in it, hyphenated and justified like the rest
        seed = seed.replace("\n---\n", "\n---\n\nWe write to you, {{name}}, on behalf of the undersigned "
                            "organizations, representatives and individuals concerned with accountability.\n", 1)
        ko = example_template(root, "open-letter.ko.md",
                              ("  대통령 문재인 귀하\n", "  {{name}} 귀하\n"),
                              ("opening: 존경하는 문재인 대통령님께", "opening: 존경하는 {{name}} 님께"))
        for stem, text, names in (("seed", seed, LATIN), ("ko", ko, HANGUL)):
            check("{{name}}" in text and text.count("{{name}}") >= 2, f"{stem}: the letter has its fields")
            with open(os.path.join(tmp, f"{stem}.md"), "w", encoding="utf-8") as f:
                f.write(text)
            with open(os.path.join(tmp, f"{stem}.csv"), "w", encoding="utf-8") as f:
                f.write("id,name\n" + "".join(f"{i + 1},{n}\n" for i, n in enumerate(names)))
            os.makedirs(os.path.join(tmp, stem, "all"))
            if not run([mkl, f"{stem}.md", "--merge", f"{stem}.csv", "-o", f"{stem}/all/{{{{id}}}}.pdf", "-q", "-j", "1"],
                       tmp):
                continue
            for i, name in enumerate(names):
                one = os.path.join(tmp, stem, f"alone{i + 1}")
                os.makedirs(one)
                if not run([mkl, f"{stem}.md", "--merge", f"{stem}.csv", "--rows", str(i + 1), "-o",
                            f"{stem}/alone{i + 1}/{{{{id}}}}.pdf", "-q"], tmp):
                    continue
                batch = open(os.path.join(tmp, stem, "all", f"{i + 1}.pdf"), "rb").read()
                alone = open(os.path.join(one, f"{i + 1}.pdf"), "rb").read()
                check(batch == alone, f"{stem}: copy {i + 1} of the merge is the file its row makes alone",
                      f"{len(batch)} and {len(alone)} bytes")
                t = "".join(pdftext(os.path.join(tmp, stem, "all", f"{i + 1}.pdf")).split())
                others = {n for n in names if n != name}
                check(name.replace(" ", "") in t, f"{stem}: copy {i + 1} names {name}")
                if stem == "seed":
                    want = f"Wewritetoyou,{name.replace(' ', '')},onbehalf"
                    check(want in t, f"{stem}: copy {i + 1}'s body paragraph names {name}")
                    check(not any(f"Wewritetoyou,{o.replace(' ', '')}," in t for o in others),
                          f"{stem}: copy {i + 1}'s body paragraph names no other row's name")
    finish()


if __name__ == "__main__":
    main()
