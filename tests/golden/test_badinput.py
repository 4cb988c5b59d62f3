#!/usr/bin/env python3
"""Bad input never crashes the command and never costs a good file.

usage: test_badinput.py MKLETTER REPO_ROOT

Every bad letter of the issue "Never crash, never lose a good file" (YAML
syntax, unclosed front matter, unknown key, wrong type, out-of-range values,
invalid UTF-8, unknown font family, a character no font covers, hostile
nesting, and the size limits) is rendered twice, once over an existing -o file
and once over an existing default output (LETTER.pdf). Each run must exit 1
with "FILE:LINE:COL: message" naming the problem, quickly, leave the existing
file byte-identical and leave no other file behind. Usage errors must exit 2,
an output that cannot be written 3, with the same guarantees.
docs/errors.md lists what each case prints.

Prints one line per failed check (and "info:" lines) and ends with
"N passed, N failed"; exits 0 only if nothing failed. Standard library only.
"""
import os
import re
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import checks  # noqa: E402
from checks import check, finish  # noqa: E402

MINIMAL = "---\nsubject: Hi\n---\n\nHello.\n"
JUNK = b"%PDF-1.4 a good file from yesterday \x00\xff\n"
SLOW = 20.0   # seconds: far more than any refusal takes, even with sanitizers


NO_SYSTEM_FONTS = {"FONTCONFIG_FILE": os.path.join(os.path.dirname(os.path.abspath(__file__)), "nofonts.conf")}


class Bad:
    """A letter that must be refused: exit 1 and NAME:LINE:COL: message.
    line/cols: the expected position (None: any); words: the message must
    contain each of them (case-insensitive)."""

    def __init__(self, name, content, line, cols, words, env=None):
        self.name, self.env = name + ".md", env
        self.content = content.encode() if isinstance(content, str) else content
        self.line, self.cols, self.words = line, cols, words


