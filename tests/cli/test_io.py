#!/usr/bin/env python3
"""The command in a pipeline and as a checker: `mkletter -` reads standard
input, `-o -` writes standard output (whole, only on success), `--check`
reports every problem and writes nothing, `--rows` is parsed strictly, and
`--help` and the man page name every flag the command takes.

usage: test_io.py MKLETTER REPO_ROOT

Prints one line per failed check and ends with "N passed, N failed".
Standard library and poppler-utils (pdftotext, pdfinfo) only.
"""
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import zlib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, run  # noqa: E402

EPOCH = {"SOURCE_DATE_EPOCH": "1582243200"}
MINIMAL = "---\nsubject: Hi\n---\n\nHello from the pipe.\n"
MERGE = ("---\nsubject: For {{name}}\nto: |\n  {{name}}\n  {{title}}\nopening: Dear {{name}},\n---\n\n"
         "We write to you, {{name}}.\n")


def mk(args, cwd, stdin=b"", env=None, stdout=subprocess.PIPE):
    e = dict(os.environ, **(env or {}))
    return subprocess.run(args, cwd=cwd, input=stdin, stdout=stdout, stderr=subprocess.PIPE, env=e)


def pdftext(data):
    r = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True)
    check(r.returncode == 0, "pdftotext reads the PDF", r.stderr.decode(errors="replace"))
    return r.stdout.decode("utf-8", "replace")


def pages(data):
    r = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True)
    m = re.search(rb"Pages:\s+(\d+)", r.stdout)
    return int(m.group(1)) if m else -1


def png(path):
    """A 4x2 opaque grey PNG (a signature image for a letter on stdin)."""
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + b"\x80" * 4 for _ in range(2))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 2, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def check_stdin_stdout(mkl, root, tmp):
    seed_path = os.path.join(root, "examples", "open-letter.md")
    seed = open(seed_path, "rb").read()
    r = mk([mkl, "-", "-o", "-"], tmp, seed, EPOCH)
    check(r.returncode == 0, "cat letter | mkletter - -o -: exit 0", r.stderr)
    check(r.stdout.startswith(b"%PDF-") and r.stdout.rstrip().endswith(b"%%EOF"), "standard output is a whole PDF")
    text = pdftext(r.stdout)
    for words in ["Open Letter on South Korea", "President Moon Jae-in", "Sincerely,",
                  "1969 KAL Abductees", "Page 4 of 4"]:
        check(words in text, f"the piped PDF has '{words}'")
    check(r.stderr == b"", "a good run prints nothing on standard error", r.stderr)
    # the same bytes as from the file (the name does not go into the PDF)
    f = mk([mkl, seed_path, "-o", os.path.join(tmp, "file.pdf")], tmp, b"", EPOCH)
    check(f.returncode == 0 and open(os.path.join(tmp, "file.pdf"), "rb").read() == r.stdout,
          "the PDF from standard input is byte-identical to the one from the file")
    # /dev/stdin names standard input too, a pipe as well as a file
    d = mk([mkl, "/dev/stdin", "-o", "-"], tmp, seed, EPOCH)
    check(d.returncode == 0 and d.stdout == r.stdout, "mkletter /dev/stdin reads the pipe like mkletter -",
          d.stderr[-300:])
    # `mkletter -` alone is a filter: standard output by default, no file made
    before = set(os.listdir(tmp))
    r = mk([mkl, "-"], tmp, MINIMAL.encode())
    check(r.returncode == 0 and "Hello from the pipe." in pdftext(r.stdout), "mkletter - writes to standard output")
    check(set(os.listdir(tmp)) == before, "mkletter - makes no file", set(os.listdir(tmp)) - before)
    # relative paths in a letter on standard input are taken from the current folder
    png(os.path.join(tmp, "sig.png"))
    sig = "---\nsubject: Signed\nsignatures: [{name: Kim Ji-won, title: Director, image: sig.png}]\n---\n\nBody.\n"
    r = mk([mkl, "-", "-o", "-"], tmp, sig.encode())
    check(r.returncode == 0 and "Kim Ji-won" in pdftext(r.stdout), "an image path on stdin is found from the current folder",
          r.stderr)
    with open(os.path.join(tmp, "sig.pdf"), "wb") as f:
        f.write(r.stdout)
    q = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", os.path.join(tmp, "sig.pdf"), "-"], capture_output=True)
    check(b"/Subtype /Image" in q.stdout, "the image is in the PDF", q.stderr)
    r = mk([mkl, "-", "-o", "-"], os.path.join(root, "examples"), sig.encode())
    check(r.returncode == 1 and r.stdout == b"" and r.stderr.startswith(b"<stdin>:"),
          "from another folder the image is missing: exit 1, <stdin>: message, nothing on stdout", r.stderr)


