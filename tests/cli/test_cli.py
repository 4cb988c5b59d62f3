#!/usr/bin/env python3
"""The mkletter command's contract: output names, options, exit codes, error
messages (FILE:LINE:COL: message) and atomic output.

usage: test_cli.py MKLETTER REPO_ROOT

Letters are written into a temp dir and the command runs there with relative
paths, so FILE in a message is checked as given. Prints one line per failed check
and ends with "N passed, N failed"; exits 0 only if nothing failed.
Standard library only.
"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import checks  # noqa: E402
from checks import check, failures, finish  # noqa: E402

MINIMAL = "---\nsubject: Hi\n---\n\nHello.\n"
TEXT = "---\nsubject: Minutes of the meeting\n---\n\nThe committee met on Tuesday.\n"
HANGUL = "대한민국 인권 Tomás"


class Bad:
    """A letter that must be refused with exit 1 and FILE:LINE:COL: message.
    line/cols: the expected position (None: any); words: the message must
    contain one of them (case-insensitive)."""

    def __init__(self, name, content, line, cols=None, words=()):
        self.name, self.line, self.cols, self.words = name + ".md", line, cols, words
        self.content = content.encode() if isinstance(content, str) else content


BAD_LETTERS = [
    Bad("unknown-key", "---\nsubject: Hi\nsubjet: x\n---\n\nHello.\n", 3, {1}, ["subjet"]),
    Bad("list-for-string", "---\nsubject: [a, b]\n---\n\nHello.\n", 2, {1, 10},
        ["list", "sequence"]),
    Bad("columns-zero", "---\nsubject: Hi\nsignatories:\n  - heading: Orgs\n    columns: 0\n"
        "    entries:\n      - A\n---\n\nHello.\n", 5, {5, 14}, ["columns"]),
    Bad("unclosed", "---\nsubject: Hi\n\nHello.\n", 1, None, ["closed", "never"]),
    Bad("yaml-syntax", '---\nsubject: Hi\nto: "unterminated\n---\n\nHello.\n', None),
    Bad("bad-utf8", b"---\nsubject: Hi\n---\n\nHell\xffo.\n", 5, {5}, ["UTF-8", "UTF8"]),
    Bad("bad-date", "---\nsubject: Hi\ndate: 2020-02-30\n---\n\nHello.\n", 3, None, ["date"]),
    Bad("unknown-font", '---\nsubject: Hi\nfonts: {body: ["No Such Family 123"]}\n---\n\n'
        "Hello.\n", 3, None, ["No Such Family 123"]),
    Bad("no-front-matter", "Hello.\n", 1, None, ["front matter", "---"]),
]


class Workdir(checks.Workdir):
    """The temp dir the command runs in."""

    def run(self, *args):
        try:
            r = subprocess.run([self.mkletter, *args], cwd=self.path, capture_output=True)
        except OSError as e:  # no such binary: a failed run
            r = subprocess.CompletedProcess(args, 127, b"", str(e).encode())
        r.out = r.stdout.decode("utf-8", errors="replace")
        r.err = r.stderr.decode("utf-8", errors="replace").strip()
        return r


def expect_exit(r, code, what):
    return check(r.returncode == code, what,
                 f"exit {r.returncode}, expected {code}; stderr: {r.err!r}")


def is_pdf(wd, name):
    return os.path.isfile(wd.file(name)) and wd.read(name).startswith(b"%PDF")


def pdf_text(wd, name):
    """pdftotext of the file, its lines stripped, empty ones dropped ([] if it is not a PDF)."""
    if not is_pdf(wd, name):
        return []
    r = checks.run(["pdftotext", "-enc", "UTF-8", wd.file(name), "-"])
    return [line.strip() for line in checks.text(r.stdout).splitlines() if line.strip()]


def expect_letter(wd, name, what):
    """The PDF holds the TEXT letter: its subject line, its body, its page number."""
    lines = pdf_text(wd, name)
    check(lines == ["Re: Minutes of the meeting", "The committee met on Tuesday.", "Page 1 of 1"],
          f"{what}: {name} holds the letter's text", repr(lines))


def check_success(wd):
    letter = wd.write("a.md", TEXT)
    r = wd.run(letter)
    expect_exit(r, 0, "minimal letter")
    expect_letter(wd, "a.pdf", "a.md without -o")
    os.mkdir(wd.file("sub"))
    expect_exit(wd.run(letter, "-o", "sub/other.pdf"), 0, "-o sub/other.pdf")
    expect_letter(wd, "sub/other.pdf", "-o sub/other.pdf")
    # the default name replaces the extension of the file, not of a folder
    os.mkdir(wd.file("v1.0"))
    wd.write("v1.0/notes", TEXT)
    expect_exit(wd.run("v1.0/notes"), 0, "a letter without extension in a folder with a dot")
    expect_letter(wd, "v1.0/notes.pdf", "v1.0/notes")
    wd.write("v1.0/.hidden", TEXT)
    expect_exit(wd.run("v1.0/.hidden"), 0, "a dot file")
    expect_letter(wd, "v1.0/.hidden.pdf", "v1.0/.hidden")
    # --no-page-numbers drops the page number, and nothing else
    expect_exit(wd.run(letter, "-o", "n.pdf", "--no-page-numbers"), 0, "--no-page-numbers")
    lines = pdf_text(wd, "n.pdf")
    check(lines == ["Re: Minutes of the meeting", "The committee met on Tuesday."], "--no-page-numbers: no page number",
          repr(lines))


def check_paper(wd):
    """Each paper size, as pdfinfo reads the page (points)."""
    for paper, size in (("a4", "595.276 x 841.89"), ("letter", "612 x 792"), ("legal", "612 x 1008")):
        letter = wd.write(f"paper-{paper}.md", TEXT.replace("---\n\n", f"paper: {paper}\n---\n\n"))
        if expect_exit(wd.run(letter), 0, f"paper: {paper}"):
            info = checks.text(checks.run(["pdfinfo", wd.file(f"paper-{paper}.pdf")]).stdout)
            m = re.search(r"Page size:\s+([\d.]+ x [\d.]+) pts", info)
            check(m is not None and m.group(1) == size, f"paper: {paper} is {size} pt", m.group(1) if m else info)
            expect_letter(wd, f"paper-{paper}.pdf", f"paper: {paper}")


def check_mode(wd):
    """New output files get 0666 minus the umask, like any new file (not mkstemp's 0600)."""
    letter = wd.write("m.md", TEXT)
    for umask, want in ((0o022, 0o644), (0o002, 0o664), (0o077, 0o600)):
        name = f"mode-{umask:03o}.pdf"
        try:
            r = subprocess.run([wd.mkletter, letter, "-o", name], cwd=wd.path, capture_output=True,
                               preexec_fn=lambda: os.umask(umask))
        except OSError as e:
            r = subprocess.CompletedProcess([], 127, b"", str(e).encode())
        if check(r.returncode == 0, f"umask {umask:03o}: renders", r.stderr[-200:]):
            mode = os.stat(wd.file(name)).st_mode & 0o777
            check(mode == want, f"umask {umask:03o}: the output's mode is {want:03o}", f"{mode:03o}")


def check_usage(wd):
    letter = wd.write("u.md", MINIMAL)
    other = wd.write("v.md", MINIMAL)
    r = wd.run("--help")
    expect_exit(r, 0, "--help")
    check("usage" in (r.out + r.err).lower(), "--help prints a usage", repr(r.out[:80]))
    r = wd.run("--version")
    expect_exit(r, 0, "--version")
    check(r.out.startswith("mkletter "), "--version prints 'mkletter VERSION'", repr(r.out))
    expect_exit(wd.run(), 2, "no arguments")
    expect_exit(wd.run(letter, "--no-such-option"), 2, "unknown option")
    expect_exit(wd.run(letter, other), 2, "two input files")


def check_bad(wd, bad):
    """Run a bad letter with the default output name: exit 1, the message, nothing written."""
    wd.write(bad.name, bad.content)
    before = wd.listing()
    r = wd.run(bad.name)
    what = f"{bad.name}:"
    expect_exit(r, 1, f"{what} exit 1")
    m = re.search(r"^" + re.escape(bad.name) + r":(\d+):(\d+): (.+)", r.err, re.M)
    message = m.group(3) if m else r.err
    if bad.words:
        check(any(w.lower() in message.lower() for w in bad.words),
              f"{what} message names the problem", f"none of {bad.words} in {message!r}")
    if check(m is not None, f"{what} message is FILE:LINE:COL: message", repr(r.err)):
        line, col = int(m.group(1)), int(m.group(2))
        check(line >= 1 and col >= 1, f"{what} position is positive", f"{line}:{col}")
        if bad.line is not None:
            check(line == bad.line, f"{what} line", f"got {line}, expected {bad.line}: {r.err!r}")
        if bad.cols is not None:
            check(col in bad.cols, f"{what} column", f"got {col}, expected one of "
                  f"{sorted(bad.cols)}: {r.err!r}")
    new = wd.listing() - before
    check(not new, f"{what} no file written", f"new files: {sorted(new)}")


def check_keeps_existing_output(wd):
    junk = b"junk, not a PDF \x00\xff"
    wd.write("out.pdf", junk)
    letter = wd.write("bad-over-existing.md", BAD_LETTERS[0].content)
    before = wd.listing()
    r = wd.run(letter, "-o", "out.pdf")
    expect_exit(r, 1, "bad letter with existing -o out.pdf")
    check(wd.read("out.pdf") == junk, "existing out.pdf stays byte-identical")
    check(wd.listing() == before, "no stray files after a failed run",
          str(sorted(wd.listing() - before)))
    stray = [n for n in wd.listing() if ".tmp-" in n]
    check(not stray, "no *.tmp-* files left in the folder", str(stray))


def check_unwritable(wd):
    letter = wd.write("w.md", MINIMAL)
    expect_exit(wd.run(letter, "-o", "/nonexistent-dir/x.pdf"), 3, "-o /nonexistent-dir/x.pdf")
    os.mkdir(wd.file("is-a-dir.pdf"))
    before = wd.listing()
    expect_exit(wd.run(letter, "-o", "is-a-dir.pdf"), 3, "-o onto an existing directory")
    check(wd.listing() == before, "no temp file left when the rename fails",
          str(sorted(wd.listing() - before)))


def check_missing_input(wd):
    r = wd.run("missing.md")
    expect_exit(r, 1, "missing input file")
    check("missing.md" in r.err, "message names the missing file", repr(r.err))


def check_hangul(wd):
    letter = wd.write("hangul.md", MINIMAL.replace("Hello.", HANGUL))
    if not expect_exit(wd.run(letter), 0, "Hangul letter"):
        return
    r = subprocess.run(["pdftotext", "-enc", "UTF-8", wd.file("hangul.pdf"), "-"],
                       capture_output=True)
    lines = [line.strip() for line in r.stdout.decode("utf-8", errors="replace").splitlines()]
    check(HANGUL in lines, "pdftotext gives the Hangul line back exactly", repr(lines))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_cli.py MKLETTER REPO_ROOT")
    mkletter = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="mkletter-cli-") as tmp:
        wd = Workdir(tmp, mkletter)
        check_success(wd)
        check_mode(wd)
        check_paper(wd)
        check_usage(wd)
        for bad in BAD_LETTERS:
            check_bad(wd, bad)
        check_keeps_existing_output(wd)
        check_unwritable(wd)
        check_missing_input(wd)
        check_hangul(wd)
    finish()


if __name__ == "__main__":
    main()
