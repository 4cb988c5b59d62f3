#!/usr/bin/env python3
"""Safe with the user's files, the library's side (issue 12): only regular
files are read and a FIFO never blocks a run; only http, https, mailto and tel
links become link actions (read back from the PDF's annotations with qpdf);
messages show control characters escaped; a value from the CSV is checked like
the same value in a letter, with the row; font errors keep their position
under --merge, and a damaged font file is the error's file.

usage: test_safety.py MKLETTER REPO_ROOT"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

mkletter, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
QUICK = 10.0   # seconds: a blocked open would take forever; a refusal takes milliseconds


def run(wd, *args, env=None, timeout=60):
    e = dict(os.environ)
    e.update(env or {})
    try:
        r = subprocess.run([mkletter, *args], cwd=wd, capture_output=True, env=e, timeout=timeout)
        return r.returncode, r.stderr.decode("utf-8", "replace"), r.stderr
    except subprocess.TimeoutExpired:
        return "timeout", "", b""


def write(wd, name, content):
    with open(os.path.join(wd, name), "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)


def uris(pdf):
    """The URI of every link annotation, and every action type, from qpdf's uncompressed form."""
    out = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", pdf, "-"], capture_output=True).stdout
    text = out.decode("latin-1")
    # (/S also names a structure element's type in a tagged file: those are no actions)
    structure = {"Document", "Part", "Sect", "Div", "P", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl", "LBody",
                 "BlockQuote", "Link", "Figure", "Table", "TR", "TH", "TD", "Span"}
    return re.findall(r"/URI \((.*?)\)\s*$", text, re.M), set(re.findall(r"/S /(\w+)", text)) - structure


def check_links(wd):
    write(wd, "links.md", "---\nsubject: Links\n---\n\nSee [one](https://example.org/a?b=c#d), [two](HTTP://example.org),\n"
          "[mail](MAILTO:someone@example.org) and [call](tel:+82-2-123-4567).\n")
    rc, err, _ = run(wd, "links.md", "-o", "links.pdf")
    check(rc == 0, "allowed links: exit 0", err)
    found, actions = uris(os.path.join(wd, "links.pdf"))
    check(sorted(found) == sorted(["https://example.org/a?b=c#d", "HTTP://example.org", "MAILTO:someone@example.org",
                                   "tel:+82-2-123-4567"]), "allowed links: one URI action each, as written", found)
    check(actions == {"URI"}, "allowed links: no other action (JavaScript, Launch, GoToR)", actions)
    bad = {"javascript:alert(1)": 5, "JAVASCRIPT:alert(1)": 5, "file:///etc/passwd": 5, "data:text/html,x": 5,
           "vbscript:x": 5, "../other.pdf": 5, "<java\tscript:alert(1)>": 5, "<\x01javascript:alert(1)>": 5,
           "<https://example.org/a b>": 5, "<mailto:a@example.org\x7f>": 5}
    for url, line in bad.items():
        write(wd, "bad-link.md", f"---\nsubject: Links\n---\n\nSee [this]({url}) now.\n")
        rc, err, _ = run(wd, "bad-link.md", "-o", "bad-link.pdf")
        check(rc == 1, f"link {url!r}: exit 1", f"{rc}: {err}")
        check(err.startswith(f"bad-link.md:{line}:5: link '"), f"link {url!r}: error at the link", err)
        check("only http:, https:, mailto: and tel: links are allowed" in err, f"link {url!r}: says which", err)
        check(not os.path.exists(os.path.join(wd, "bad-link.pdf")), f"link {url!r}: no PDF")


