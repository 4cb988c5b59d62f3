#!/usr/bin/env python3
"""House styles (style: FILE, --style FILE): the same letter body set with two
styles differs only in the words the styles change (pdftotext -bbox); the
letter's keys win, mappings merge key by key, lists are replaced; paths in a
style are taken from its folder; styles chain, a cycle is an error; lookup
beside the letter, then $XDG_DATA_HOME/mkletter/styles; errors name the style
file, line and column; an output never replaces a style file; the examples
that use the house style render.

usage: test_styles.py MKLETTER REPO_ROOT"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import checks  # noqa: E402
from checks import check, finish  # noqa: E402

mkletter, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])


def run(*args, env=None):
    return subprocess.run([mkletter, *args], capture_output=True, text=True, env=env)


def words(pdf):
    """(page, word, xMin, yMin, xMax, yMax) of every word, rounded to 0.01 pt."""
    return [(p, w, *(round(v, 2) for v in box)) for p, w, *box in checks.words(pdf)]


def text(pdf):
    return subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout


def write(path, s):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(s)


BODY = """---
{style}subject: Request for a meeting
to: |
  Ms Elizabeth Salmón
  Palais des Nations
  CH-1211 Geneva 10
opening: Dear Special Rapporteur,
---

We write to ask for a meeting during your visit to Seoul later this month, to
brief you on the findings of our latest report and on what the families of
victims told us they expect of a future process of accountability.

Please let us know which day suits you.
"""

STYLE_A = """lang: en
layout: din5008a
place: Seoul
date: 2020-03-09
letterhead:
  name: Alpha Coalition
  lines:
    - "1 First Street, Seoul"
closing: Yours sincerely,
signatures:
  - name: Ada Alpha
    title: Director