def deep_block(levels):
    lines = ["---", "signatories:"]
    lines += [" " * (2 * i) + "- k:" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n---\n\nHello.\n"


def laughs():
    out = '---\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, c in zip("abcdefgh", "bcdefghi"):
        out += f"{c}: &{c} [{','.join('*' + prev for _ in range(9))}]\n"
    return out + "---\n\nHello.\n"


def big_file():
    """A letter of 64 MiB + 1 byte, in short lines."""
    head = b"---\nsubject: Big\n---\n\n"
    para = (b"word " * 15 + b"\n") * 40 + b"\n"
    size = 64 * 1024 * 1024 + 1
    body = para * ((size - len(head)) // len(para) + 1)
    return (head + body)[:size]


BAD = [
    # syntax
    Bad("yaml-quote", '---\nsubject: Hi\nto: "unterminated\n---\n\nHello.\n', 3, {5},
        ["YAML", "quoted scalar"]),
    Bad("yaml-flow", "---\nsubject: Hi\ncc: [a, b\n---\n\nHello.\n", None, None, ["YAML"]),
    Bad("yaml-indent", "---\nsubject: Hi\n  to: x\n---\n\nHello.\n", None, None, ["YAML"]),
    Bad("unclosed", "---\nsubject: Hi\n\nHello.\n", 1, {1}, ["never closed"]),
    Bad("no-front-matter", "Hello.\n", 1, {1}, ["'---'"]),
    # keys and types
    Bad("unknown-key", "---\nsubject: Hi\nsubjet: x\n---\n\nHello.\n", 3, {1}, ["unknown key 'subjet'"]),
    Bad("unknown-nested-key", "---\nsignatories:\n  - entries: [{name: a, nott: b}]\n---\n\nHello.\n", 3, {25},
        ["unknown key 'nott'"]),
    Bad("twice", "---\nsubject: a\nsubject: b\n---\n\nHello.\n", 3, {1}, ["given twice"]),
    Bad("list-for-string", "---\nsubject: [a, b]\n---\n\nHello.\n", 2, {10}, ["'subject' must be a string"]),
    Bad("string-for-list", "---\nsignatories: everyone\n---\n\nHello.\n", 2, {14}, ["'signatories' must be a list"]),
    Bad("mapping-for-lines", "---\nto: {a: b}\n---\n\nHello.\n", 2, {5}, ["'to' must be"]),
    Bad("not-a-mapping", "---\n- a\n- b\n---\n\nHello.\n", 2, {1}, ["must be a mapping"]),
    Bad("missing-name", "---\nsignatures: [{title: x}]\n---\n\nHello.\n", 2, {14}, ["needs a 'name'"]),
    # values out of range
    Bad("columns-zero", "---\nsignatories:\n  - heading: Orgs\n    columns: 0\n    entries: [A]\n---\n\nHello.\n",
        4, {14}, ["'columns' must be a whole number from 1 to 4"]),
    Bad("columns-five", "---\nsignatories:\n  - columns: 5\n    entries: [A]\n---\n\nHello.\n", 3, {14},
        ["'columns'"]),
    Bad("font-size", "---\nfonts: {size: 99pt}\n---\n\nHello.\n", 2, {15}, ["'size' must be"]),
    Bad("paper", "---\npaper: a5\n---\n\nHello.\n", 2, {8}, ["'paper' must be"]),
    Bad("lang", "---\nlang: fr\n---\n\nHello.\n", 2, {7}, ["'lang' must be"]),
    Bad("date", "---\ndate: 2020-02-30\n---\n\nHello.\n", 2, {7}, ["not a valid date"]),
    Bad("div-lang", "---\n---\n\n<div lang=\"fr\">\n\nx\n\n</div>\n", 4, {1}, ["only 'en' and 'ko'"]),
    # encoding
    Bad("bad-utf8-body", b"---\nsubject: Hi\n---\n\nHell\xffo.\n", 5, {5}, ["invalid UTF-8", "0xFF"]),
    Bad("bad-utf8-front", b"---\nsubject: Caf\xc3\n---\n\nHello.\n", 2, {13}, ["invalid UTF-8"]),
    Bad("overlong-utf8", b"---\nsubject: \xc0\xafx\n---\n\nHello.\n", 2, {10}, ["invalid UTF-8"]),
    Bad("nul-byte", b"---\nsubject: Hi\n---\n\nHel\x00lo.\n", 5, {4}, ["NUL"]),
    # columns count characters, not bytes: after Hangul (3 bytes each) and an emoji (4)
    Bad("bad-utf8-after-hangul", "---\nsubject: Hi\n---\n\n\ub300\ud55c \xff x\n".encode("utf-8").replace(b"\xc3\xbf", b"\xff"),
        5, {4}, ["invalid UTF-8", "0xFF"]),
    Bad("last-surrogate", b"---\nsubject: Hi\n---\n\nab \xed\xbf\xbf x\n", 5, {4}, ["invalid UTF-8", "0xED"]),
    Bad("first-surrogate", b"---\nsubject: Hi\n---\n\nab \xed\xa0\x80 x\n", 5, {4}, ["invalid UTF-8", "0xED"]),
    Bad("nul-after-hangul", "---\nsubject: Hi\n---\n\n\ub300\ud55c \0 x\n", 5, {4}, ["NUL"]),
    Bad("key-after-hangul", "---\nsignatories:\n  - entries: [{name: \ub300\ud55c\ubbfc\uad6d, nott: b}]\n---\n\nHello.\n",
        3, {28}, ["unknown key 'nott'"]),
    # (Khitan small script: four UTF-8 bytes, and no font of scripts/deps has it; an emoji
    # is found by fallback in DejaVu Sans)
    Bad("uncovered-after-hangul", "---\nsubject: Hi\n---\n\n\ub300\ud55c \U00018B00 \ub300\n", 5, {4}, ["U+18B00"]),
    # the message quotes the character itself, U+0800 (the first of three bytes) as well
    # (Noto Sans Samaritan has U+0800: Fontconfig is given no fonts for this one)
    Bad("uncovered-u0800", "---\nsubject: Hi\n---\n\nab \u0800 x\n", 5, {4}, ["U+0800 '\u0800'", "Samaritan script, e.g. the Debian package fonts-noto-core"], env=NO_SYSTEM_FONTS),
    Bad("uncovered-after-astral", "---\nsubject: Hi\n---\n\n\ub300 \U00018B00 \U00018B01\n", 5, {3}, ["U+18B00"]),
    # fonts
    Bad("unknown-font", '---\nsubject: Hi\nfonts: {body: ["No Such Family 123"]}\n---\n\nHello.\n', 3, None,
        ["No Such Family 123", "not found"]),
    Bad("uncovered-char", "---\nsubject: Hi\n---\n\nKhitan1 \U00018B00 here.\n", 5, {9}, ["U+18B00"]),
    # blocks that cannot be placed (they used to run off the page unseen)
    Bad("window-to-7-lines", "---\nlayout: din5008a\nto: |\n" + "".join(f"  Line {i}\n" for i in range(1, 8))
        + "---\n\nHello.\n", 4, {3}, ["'to' is 7 lines long", "the address window, which holds 6 lines"]),
    Bad("to-longer-than-page", "---\nto: |\n" + "".join(f"  Line {i}\n" for i in range(1, 80))
        + "---\n\nHello.\n", 3, {3}, ["'to' is 79 lines long", "on the first page"]),
    Bad("from-longer-than-page", "---\nto: A\nfrom: [" + ", ".join(f"Line {i}" for i in range(1, 90))
        + "]\n---\n\nHello.\n", 3, {8}, ["'from' is 89 lines long", "on the first page"]),
    Bad("cc-block-longer-than-page", "---\ncc:\n  - |\n" + "".join(f"    Line {i}\n" for i in range(1, 90))
        + "---\n\nHello.\n", 4, {5}, ["'cc' is 89 lines long", "on a page"]),
    # links: only http, https, mailto and tel become link actions (a PDF viewer runs or opens the others)
    Bad("link-javascript", "---\nsubject: Hi\n---\n\nSee [this](javascript:alert(1)) now.\n", 5, {5},
        ["link 'javascript:alert(1)'", "only http:, https:, mailto: and tel:"]),
    Bad("link-javascript-case", "---\n---\n\n- An item [x](JaVaScRiPt:alert(1))\n", 4, {11}, ["JaVaScRiPt:"]),
    Bad("link-file-spaces", "---\n---\n\n> Quote \u00e9 [x](< file:///etc/passwd>)\n", 4, {11},
        ["link 'file:///etc/passwd'"]),
    Bad("link-control-char", "---\n---\n\nA [x](<java\tscript:alert(1)>)\n", 4, {3}, ["link 'java\\x09script"]),
    Bad("link-data", "---\n---\n\nA [x](data:text/html;base64,PHNjcmlwdD4=)\n", 4, {3}, ["link 'data:"]),
    Bad("link-relative", "---\n---\n\nA [x](../secret.pdf)\n", 4, {3}, ["link '../secret.pdf'", "no relative links"]),
    Bad("span-lang", "---\n---\n\nHello <span lang=\"fr\">monde</span>.\n", 4, {7},
        ["lang=\"fr\": only 'en' and 'ko' are supported"]),
    Bad("span-lang-placeholder", "---\n---\n\nHello <span lang=\"{{x}}\">monde</span>.\n", 4, {7},
        ["a language cannot come from the data"]),
    # control characters are shown escaped, never sent to the terminal
    Bad("escape-in-message", "---\nlang: \"fr\\e]0;pwned\\a\"\n---\n\nHello.\n", 2, {7},
        ["'fr\\x1b]0;pwned\\x07'"]),
    # hostile input: refused quickly, before the parsers are slow or use much memory
    Bad("flow-nesting", "---\nto: " + "[" * 200000 + "\n---\n\nHello.\n", 2, {69}, ["more than 64 deep"]),
    Bad("mixed-nesting", "---\nfrom: " + "{a: [" * 50000 + "\n---\n\nHello.\n", 2, None, ["more than 64 deep"]),
    Bad("block-nesting", deep_block(200), 65, None, ["more than 64 levels deep"]),
    Bad("billion-laughs", laughs(), 2, {1}, ["unknown key 'a'"]),
    Bad("alias-bomb", "---\nsignatories:\n  - &g {entries: [&e lol" + ", *e" * 900 + "]}\n" + "  - *g\n" * 99
        + "---\n\nHello.\n", None, None, ["more than 50000 strings"]),
    Bad("string-bomb", '---\nsubject: &s "' + "lol " * 250000 + '"\nenclosures: [*s' + ", *s" * 999
        + "]\n---\n\nHello.\n", 2, {10}, ["aliases"]),
    Bad("too-many-anchors", "---\nto:\n" + "".join(f"  - &a{i} x\n" for i in range(101)) + "---\n\nHello.\n",
        103, {5}, ["more than 100 anchors"]),
    Bad("long-line", "---\nsubject: Hi\n---\n\n" + "lol " * (2 * 1024 * 1024 // 4) + "\n", 5, {1},
        ["line 5 is 2097152 bytes long", "1 MiB"]),
    Bad("big-file", big_file(), 1, {1}, ["67108865 bytes", "64 MiB"]),
    Bad("long-value", "---\nto: |\n" + "  an address line that is not short at all, repeated\n" * 45000
        + "---\n\nHello.\n", 2, {5}, ["'to' is", "2 MiB"]),
    Bad("long-paragraph", "---\n---\n\n" + "a line of a paragraph that goes on and on and on\n" * 45000, 4, {1},
        ["paragraph may be at most 2 MiB"]),
    Bad("deep-emphasis", "---\n---\n\n" + "*a **a " * 65000 + "b" + " a** a*" * 65000 + "\n", 4, {1},
        ["nested more than 32 deep"]),
    Bad("image-brackets", "---\n---\n\n" + "![[]()" * 100000 + "\n", 4, {1}, ["image openers"]),
    Bad("body-nesting", "---\n---\n" + ">" * 40 + " deep\n", 3, None, ["more than 32 deep"]),
]


class Workdir(checks.Workdir):
    """The temp dir, listed recursively (nothing may be left in sub-folders either)."""

    def listing(self):
        out = set()
        for dirpath, dirnames, filenames in os.walk(self.path):
            rel = os.path.relpath(dirpath, self.path)
            out.update(os.path.normpath(os.path.join(rel, n)) for n in dirnames + filenames)
        return out

    def run(self, *args, env=None):
        t0 = time.monotonic()
        try:
            r = subprocess.run([self.mkletter, *args], cwd=self.path, capture_output=True, timeout=300,
                               env=dict(os.environ, **env) if env else None)
        except (OSError, subprocess.TimeoutExpired) as e:
            r = subprocess.CompletedProcess(args, 127, b"", str(e).encode())
        r.seconds = time.monotonic() - t0
        r.err = r.stderr.decode("utf-8", errors="replace").strip()
        return r


def expect_unchanged(wd, before, keep, what):
    """The existing output is byte-identical and no file appeared or went away."""
    check(wd.read(keep) == JUNK, f"{what}: existing {keep} stays byte-identical")
    after = wd.listing()
    check(after == before, f"{what}: no stray files",
          f"new: {sorted(after - before)}, gone: {sorted(before - after)}")


def check_bad(wd, bad):
    wd.write(bad.name, bad.content)
    default_out = bad.name[:-3] + ".pdf"
    for mode, args, keep in (("-o", [bad.name, "-o", "out.pdf"], "out.pdf"),
                             ("default output", [bad.name], default_out)):
        what = f"{bad.name} ({mode})"
        wd.write(keep, JUNK)
        before = wd.listing()
        r = wd.run(*args, env=bad.env)
        check(r.returncode == 1, f"{what}: exit 1", f"exit {r.returncode}; stderr: {r.err[:300]!r}")
        m = re.match(re.escape(bad.name) + r":(\d+):(\d+): (\S.*)", r.err)
        if check(m is not None, f"{what}: message is FILE:LINE:COL: message", repr(r.err[:300])):
            line, col, message = int(m.group(1)), int(m.group(2)), m.group(3)
            check(line >= 1 and col >= 1, f"{what}: position is positive", f"{line}:{col}")
            if bad.line is not None:
                check(line == bad.line, f"{what}: line", f"got {line}, expected {bad.line}: {r.err[:200]!r}")
            if bad.cols is not None:
                check(col in bad.cols, f"{what}: column", f"got {col}, expected {sorted(bad.cols)}: {r.err[:200]!r}")
            for w in bad.words:
                check(w.lower() in message.lower(), f"{what}: message says '{w}'", repr(message[:300]))
        check(r.err.count("\n") == 0, f"{what}: one line on stderr", repr(r.err[:300]))
        check(r.seconds < SLOW, f"{what}: refused in under {SLOW:.0f} s", f"{r.seconds:.1f} s")
        expect_unchanged(wd, before, keep, what)
        if mode == "-o":
            print(f"info: {bad.name:24s} {r.seconds:6.2f} s  {r.err[:110]}")
        os.remove(wd.file(keep))
    os.remove(wd.file(bad.name))


def check_unreadable(wd):
    """Inputs that cannot be read at all: exit 1, the file named, nothing written."""
    os.mkdir(wd.file("a-folder.md"))
    for name in ("missing.md", "a-folder.md"):
        wd.write("out.pdf", JUNK)
        before = wd.listing()
        r = wd.run(name, "-o", "out.pdf")
        check(r.returncode == 1, f"{name}: exit 1", f"exit {r.returncode}; {r.err!r}")
        check(r.err.startswith(name + ":"), f"{name}: message starts with the file name", repr(r.err))
        expect_unchanged(wd, before, "out.pdf", name)
    os.rmdir(wd.file("a-folder.md"))
    os.remove(wd.file("out.pdf"))


def check_usage(wd):
    letter = wd.write("u.md", MINIMAL)
    wd.write("u.pdf", JUNK)
    cases = [
        ("no arguments", []),
        ("unknown option", [letter, "--no-such-option"]),
        ("two letters", [letter, letter]),
        ("-o without a name", [letter, "-o"]),
        ("empty output name", [letter, "-o", ""]),
        ("output is the letter", [letter, "-o", letter]),
        ("--rows without --merge", [letter, "--rows", "1-2"]),
    ]
    for what, args in cases:
        before = wd.listing()
        r = wd.run(*args)
        check(r.returncode == 2, f"usage: {what}: exit 2", f"exit {r.returncode}; {r.err[:200]!r}")
        check(r.err != "", f"usage: {what}: says why")
        expect_unchanged(wd, before, "u.pdf", f"usage: {what}")
        check(wd.read(letter) == MINIMAL.encode(), f"usage: {what}: the letter is untouched")


def check_unwritable(wd):
    letter = wd.write("w.md", MINIMAL)
    wd.write("w.pdf", JUNK)
    wd.write("plain-file", JUNK)
    os.mkdir(wd.file("is-a-dir.pdf"))
    for what, out in (("missing folder", "no-such-folder/x.pdf"),
                      ("a folder", "is-a-dir.pdf"),
                      ("below a file", "plain-file/x.pdf")):
        before = wd.listing()
        r = wd.run(letter, "-o", out)
        check(r.returncode == 3, f"unwritable output ({what}): exit 3", f"exit {r.returncode}; {r.err!r}")
        check(out in r.err and "cannot write" in r.err, f"unwritable output ({what}): message names the output",
              repr(r.err))
        expect_unchanged(wd, before, "w.pdf", f"unwritable output ({what})")
        check(wd.read("plain-file") == JUNK, f"unwritable output ({what}): other files untouched")
    os.rmdir(wd.file("is-a-dir.pdf"))


def check_merge_columns(wd):
    """A placeholder's error column, after Hangul, in characters."""
    wd.write("m.csv", b"id,name\n1,A\n")
    for what, letter, col, words in (
            ("unknown field", "---\nsubject: \ub300\ud55c\ubbfc\uad6d {{nosuch}}\n---\n\nHello.\n", 15, "unknown field 'nosuch'"),
            ("unclosed '{{'", "---\nsubject: \ub300\ud55c\ubbfc\uad6d {{id}\n---\n\nHello.\n", 15, "unclosed '{{'"),
            ("unknown field, 2nd placeholder", "---\nsubject: \ub300\ud55c {{id}} \ubbfc {{nosuch}}\n---\n\nHello.\n",
             22, "unknown field 'nosuch'")):
        wd.write("m.md", letter.encode("utf-8"))
        r = wd.run("m.md", "--merge", "m.csv", "-o", "m.pdf")
        m = re.match(r"m\.md:(\d+):(\d+): ", r.err)
        check(r.returncode == 1 and m is not None and (int(m.group(1)), int(m.group(2))) == (2, col) and words in r.err,
              f"merge, {what} after Hangul: m.md:2:{col}:, in characters", (r.returncode, r.err[:200]))


def check_good_still_works(wd):
    """After all that, a good letter replaces an existing file (the atomic rename)."""
    letter = wd.write("good.md", MINIMAL)
    wd.write("good.pdf", JUNK)
    before = wd.listing()
    r = wd.run(letter)
    check(r.returncode == 0, "good letter: exit 0", r.err)
    check(wd.read("good.pdf").startswith(b"%PDF-") and wd.read("good.pdf") != JUNK, "good letter: PDF replaced")
    check(wd.listing() == before, "good letter: no stray files", str(sorted(wd.listing() ^ before)))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_badinput.py MKLETTER REPO_ROOT")
    mkletter = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="mkletter-badinput-") as tmp:
        wd = Workdir(tmp, mkletter)
        for bad in BAD:
            check_bad(wd, bad)
        check_unreadable(wd)
        check_usage(wd)
        check_unwritable(wd)
        check_merge_columns(wd)
        check_good_still_works(wd)
    finish()


if __name__ == "__main__":
    main()