def check_merge_values(wd):
    """A value from the CSV gets the check the same value gets in the letter."""
    write(wd, "m.md", "---\nsubject: Hello {{name}}\ndate: \"{{date}}\"\n---\n\nOur [site]({{url}}).\n")
    os.mkdir(os.path.join(wd, "out"))
    write(wd, "good.csv", "name,date,url\nAnn,2020-02-21,https://example.org/ann\nBo,written as such,mailto:bo@example.org\n")
    rc, err, _ = run(wd, "m.md", "--merge", "good.csv", "-o", "out/{{name}}.pdf")
    check(rc == 0, "merge of good values: exit 0", err)
    if rc == 0:
        found, _ = uris(os.path.join(wd, "out", "Ann.pdf"))
        check(found == ["https://example.org/ann"], "a link from the CSV is a link action", found)
        txt = subprocess.run(["pdftotext", os.path.join(wd, "out", "Ann.pdf"), "-"], capture_output=True, text=True).stdout
        check("February 21, 2020" in txt, "an ISO date from the CSV is formatted", txt[:200])
    for name in os.listdir(os.path.join(wd, "out")):
        os.remove(os.path.join(wd, "out", name))
    cases = [("bad-date.csv", "name,date,url\nAnn,2020-02-21,https://a.org\nBo,2020-02-30,https://b.org\n",
              r"m.md:3:8: row \d+ \(bad-date.csv line 3\): 'date' looks like an ISO date but '2020-02-30' is not a valid date"),
             ("bad-url.csv", "name,date,url\nAnn,2020-02-21,https://a.org\nBo,2020-02-21,javascript:alert(1)\n",
              r"m.md:6:5: row \d+ \(bad-url.csv line 3\): link 'javascript:alert\(1\)': only http:"),
             ("rel-url.csv", "name,date,url\nAnn,2020-02-21,file:///etc/passwd\n",
              r"m.md:6:5: row \d+ \(rel-url.csv line 2\): link 'file:///etc/passwd'")]
    for csv, data, want in cases:
        write(wd, csv, data)
        rc, err, _ = run(wd, "m.md", "--merge", csv, "-o", "out/{{name}}.pdf")
        check(rc == 1, f"{csv}: exit 1", f"{rc}: {err}")
        # the row's number is the command's to choose; its CSV line and the letter's position are fixed
        check(re.match(want, err) is not None, f"{csv}: the row, its CSV line and the letter's position", err)
        check(os.listdir(os.path.join(wd, "out")) == [], f"{csv}: nothing written", os.listdir(os.path.join(wd, "out")))


def check_not_regular(wd):
    os.mkfifo(os.path.join(wd, "pipe.png"))
    write(wd, "sig.md", "---\nsubject: Hi\nsignatures: [{name: A B, image: pipe.png}]\n---\n\nHello.\n")
    rc, err, _ = run(wd, "sig.md", "-o", "sig.pdf", timeout=QUICK)
    check(rc == 1, "a FIFO as an image: exit 1 at once (not blocked)", f"{rc}: {err}")
    check(err.startswith("sig.md:3:33: image 'pipe.png': cannot read: a FIFO"), "a FIFO as an image: named", err)
    write(wd, "zero.md", "---\nsubject: Hi\nsignatures: [{name: A B, image: /dev/zero}]\n---\n\nHello.\n")
    rc, err, _ = run(wd, "zero.md", "-o", "zero.pdf", timeout=QUICK)
    check(rc == 1 and "cannot read: a character device" in err, "/dev/zero as an image: refused, not read", f"{rc}: {err}")
    os.mkfifo(os.path.join(wd, "pipe.md"))
    rc, err, _ = run(wd, "pipe.md", "-o", "pipe.pdf", timeout=QUICK)
    check(rc == 1 and err.startswith("pipe.md: cannot read: a FIFO"), "a FIFO as the letter: refused at once", f"{rc}: {err}")
    os.mkfifo(os.path.join(wd, "pipe.csv"))
    write(wd, "hi.md", "---\nsubject: Hi {{x}}\n---\n\nHello.\n")
    rc, err, _ = run(wd, "hi.md", "--merge", "pipe.csv", "-o", "x-{{x}}.pdf", timeout=QUICK)
    check(rc == 1 and "pipe.csv: cannot read: a FIFO" in err, "a FIFO as the CSV: refused at once", f"{rc}: {err}")
    # a font folder holding a FIFO, a folder and a device link named like fonts: skipped
    fdir = os.path.join(wd, "fonts")
    os.mkdir(fdir)
    os.mkfifo(os.path.join(fdir, "Pipe.ttf"))
    os.mkdir(os.path.join(fdir, "Folder.ttf"))
    os.symlink("/dev/zero", os.path.join(fdir, "Zero.ttf"))
    write(wd, "plain.md", "---\nsubject: Hi\n---\n\nHello.\n")
    rc, err, _ = run(wd, "plain.md", "-o", "plain.pdf", env={"MKLETTER_FONT_DIR": fdir}, timeout=QUICK)
    check(rc == 0, "a FIFO, a folder and a device named *.ttf in the font folder: skipped", f"{rc}: {err}")


