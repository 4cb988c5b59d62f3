#!/usr/bin/env python3
"""The Python package (python/mkletter, ctypes over libmkletter), from the
build tree and from an installed prefix: render a file, a string to bytes, a
letter filled from a dict, a mail merge to files and to one print file,
errors as mkletter.Error with file/line/column. Read back with pdftotext.

usage: test_python.py MKLETTER BUILD_DIR REPO_ROOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

EPOCH = 1582243200
MERGE = ('---\nsubject: "For {{name}}"\nto: |\n  {{name}}\n  {{title}}\nopening: "Dear {{name}},"\n---\n\n'
         "We write to you, {{name}}.\n")


def text_of(pdf):
    r = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True)
    return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else ""


def pages_of(path):
    r = subprocess.run(["pdfinfo", path], capture_output=True, text=True)
    m = re.search(r"Pages:\s+(\d+)", r.stdout)
    return int(m.group(1)) if m else -1


def exercise(m, mkl, root, tmp, where):
    """Everything the package offers, against the module `m`."""
    seed = os.path.join(root, "examples", "open-letter.md")
    # the package's mkl_options is no larger than the library's (the library writes at most its own)
    o = m._options(False, True, None, 0)
    check(o.struct_size == m.ctypes.sizeof(o), f"{where}: the options struct is the library's size",
          (o.struct_size, m.ctypes.sizeof(o)))
    # render_file: the same bytes as the command
    out = os.path.join(tmp, "py.pdf")
    m.render_file(seed, out, creation_time=EPOCH)
    subprocess.run([mkl, seed, "-o", os.path.join(tmp, "cli.pdf")], env=dict(os.environ, SOURCE_DATE_EPOCH=str(EPOCH)))
    py, cli = open(out, "rb").read(), open(os.path.join(tmp, "cli.pdf"), "rb").read()
    check(py == cli, f"{where}: render_file writes the bytes the command writes", (len(py), len(cli)))
    # render: a string to bytes
    pdf = m.render(open(seed, encoding="utf-8").read(), creation_time=EPOCH)
    check(pdf == cli, f"{where}: render(text) gives the same PDF as bytes")
    check("69 non-governmental organizations" in " ".join(text_of(pdf).split()), f"{where}: its text reads back")
    # fields from a dict
    pdf = m.render(MERGE, fields={"name": "Kim Ji-won", "title": "Minister"})
    t = text_of(pdf)
    check("Dear Kim Ji-won," in t and "Minister" in t and "{{" not in t, f"{where}: render(text, fields=dict) fills them", t[:200])
    # errors: an Error with file, line, column
    try:
        m.render("---\nsubject: Hi\nsubjet: x\n---\n\nHello.\n", name="bad.md")
        check(False, f"{where}: a bad letter raises mkletter.Error")
    except m.Error as e:
        check((e.file, e.line, e.column) == ("bad.md", 3, 1) and "subjet" in e.message and str(e).startswith("bad.md:3:1: "),
              f"{where}: Error carries file, line, column and message", (e.file, e.line, e.column, str(e)))
        check(e.code == m.ERR_INPUT, f"{where}: Error.code is MKL_ERR_INPUT", e.code)
    try:
        m.render(MERGE, fields={"name": "Kim"})
        check(False, f"{where}: a missing field raises")
    except m.Error as e:
        check("title" in e.message and e.line == 5, f"{where}: the missing field is named at its line", str(e))
    try:
        m.render(MERGE, fields={"name": "", "title": "Minister"})
        check(False, f"{where}: an empty required field raises")
    except m.Error as e:
        check("'name' is empty" in e.message, f"{where}: an empty required field is named", str(e))
    check(m.check(open(seed, encoding="utf-8").read()) == 4, f"{where}: check() counts the seed letter's 4 pages")
    # a merge: one file per row, and one print file
    csv = os.path.join(tmp, "people.csv")
    with open(csv, "w", encoding="utf-8") as f:
        f.write("id,name,title\n1,Ahn Soo-jin,Minister\n2,Baek Min,Director\n3,Cho Eun,Envoy\n")
    os.mkdir(os.path.join(tmp, "out"))
    with m.Renderer() as r:
        letter = r.parse(MERGE)
        check(letter.has_fields, f"{where}: Letter.has_fields")
        names = r.merge(letter, csv, os.path.join(tmp, "out", "{{id}}.pdf"))
        check([os.path.basename(n) for n in names] == ["1.pdf", "2.pdf", "3.pdf"], f"{where}: merge makes one file per row",
              names)
        check(all(f"Dear {who}," in text_of(open(n, "rb").read()) for n, who in zip(names, ["Ahn Soo-jin", "Baek Min",
                                                                                           "Cho Eun"])),
              f"{where}: each file holds its row's name")
        r.merge(letter, csv, os.path.join(tmp, "print.pdf"), duplex=True)
        check(pages_of(os.path.join(tmp, "print.pdf")) == 6, f"{where}: a duplex print file of 3 one-page copies has 6 pages")
        data = r.merge(letter, csv, None, rows=[1])
        check("Dear Baek Min," in text_of(data) and "Ahn" not in text_of(data), f"{where}: merge to bytes, one row")
        # all or nothing, and names stay in their folder
        with open(csv, "w", encoding="utf-8") as f:
            f.write("id,name,title\n7,Ahn,Minister\n8,Bad \U0010FFFD,Director\n")
        try:
            r.merge(letter, csv, os.path.join(tmp, "out", "{{id}}.pdf"))
            check(False, f"{where}: a merge with a bad row raises")
        except m.Error as e:
            check("row 2 (" in e.message and "line 3)" in e.message and not os.path.exists(os.path.join(tmp, "out", "7.pdf")),
                  f"{where}: a bad row 2 (line 3) raises naming it, and row 1's file is not written", (str(e), os.listdir(os.path.join(tmp, "out"))))
        with open(csv, "w", encoding="utf-8") as f:
            f.write("id,name,title\n../up,Ahn,Minister\n")
        try:
            r.merge(letter, csv, os.path.join(tmp, "out", "{{id}}.pdf"))
            check(False, f"{where}: an id with '/' raises")
        except m.Error as e:
            check("field 'id'" in e.message and not os.path.exists(os.path.join(tmp, "up.pdf")),
                  f"{where}: an id with '/' is refused, nothing written", str(e))
        letter = r.parse_file(seed)
        check(r.render(letter) != b"" and r.check(letter) == 4, f"{where}: Renderer.parse_file, render, check")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: test_python.py MKLETTER BUILD_DIR REPO_ROOT")
    mkl, build, root = (os.path.abspath(a) for a in sys.argv[1:])
    env = {k: v for k, v in os.environ.items() if k not in ("MKLETTER_LIBRARY", "PYTHONPATH")}
    with tempfile.TemporaryDirectory(prefix="mkletter-py-") as tmp:
        # 1. the build tree's copy, in this process
        sys.path.insert(0, os.path.join(build, "python"))
        os.environ.pop("MKLETTER_LIBRARY", None)
        import mkletter
        check(mkletter._library_path().startswith(build), "the build tree's package loads the build tree's library",
              mkletter._library_path())
        work = os.path.join(tmp, "build-tree")
        os.mkdir(work)
        exercise(mkletter, mkl, root, work, "build tree")
        # 2. an installed prefix, moved after installing, in a fresh interpreter
        prefix = os.path.join(tmp, "prefix")
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True, text=True)
        check(r.returncode == 0, "cmake --install", r.stderr)
        moved = os.path.join(tmp, "moved")
        shutil.move(prefix, moved)
        pkgs = [os.path.dirname(d) for d, _, files in os.walk(moved) if "__init__.py" in files and d.endswith("mkletter")]
        check(len(pkgs) == 1 and re.search(r"lib/python3\.\d+/(dist|site)-packages$", pkgs[0]) is not None,
              "the package is installed in the prefix's Python path", pkgs)
        if pkgs:
            code = ("import sys, mkletter; print(mkletter._library_path()); "
                    f"sys.path.insert(0, {os.path.join(root, 'tests', 'python')!r}); import test_python as t; "
                    f"t.exercise(mkletter, {mkl!r}, {root!r}, {os.path.join(tmp, 'inst')!r}, 'installed'); t.finish()")
            os.mkdir(os.path.join(tmp, "inst"))
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env=dict(env, PYTHONPATH=pkgs[0]), cwd=tmp)
            lines = r.stdout.splitlines()
            check(r.returncode == 0, "the installed package passes the same checks", r.stdout + r.stderr)
            check(bool(lines) and lines[0].startswith(moved), "the installed package loads the prefix's library (moved)",
                  lines[:1])
            for ln in lines[1:]:
                if ln.startswith("FAIL"):
                    print(ln)
    finish()


if __name__ == "__main__":
    main()