def check_stdin_errors(mkl, tmp):
    bad = b"---\nsubject: Hi\nsubjet: x\n---\n\nHello.\n"
    r = mk([mkl, "-", "-o", "-"], tmp, bad)
    check(r.returncode == 1, "a bad letter on stdin: exit 1", r.returncode)
    check(r.stdout == b"", "a bad letter on stdin: nothing on standard output", r.stdout[:40])
    check(re.match(rb"<stdin>:3:1: .*subjet", r.stderr) is not None, "the message is <stdin>:LINE:COL:", r.stderr)
    r = mk([mkl, "-"], tmp, b"---\nsubject: x\nlang: \xff\n---\nx\n")
    check(r.returncode == 1 and r.stderr.startswith(b"<stdin>:3:"), "invalid UTF-8 on stdin names <stdin>:3", r.stderr)
    # an uncovered character: found only while laying out, after parsing
    r = mk([mkl, "-", "-o", "-"], tmp, "---\nsubject: Hi\n---\n\nA \U0010FFFD b.\n".encode())
    check(r.returncode == 1 and r.stdout == b"" and r.stderr.startswith(b"<stdin>:5"),
          "a layout error on stdin: exit 1, nothing on stdout", r.stderr)
    # a full disk: exit 3, no success claimed
    with open("/dev/full", "wb") as full:
        r = mk([mkl, "-", "-o", "-"], tmp, MINIMAL.encode(), stdout=full)
        check(r.returncode == 3 and b"standard output" in r.stderr, "-o - to /dev/full: exit 3", (r.returncode, r.stderr))
        r = mk([mkl, "-V"], tmp, stdout=full)
        check(r.returncode == 3, "-V to /dev/full: exit 3", r.returncode)
    # never binary on a terminal
    master, slave = pty.openpty()
    try:
        r = subprocess.run([mkl, "-"], cwd=tmp, input=MINIMAL.encode(), stdout=slave, stderr=subprocess.PIPE)
    finally:
        os.close(slave)
        os.close(master)
    check(r.returncode == 2 and b"terminal" in r.stderr, "a PDF is not written to a terminal: exit 2", r.stderr)
    r = mk([mkl, ""], tmp)
    check(r.returncode == 2 and b"empty" in r.stderr, "an empty letter name: exit 2 saying so", r.stderr)
    r = mk([mkl, "-", "--merge", "-"], tmp, MINIMAL.encode())
    check(r.returncode == 2, "--merge - is a usage error (stdin holds the letter)", r.stderr)


def write(tmp, name, content):
    with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
        f.write(content)
    return name


def csv_rows(rows):
    return "id,name,title\n" + "".join(f"{i},{n},{t}\n" for i, n, t in rows)


def check_merge_stdout(mkl, tmp):
    write(tmp, "m.md", MERGE)
    write(tmp, "m.csv", csv_rows([(1, "Ahn", "Minister"), (2, "Baek", "Director"), (3, "Cho", "Envoy")]))
    r = mk([mkl, "m.md", "--merge", "m.csv", "-o", "-"], tmp)
    check(r.returncode == 0, "a combined merge to -o -: exit 0", r.stderr)
    text = pdftext(r.stdout)
    check(all(f"Dear {n}," in text for n in ("Ahn", "Baek", "Cho")), "every copy is in the piped print file")
    check(pages(r.stdout) == 3, "three one-page copies", pages(r.stdout))
    r = mk([mkl, "m.md", "--merge", "m.csv", "-o", "-", "--duplex"], tmp)
    check(r.returncode == 0 and pages(r.stdout) == 6, "--duplex to -o -: a blank back for each copy", pages(r.stdout))