"""
# B: the same keys with other values (the same number of lines each)
STYLE_B = STYLE_A.replace("Alpha Coalition", "Beta Network").replace("1 First Street", "2 Second Avenue") \
                 .replace("Yours sincerely,", "Kind regards,").replace("Ada Alpha", "Bo Beta")

with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    write("a.yaml", STYLE_A)
    write("b.yaml", STYLE_B)
    write("letter.md", BODY.format(style=""))
    ra, rb = run("letter.md", "--style", "a.yaml", "-o", "a.pdf"), run("letter.md", "--style", "b.yaml", "-o", "b.pdf")
    check(ra.returncode == 0 and rb.returncode == 0, "the letter renders with either style", ra.stderr + rb.stderr)
    wa, wb = words("a.pdf"), words("b.pdf")
    changed = set("Alpha Coalition 1 First Street Yours sincerely, Ada Alpha Beta Network 2 Second Avenue Kind regards, Bo Beta".split())
    only_a, only_b = [w for w in wa if w not in wb], [w for w in wb if w not in wa]
    check(only_a and only_b, "the two styles give different pages")
    # a word may move only on a line that holds a word a style changes (the
    # return address line "Alpha Coalition, 1 First Street, Seoul")
    lines = {(w[0], w[3]) for w in only_a + only_b if w[1].strip(",") in changed or w[1] in changed}
    check(all((w[0], w[3]) in lines for w in only_a + only_b), "only the words the styles change differ (same text, same place)",
          [w for w in only_a + only_b if (w[0], w[3]) not in lines][:8])
    check(len(wa) > 60 and len(lines) <= 5, "the rest is word for word in the same place", (len(wa), len(only_a), lines))
    check("Alpha Coalition" in text("a.pdf") and "Beta Network" in text("b.pdf") and "Seoul, March 9, 2020" in text("a.pdf"),
          "each style's letterhead, place and date are set")

    # style: in the letter, the same as --style; the letter's own keys win, mappings merge key by key, lists replaced
    write("letter2.md", BODY.format(style="style: a.yaml\nclosing: With thanks,\nletterhead:\n  name: Own Name\n"))
    r = run("letter2.md", "-o", "l2.pdf")
    t = text("l2.pdf") if r.returncode == 0 else ""
    check(r.returncode == 0, "style: in the letter", r.stderr)
    check("With thanks," in t and "Yours sincerely" not in t, "the letter's key wins over the style's")
    check("Own Name" in t and "1 First Street" in t and "Alpha Coalition" not in t,
          "letterhead merges key by key: the letter's name, the style's lines")
    write("letter3.md", BODY.format(style="style: a.yaml\nletterhead:\n  lines: [Only line]\n"))
    r = run("letter3.md", "-o", "l3.pdf")
    t = text("l3.pdf") if r.returncode == 0 else ""
    check("Only line" in t and "1 First Street" not in t and "Alpha Coalition" in t, "a list is replaced, not merged", r.stderr)
    r = run("letter2.md", "--style", "b.yaml", "-o", "l2b.pdf")
    check(r.returncode == 0 and "Bo Beta" in text("l2b.pdf") and "Ada Alpha" not in text("l2b.pdf"),
          "--style replaces the letter's style:", r.stderr)

    # chains: a style naming another (looked up beside it); paths from the style's folder
    shutil.copy(os.path.join(root, "examples", "styles", "tjwg-logo.png"), "logo.png")
    write("house/base.yaml", "letterhead:\n  name: Base House\n  logo: ../logo.png\nclosing: From the base,\nps: Base PS\n")
    write("house/dept.yaml", "style: base\nclosing: From the department,\n")
    write("chain.md", BODY.format(style="style: house/dept.yaml\n"))
    r = run("chain.md", "-o", "chain.pdf")
    t = text("chain.pdf") if r.returncode == 0 else ""
    check(r.returncode == 0 and "From the department," in t and "Base PS" in t and "From the base" not in t,
          "a chain: the nearer style wins, the farther fills in", r.stderr)
    img = subprocess.run(["pdfimages", "-list", "chain.pdf"], capture_output=True, text=True).stdout
    check(r.returncode == 0 and len(img.strip().splitlines()) >= 3, "the logo named in a style is found from the style's folder", img)

    # errors point into the style file
    write("bad.yaml", "lang: en\nletterhead:\n  name: X\n  colour: red\n")
    r = run("letter.md", "--style", "bad.yaml", "-o", "x.pdf")
    check(r.returncode == 1 and r.stderr.startswith("bad.yaml:4:3: unknown key 'colour'"), "an unknown key in a style: file:line:col",
          r.stderr)
    write("bad2.yaml", "fonts:\n  size: 40pt\n")
    r = run("letter.md", "--style", "bad2.yaml", "-o", "x.pdf")
    check(r.returncode == 1 and r.stderr.startswith("bad2.yaml:2:9: 'size' must be"), "a bad value in a style: file:line:col",
          r.stderr)
    write("bad3.yaml", "closing: [unclosed\n")
    r = run("letter.md", "--style", "bad3.yaml", "-o", "x.pdf")
    check(r.returncode == 1 and r.stderr.startswith("bad3.yaml:1:10: YAML"), "bad YAML in a style: file:line:col", r.stderr)
    write("bad4.yaml", "- a list\n")
    r = run("letter.md", "--style", "bad4.yaml", "-o", "x.pdf")
    check(r.returncode == 1 and r.stderr.startswith("bad4.yaml:1:1: a style must be a mapping"), "a style that is not a mapping",
          r.stderr)
    write("house/badlogo.yaml", "letterhead:\n  name: N\n  logo: missing.png\n")
    r = run("letter.md", "--style", "house/badlogo.yaml", "-o", "x.pdf")
    check(r.returncode == 1 and r.stderr.startswith("house/badlogo.yaml:3:9: image"), "a missing image named in a style: there",
          r.stderr)
    write("cyc1.yaml", "style: cyc2\n")
    write("cyc2.yaml", "closing: x\nstyle: cyc1.yaml\n")
    write("cyc.md", BODY.format(style="style: cyc1.yaml\n"))
    r = run("cyc.md", "-o", "x.pdf")
    check(r.returncode == 1 and r.stderr.startswith("cyc2.yaml:2:8: ") and "cycle" in r.stderr, "a cycle is an error where it closes",
          r.stderr)
    write("self.yaml", "style: self.yaml\n")
    r = run("letter.md", "--style", "self.yaml", "-o", "x.pdf")
    check(r.returncode == 1 and "cycle" in r.stderr, "a style naming itself", r.stderr)
    for i in range(10):
        write(f"deep{i}.yaml", f"style: deep{i + 1}\n" if i < 9 else "closing: deep\n")
    r = run("letter.md", "--style", "deep0.yaml", "-o", "x.pdf")
    check(r.returncode == 1 and "at most 8" in r.stderr and r.stderr.startswith("deep7.yaml:1:8"), "a chain longer than 8", r.stderr)
    write("nf.md", BODY.format(style="style: nowhere\n"))
    r = run("nf.md", "-o", "x.pdf")
    check(r.returncode == 1 and r.stderr.startswith("nf.md:2:8: style 'nowhere': not found"), "a style not found: where it is named",
          r.stderr)
    write("st.md", BODY.format(style="style: [a.yaml]\n"))
    r = run("st.md", "-o", "x.pdf")
    check(r.returncode == 1 and r.stderr.startswith("st.md:2:8: 'style' must be a file name"), "style: must be a string", r.stderr)
    for p in ("x.pdf",):
        check(not os.path.exists(p), "no output after an error")

    # lookup: $XDG_DATA_HOME/mkletter/styles, with .yaml added
    write("xdg/mkletter/styles/corp.yaml", STYLE_B)
    write("xdgletter.md", BODY.format(style="style: corp\n"))
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, "xdg"))
    r = run("xdgletter.md", "-o", "xdg.pdf", env=env)
    check(r.returncode == 0 and "Beta Network" in text("xdg.pdf"), "a style found in $XDG_DATA_HOME/mkletter/styles", r.stderr)
    write("corp.yaml", STYLE_A)   # beside the letter: found first
    r = run("xdgletter.md", "-o", "xdg2.pdf", env=env)
    check(r.returncode == 0 and "Alpha Coalition" in text("xdg2.pdf"), "beside the letter comes before $XDG_DATA_HOME", r.stderr)
    os.remove("corp.yaml")
    env = dict(os.environ, XDG_DATA_HOME="", HOME=os.path.join(tmp, "home"))
    write("home/.local/share/mkletter/styles/corp.yaml", STYLE_A)
    r = run("xdgletter.md", "-o", "xdg3.pdf", env=env)
    check(r.returncode == 0 and "Alpha Coalition" in text("xdg3.pdf"), "without $XDG_DATA_HOME: ~/.local/share/mkletter/styles",
          r.stderr)

    # a style is an input: no output replaces it
    before = open("a.yaml", encoding="utf-8").read()
    r = run("letter.md", "--style", "a.yaml", "-o", "a.yaml")
    check(r.returncode != 0 and "would replace the input" in r.stderr and open("a.yaml", encoding="utf-8").read() == before,
          "an output never replaces the style file", r.stderr)
    os.symlink("house/base.yaml", "link.yaml")
    r = run("chain.md", "-o", "link.yaml")
    check(r.returncode != 0 and "would replace the input" in r.stderr, "nor a style in the chain, by another name", r.stderr)

    # the examples that use the house style
    for ex in ("meeting-request.md", "report-cover.md"):
        r = run(os.path.join(root, "examples", ex), "-o", ex + ".pdf")
        t = text(ex + ".pdf") if r.returncode == 0 else ""
        check(r.returncode == 0 and "Transitional Justice Working Group" in t and "Hubert Younghwan Lee" in t,
              f"examples/{ex} renders with examples/styles/tjwg.yaml", r.stderr)
finish()
