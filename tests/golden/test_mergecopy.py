#!/usr/bin/env python3
"""What a merge copy takes from the copies before it (issue 15, a copy's
CPU: paragraphs made from the cache's glyphs, front-matter strings and
co-signers kept with their smart punctuation, a glyph's last (glyph, text)
pair) never shows in a copy: rows whose values differ by a letter and keep
their length, in a field with an apostrophe in the address block, the
subject and a co-signer's name (each made smart, then kept), and in a
field of a body paragraph. Each copy of the merge is byte for byte the file
its row makes alone (--rows N), and pdftotext finds its own row's text,
curly apostrophe and all, and no other row's.

usage: test_mergecopy.py MKLETTER REPO_ROOT
"""
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, example_template, finish  # noqa: E402

ENV = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")
# one length, a letter apart; the first comes back after the others
NAMES = ["O'Neil", "O'Neal", "O'Nell", "D'Neil", "O'Neil"]


def run(argv, cwd):
    r = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True)
    return check(r.returncode == 0, " ".join(os.path.basename(a) for a in argv[:4]) + " renders", r.stderr[-300:])


def squashed_text(path):
    out = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True)
    check(out.returncode == 0, f"pdftotext reads {os.path.basename(path)}", out.stderr[-200:])
    return "".join(out.stdout.split())


def main():
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="mkletter-mergecopy-") as tmp:
        text = example_template(root, "open-letter.md",
                                ("opening: President Moon Jae-in,", "opening: Dear {{name}},"),
                                ("\n  Moon Jae-in\n", "\n  {{name}}'s office\n"),
                                ('      - "1969 KAL Abductees\' Families Association, South Korea"\n',
                                 '      - "1969 KAL Abductees\' Families Association, South Korea"\n'
                                 '      - "{{name}}\'s Friends, Seoul"\n'))
        text = text.replace("\n---\n", "\n---\n\nWe write to you, {{name}}, on behalf of the undersigned.\n", 1)
        check(text.count("{{name}}") >= 4, "the letter has its fields")
        with open(os.path.join(tmp, "l.md"), "w", encoding="utf-8") as f:
            f.write(text)
        with open(os.path.join(tmp, "d.csv"), "w", encoding="utf-8") as f:
            f.write("id,name\n" + "".join(f'{i + 1},"{n}"\n' for i, n in enumerate(NAMES)))
        os.makedirs(os.path.join(tmp, "all"))
        if not run([mkl, "l.md", "--merge", "d.csv", "-o", "all/{{id}}.pdf", "-q", "-j", "1"], tmp):
            finish()
        for i, name in enumerate(NAMES):
            one = os.path.join(tmp, f"alone{i + 1}")
            os.makedirs(one)
            if not run([mkl, "l.md", "--merge", "d.csv", "--rows", str(i + 1), "-o", f"alone{i + 1}/{{{{id}}}}.pdf",
                        "-q"], tmp):
                continue
            batch = open(os.path.join(tmp, "all", f"{i + 1}.pdf"), "rb").read()
            alone = open(os.path.join(one, f"{i + 1}.pdf"), "rb").read()
            check(batch == alone, f"copy {i + 1} of the merge is the file its row makes alone",
                  f"{len(batch)} and {len(alone)} bytes")
            t = squashed_text(os.path.join(tmp, "all", f"{i + 1}.pdf"))
            curly = name.replace("'", "\u2019")
            others = {n.replace("'", "\u2019") for n in NAMES if n != name}
            for what, want in (("address", f"{curly}\u2019soffice"), ("co-signer", f"{curly}\u2019sFriends,Seoul"),
                               ("opening", f"Dear{curly},"), ("body", f"Wewritetoyou,{curly},onbehalf")):
                check(want in t, f"copy {i + 1}'s {what} names {name}, with curly apostrophes", t[:200])
            for o in others:
                check(f"{o}\u2019soffice" not in t and f"{o}\u2019sFriends" not in t and f"Dear{o}," not in t,
                      f"copy {i + 1} names no other row's {o}")
    finish()


if __name__ == "__main__":
    main()