def check_check(mkl, tmp):
    os.mkdir(os.path.join(tmp, "out"))
    write(tmp, "m.md", MERGE)
    rows = []
    for i in range(1, 21):
        rows.append([str(i), f"Person {i}", f"Title {i}"])
    rows[2][1] = ""                       # row 3: a required value empty
    rows[6][2] = "Bad \U0010FFFD char"    # row 7: a character no font has
    rows[10][0] = "5"                     # row 11: the same file as row 5
    rows[13][1] = ""                      # row 14: empty again
    rows[17][0] = "../escape"             # row 18: a name that leaves out/
    write(tmp, "bad.csv", "id,name,title\n" + "".join(",".join(r) + "\n" for r in rows))
    before = sorted(os.listdir(tmp)), sorted(os.listdir(os.path.join(tmp, "out")))
    r = mk([mkl, "m.md", "--merge", "bad.csv", "-o", "out/{{id}}.pdf", "--check"], tmp)
    err = r.stderr.decode("utf-8", "replace")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    check(r.returncode == 1, "--check with bad rows: exit 1", r.returncode)
    check(len(lines) == 5, "--check lists all five bad rows, one line each", err)
    # data row i (as --rows counts it) is (here) the CSV's line i + 1
    for row, what in [(4, "is empty"), (8, "U+10FFFD"), (15, "is empty"), (19, "cannot be part of the output name")]:
        check(any(f"row {row - 1} (bad.csv line {row})" in ln and what in ln for ln in lines),
              f"the problem of CSV row {row} is reported with its row and line", err)
    check(any("rows 5 and 11 (lines 6 and 12)" in ln and "same output file" in ln for ln in lines), "the duplicate name names both rows", err)
    check(all(re.match(r"[^:]+:(\d+:(\d+:)? )?", ln) for ln in lines), "every line starts FILE:[LINE:COL:]", err)
    check(any(ln.startswith("m.md:") and re.match(r"m\.md:\d+:\d+: ", ln) for ln in lines),
          "a letter problem is at FILE:LINE:COL", err)
    after = sorted(os.listdir(tmp)), sorted(os.listdir(os.path.join(tmp, "out")))
    check(before == after, "--check writes no file", (before, after))
    # a folder that does not exist: said once, for the first row
    write(tmp, "few.csv", csv_rows([(i, f"P{i}", "T") for i in range(1, 6)]))
    r = mk([mkl, "m.md", "--merge", "few.csv", "-o", "nowhere/{{id}}.pdf", "--check"], tmp)
    lines = r.stderr.decode().splitlines()
    check(r.returncode == 1 and len(lines) == 1 and "row 1 (few.csv line 2)" in lines[0] and "'nowhere' does not exist"
          in lines[0], "a missing output folder is one problem, at the first row", lines)
    # a good merge checks clean, and still writes nothing
    write(tmp, "good.csv", csv_rows([(i, f"Person {i}", "T") for i in range(1, 51)]))
    r = mk([mkl, "m.md", "--merge", "good.csv", "-o", "out/{{id}}.pdf", "--check"], tmp)
    check(r.returncode == 0 and b"50 rows checked, no problems" in r.stderr, "a good merge checks clean", r.stderr)
    check(os.listdir(os.path.join(tmp, "out")) == [], "a clean --check writes nothing either")
    r = mk([mkl, "m.md", "--merge", "good.csv", "-o", "out/{{id}}.pdf", "--check", "-q"], tmp)
    check(r.returncode == 0 and r.stderr == b"", "--check -q is silent when all is well", r.stderr)
    # a letter alone
    write(tmp, "one.md", MINIMAL)
    r = mk([mkl, "one.md", "--check"], tmp)
    check(r.returncode == 0 and b"no problems, 1 page" in r.stderr and "one.pdf" not in os.listdir(tmp),
          "--check on a letter: exit 0, pages counted, no PDF", r.stderr)
    write(tmp, "img.md", "---\nsubject: x\nsignatures: [{name: A, image: missing.png}]\n---\n\nBody.\n")
    r = mk([mkl, "img.md", "--check"], tmp)
    check(r.returncode == 1 and b"missing.png" in r.stderr, "--check finds a missing image", r.stderr)
    r = mk([mkl, "one.md", "--check", "-o", "nowhere/one.pdf"], tmp)
    check(r.returncode == 1 and b"nowhere" in r.stderr, "--check finds an output folder that does not exist", r.stderr)
    r = mk([mkl, "-", "--check"], tmp, b"---\nsubject: Hi\nsubjet: x\n---\n\nHello.\n")
    check(r.returncode == 1 and r.stderr.startswith(b"<stdin>:3:1:") and r.stdout == b"",
          "--check on stdin reports <stdin>:LINE:COL", r.stderr)
    # at most 100 problems, then it says it stopped
    write(tmp, "many.csv", csv_rows([(i, "", "T") for i in range(1, 151)]))
    r = mk([mkl, "m.md", "--merge", "many.csv", "-o", "out/{{id}}.pdf", "--check"], tmp)
    lines = r.stderr.decode().splitlines()
    check(r.returncode == 1 and len([ln for ln in lines if "is empty" in ln]) == 100 and "stopped after 100" in lines[-1],
          "--check stops after 100 problems and says so", lines[-2:])