def check_fonts(wd):
    fdir = os.path.join(wd, "damaged")
    os.mkdir(fdir)
    with open(os.path.join(root, "fonts", "LiberationSerif-Regular.ttf"), "rb") as f:
        font = bytearray(f.read())
    for t in range((font[4] << 8) | font[5]):
        rec = 12 + 16 * t
        if font[rec:rec + 4] == b"glyf":
            font[rec + 12] = 0x7F   # the table now reaches past the end of the file
    write(fdir, "Damaged.ttf", bytes(font))
    write(wd, "df.md", "---\nsubject: Hi\nfonts: {body: [Liberation Serif]}\n---\n\nHello.\n")
    rc, err, _ = run(wd, "df.md", "-o", "df.pdf", env={"MKLETTER_FONT_DIR": fdir})
    check(rc == 1, "a damaged font: exit 1", f"{rc}: {err}")
    check(err.startswith(os.path.join(fdir, "Damaged.ttf") + ": the font file is damaged"),
          "a damaged font: reported against the font file", err)
    check("named at df.md:3:16" in err, "a damaged font: says where the letter names the family", err)
    write(wd, "fm.md", '---\nsubject: Hi {{name}}\nfonts: {body: ["Liberation Serif", "No Such Family 4711"]}\n---\n\nHello.\n')
    write(wd, "fm.csv", "name\nAnn\n")
    rc, err, _ = run(wd, "fm.md", "--merge", "fm.csv", "-o", "fm-{{name}}.pdf")
    check(rc == 1 and err.startswith("fm.md:3:36: ") and "No Such Family 4711" in err,
          "an unknown font family under --merge: its line and column", f"{rc}: {err}")


def check_escaped(wd):
    name = "bad\x1b[31m\x07.md"
    write(wd, name, "---\nsubjet: x\n---\n\nHello.\n")
    rc, err, raw = run(wd, name, "-o", "esc.pdf")
    check(rc == 1, "a file name with ESC: exit 1", err)
    check(b"\x1b" not in raw and b"\x07" not in raw, "no control character reaches the terminal", raw)
    check(err.startswith("bad\\x1b[31m\\x07.md:2:1: unknown key 'subjet'"), "the file name is shown escaped", err)
    write(wd, "esc2.md", "---\nplace: x\nlang: \"ko\\e[2J\\u202e\"\n---\n\nHello.\n")
    rc, err, raw = run(wd, "esc2.md", "-o", "esc.pdf")
    check(rc == 1 and b"\x1b" not in raw and "\\x1b[2J\\u202e" in err, "a value's ESC and U+202E are shown escaped", err)


def check_line_ends(wd):
    """CR-only line ends (classic Mac OS) are line ends, not 'must start with ---'."""
    write(wd, "cr.md", "---\rsubject: Old Mac\r---\r\rHello from a CR file.\r")
    rc, err, _ = run(wd, "cr.md", "-o", "cr.pdf")
    check(rc == 0, "CR-only line ends: exit 0", err)
    if rc == 0:
        txt = subprocess.run(["pdftotext", os.path.join(wd, "cr.pdf"), "-"], capture_output=True, text=True).stdout
        check("Old Mac" in txt and "Hello from a CR file." in txt, "CR-only line ends: the text is set", txt[:200])
    write(wd, "cr-bad.md", "---\rsubject: Old Mac\rsubjet: x\r---\r\rHello.\r")
    rc, err, _ = run(wd, "cr-bad.md", "-o", "cr.pdf")
    check(rc == 1 and err.startswith("cr-bad.md:3:1: unknown key 'subjet'"), "CR-only line ends: positions count them", err)


def check_empty_names(wd):
    """An empty file name says which file it is, not a bare error."""
    rc, err, _ = run(wd, "")
    # the command may refuse it itself (a usage error); either way the message says what is empty
    check(rc in (1, 2) and "file name is empty" in err and "letter" in err, "mkletter '': names the letter", f"{rc}: {err}")
    write(wd, "e.md", "---\nsubject: Hi {{x}}\n---\n\nHello.\n")
    rc, err, _ = run(wd, "e.md", "--merge", "", "-o", "e-{{x}}.pdf")
    check(rc in (1, 2) and "file name is empty" in err and ("data" in err or "merge" in err),
          "--merge '': names the data file", f"{rc}: {err}")


def main():
    with tempfile.TemporaryDirectory() as wd:
        check_links(wd)
        check_merge_values(wd)
        check_not_regular(wd)
        check_fonts(wd)
        check_escaped(wd)
        check_line_ends(wd)
        check_empty_names(wd)
    finish()


main()