def check_rows(mkl, tmp):
    write(tmp, "m.md", MERGE)
    write(tmp, "r.csv", csv_rows([(i, f"Name{i}", "T") for i in range(1, 6)]))
    for spec, names in [("2", [2]), ("2-3", [2, 3]), ("4-", [4, 5]), ("-2", [1, 2]), ("4-99", [4, 5])]:
        r = mk([mkl, "m.md", "--merge", "r.csv", "--rows", spec, "-o", "-"], tmp)
        text = pdftext(r.stdout) if r.returncode == 0 else ""
        got = [i for i in range(1, 6) if f"Dear Name{i}," in text]
        check(got == names, f"--rows {spec} renders rows {names}", got)
    for spec in ["1--2", "+2", " 2", "2-1", "0", "0-2", "a", "1-2x", "", "-", "1-+3", "2 ", "99999999999999", "-0", "3-0"]:
        r = mk([mkl, "m.md", "--merge", "r.csv", "--rows", spec, "-o", "-"], tmp)
        check(r.returncode == 2 and r.stdout == b"", f"--rows '{spec}' is a usage error (exit 2)", (r.returncode, r.stderr))
    for spec in ["9", "9-", "9-12"]:
        r = mk([mkl, "m.md", "--merge", "r.csv", "--rows", spec, "-o", "-"], tmp)
        check(r.returncode == 0 and b"nothing to do" in r.stderr and r.stdout == b"",
              f"--rows {spec} past the end: nothing to do, exit 0", (r.returncode, r.stderr))
    write(tmp, "empty.csv", "id,name,title\n")
    r = mk([mkl, "m.md", "--merge", "empty.csv", "-o", "-"], tmp)
    check(r.returncode == 0 and b"no data rows" in r.stderr and b"(null)" not in r.stderr,
          "a header-only CSV: nothing to do, said plainly", r.stderr)


def check_every_flag_documented(mkl, root):
    src = open(os.path.join(root, "cli", "mkletter.c"), encoding="utf-8").read()
    flags = sorted(set(re.findall(r'strcmp\(a, "(--?[a-z][a-z-]*)"\)', src)))
    check(len(flags) >= 10, "the flags are found in the command's source", flags)
    help_text = subprocess.run([mkl, "--help"], capture_output=True, text=True).stdout
    man = subprocess.run(["man", "-l", os.path.join(root, "man", "mkletter.1")], capture_output=True, text=True,
                         env=dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING="0")).stdout
    man = re.sub(r".\x08", "", man).replace("\u2010", "-").replace("\u2212", "-")
    comp = open(os.path.join(root, "completion", "mkletter.bash"), encoding="utf-8").read()
    for flag in flags:
        check(re.search(r"(^|[\s,\[])" + re.escape(flag) + r"\b", help_text, re.M) is not None, f"--help names {flag}")
        check(re.search(r"(^|[\s,\[])" + re.escape(flag) + r"\b", man, re.M) is not None, f"the man page names {flag}")
        check(re.search(r"(^|[\s'\"])" + re.escape(flag) + r"\b", comp, re.M) is not None,
              f"the bash completion offers {flag}")


def check_completion(root, tmp):
    """The bash completion offers the flags, CSV files after --merge, letters first."""
    comp = os.path.join(root, "completion", "mkletter.bash")
    for name in ["people.csv", "notes.txt", "letter.md", "old.pdf"]:
        open(os.path.join(tmp, name), "w").close()

    def complete(words):
        script = (f"source {comp!r}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); "
                  "_mkletter; printf '%s\\n' \"${COMPREPLY[@]}\"")
        r = subprocess.run(["bash", "-c", script], cwd=tmp, capture_output=True, text=True)
        return sorted(r.stdout.split())

    check(complete("mkletter --ch") == ["--check"], "completion: --ch gives --check", complete("mkletter --ch"))
    check(complete("mkletter letter.md --merge ''") == ["people.csv"], "completion: --merge offers CSV files",
          complete("mkletter letter.md --merge ''"))
    check("letter.md" in complete("mkletter ''") and "old.pdf" not in complete("mkletter ''"),
          "completion: the letter is a .md file", complete("mkletter ''"))
    check(complete("mkletter letter.md -o ''") == ["-", "old.pdf"], "completion: -o offers PDF files and -",
          complete("mkletter letter.md -o ''"))


def check_merged_date_style(mkl, tmp):
    """A merged copy keeps the letter's date-style: official (as a letter
    rendered alone does)."""
    letter = "---\ndate: 2020-02-21\ndate-style: official\nsubject: For {{name}}\n---\n\nDear {{name}}.\n"
    write(tmp, "ds.md", letter)
    write(tmp, "ds.csv", "name\nKim\n")
    alone = pdftext(mk([mkl, "ds.md", "-o", "-"], tmp, env=EPOCH).stdout)
    r = mk([mkl, "ds.md", "--merge", "ds.csv", "-o", "-"], tmp, env=EPOCH)
    merged = pdftext(r.stdout) if r.returncode == 0 else ""
    check("21 February 2020" in alone and "21 February 2020" in merged,
          "date-style: official holds in a merged copy as in the letter alone", (alone[:80], merged[:80], r.stderr))


def check_creation_date(mkl, tmp):
    """SOURCE_DATE_EPOCH sets the PDF's creation date, 0 (the epoch itself)
    included; without it the date is now."""
    path = write(tmp, "date.md", MINIMAL)
    for epoch, want in [("0", "1970-01-01T00:00:00"), ("1582243200", "2020-02-21T00:00:00")]:
        r = mk([mkl, path, "-o", "-"], tmp, env={"SOURCE_DATE_EPOCH": epoch, "TZ": "UTC"})
        info = subprocess.run(["pdfinfo", "-isodates", "-"], input=r.stdout, capture_output=True, env=dict(os.environ, TZ="UTC"))
        m = re.search(rb"CreationDate:\s+(\S+)", info.stdout)
        got = m.group(1).decode() if m else None
        check(r.returncode == 0 and got is not None and got.startswith(want),
              f"SOURCE_DATE_EPOCH={epoch}: the creation date is {want}", got)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    r = subprocess.run([mkl, path, "-o", "-"], cwd=tmp, capture_output=True, env=env)
    info = subprocess.run(["pdfinfo", "-isodates", "-"], input=r.stdout, capture_output=True)
    m = re.search(rb"CreationDate:\s+(\d{4})", info.stdout)
    check(m is not None and int(m.group(1)) >= 2026, "without SOURCE_DATE_EPOCH the creation date is now",
          info.stdout[-200:])


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_io.py MKLETTER REPO_ROOT")
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    for name, fn in [("stdio", lambda t: check_stdin_stdout(mkl, root, t)), ("errors", lambda t: check_stdin_errors(mkl, t)),
                     ("merge", lambda t: check_merge_stdout(mkl, t)), ("check", lambda t: check_check(mkl, t)),
                     ("rows", lambda t: check_rows(mkl, t)), ("date", lambda t: check_creation_date(mkl, t)),
                     ("date-style", lambda t: check_merged_date_style(mkl, t)), ("completion", lambda t: check_completion(root, t))]:
        with tempfile.TemporaryDirectory(prefix=f"mkletter-io-{name}-") as tmp:
            fn(tmp)
    check_every_flag_documented(mkl, root)
    finish()


if __name__ == "__main__":
    main()
