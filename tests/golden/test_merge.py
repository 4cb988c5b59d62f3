#!/usr/bin/env python3
"""Mail merge and signed copies (--merge): one PDF per row, or one combined
(--duplex) print file; every row checked before anything is written; images
decoded by mkletter itself, a corrupt one an error naming it.

usage: test_merge.py MKLETTER REPO_ROOT"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, failures, finish  # noqa: E402

mkletter, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
COPIES = int(os.environ.get("MKL_TEST_COPIES", "1000"))



def run(*args, **kw):
    return subprocess.run([mkletter, *args], capture_output=True, text=True, **kw)


def png(path, w, h, pixel):
    """An 8-bit RGBA PNG."""
    raw = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(w)) for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def pages(pdf):
    return int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout).group(1))


def text(pdf, first=None, last=None):
    args = ["pdftotext"] + (["-f", str(first), "-l", str(last)] if first else []) + [pdf, "-"]
    return subprocess.run(args, capture_output=True, text=True).stdout


with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    png("sig.png", 300, 90, lambda x, y: (20, 30, 120, 255 if abs(y - 45 - 20 * ((x // 30) % 2 * 2 - 1) * (x % 30) / 30) < 3 else 0))
    seed = open(os.path.join(root, "examples", "open-letter.md"), encoding="utf-8").read()
    letter = (seed.replace("to: |\n  Moon Jae-in\n  President of the Republic of Korea\n",
                           "to: |\n  {{name}}\n  {{title?}}\n  {{org}}\n")
                  .replace("opening: President Moon Jae-in,", "opening: Dear {{name}},")
                  .replace("closing: Sincerely,", "closing: Sincerely,\nsignatures:\n"
                           "  - {name: Hubert Younghwan Lee, title: Executive Director, image: sig.png}"))
    with open("letter.md", "w", encoding="utf-8") as f:
        f.write(letter)
    with open("data.csv", "w", encoding="utf-8") as f:
        f.write("id,name,title,org\n")
        for i in range(1, COPIES + 1):
            f.write(f'{i},"Recipient {i:04d}",{"Minister" if i % 3 else ""},"Ministry of Affairs, Office {i}"\n')

    # one file per row
    os.mkdir("out")
    r = run("letter.md", "--merge", "data.csv", "-o", "out/{{id}}.pdf", "--quiet")
    check(r.returncode == 0, "per-file merge runs", r.stderr[-500:])
    files = sorted(os.listdir("out"))
    check(len(files) == COPIES, f"{COPIES} files", len(files))
    check(r.stderr == "", "--quiet prints nothing", r.stderr[:200])
    for i in (1, 2, COPIES // 2, COPIES):
        t = text(f"out/{i}.pdf", 1, 1)
        check(f"Recipient {i:04d}" in t and f"Office {i}" in t and f"Dear Recipient {i:04d}," in t,
              f"copy {i} has its own name and address", t[:300])
    t2 = text("out/3.pdf", 1, 1).splitlines()
    at = t2.index("Recipient 0003") if "Recipient 0003" in t2 else -1
    check(at >= 0 and t2[at + 1] == "Ministry of Affairs, Office 3", "an empty {{title?}} line is dropped", t2[at:at + 3])
    # dropped, not left blank: the office line moves up to where the title is in copy 1
    def ys(pdf, first_words):
        out = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", pdf, "-"], capture_output=True, text=True).stdout
        got = {}
        for m in re.finditer(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', out):
            got.setdefault(m.group(2), float(m.group(1)))
        return [got.get(w) for w in first_words]
    name1, title1 = ys("out/1.pdf", ["Recipient", "Minister"])
    name3, office3 = ys("out/3.pdf", ["Recipient", "Ministry"])
    check(None not in (name1, title1, name3, office3) and abs((office3 - name3) - (title1 - name1)) < 0.5,
          "the line after a dropped {{title?}} takes its place", (name1, title1, name3, office3))
    check("Executive Director" in text("out/1.pdf"), "the signature's title is in the copy", text("out/1.pdf")[-300:])
    imgs = subprocess.run(["pdfimages", "-list", "out/1.pdf"], capture_output=True, text=True).stdout
    check(" smask " in imgs and " image " in imgs, "the signature is embedded with its transparency", imgs)

    # one combined file, duplex
    r = run("letter.md", "--merge", "data.csv", "-o", "all.pdf", "--duplex", "--quiet")
    check(r.returncode == 0, "combined --duplex merge runs", r.stderr[-500:])
    single = pages("out/1.pdf")
    per_copy = single + single % 2
    check(pages("all.pdf") == COPIES * per_copy, "every copy starts on a front side (even pages per copy)",
          f"{pages('all.pdf')} pages for {COPIES} copies of {single}")
    fonts = subprocess.run(["pdffonts", "all.pdf"], capture_output=True, text=True).stdout.splitlines()[2:]
    names = [f.split()[0].split("+")[-1] for f in fonts]
    check(len(names) == len(set(names)) and len(names) > 0, "each font embedded once in the combined file", names)
    imgs = subprocess.run(["pdfimages", "-list", "all.pdf"], capture_output=True, text=True).stdout.splitlines()[2:]
    ids = {l.split()[10] for l in imgs}
    check(len(imgs) == 2 * COPIES and len(ids) <= 2, "the signature image (and its mask) stored once, drawn in every copy",
          f"{len(imgs)} drawings of {len(ids)} objects")
    info = subprocess.run(["pdfinfo", "-enc", "UTF-8", "all.pdf"], capture_output=True, text=True).stdout
    check(re.search(r"^Title:\s+Open Letter on South Korea", info, re.M) and re.search(r"^Author:\s+Transitional Justice", info, re.M),
          "the combined file's title and author are the first letter's subject and letterhead", info)
    t = text("all.pdf", per_copy + 1, per_copy + 1)
    check("Recipient 0002" in t, "the second copy starts on its own sheet", t[:200])

    # --rows: a slice of the batch, numbered as the CSV rows
    os.mkdir("slice")
    r = run("letter.md", "--merge", "data.csv", "--rows", "5-7", "-o", "slice/{{id}}.pdf")
    check(r.returncode == 0 and sorted(os.listdir("slice")) == ["5.pdf", "6.pdf", "7.pdf"], "--rows 5-7", os.listdir("slice"))
    r = run("letter.md", "--merge", "data.csv", "--rows", "7-5", "-o", "x.pdf")
    check(r.returncode == 2, "a bad --rows is a usage error", r.returncode)

    # a one-page letter: --duplex adds a blank page after each copy; a CC
    # block whose fields are all empty is dropped with its label; --rows N is
    # row N alone
    with open("one.md", "w", encoding="utf-8") as f:
        f.write("---\nsubject: Note for {{name}}\ncc:\n  - |\n    {{cc1?}}\n    {{cc2?}}\n---\n\nHello {{name}}.\n")
    with open("one.csv", "w", encoding="utf-8") as f:
        f.write("id,name,cc1,cc2\n1,Ann Able,,\n2,Bob Baker,Carol Copy,\n3,Cid Cole,,\n")
    r = run("one.md", "--merge", "one.csv", "-o", "one-duplex.pdf", "--duplex", "--quiet")
    if check(r.returncode == 0, "one-page letter: --duplex merge runs", r.stderr[-300:]):
        check(pages("one-duplex.pdf") == 6, "--duplex: a blank back after each one-page copy", pages("one-duplex.pdf"))
        got = [text("one-duplex.pdf", p, p) for p in range(1, 7)]
        check("Ann Able" in got[0] and "Bob Baker" in got[2] and "Cid Cole" in got[4],
              "--duplex: the copies on pages 1, 3 and 5", [g[:40] for g in got])
        check(all(not g.strip() for g in got[1::2]), "--duplex: pages 2, 4 and 6 are blank", [g[:40] for g in got[1::2]])
    r = run("one.md", "--merge", "one.csv", "-o", "one-simplex.pdf", "--quiet")
    check(r.returncode == 0 and pages("one-simplex.pdf") == 3, "without --duplex: one page a copy",
          (r.returncode, r.stderr[-200:]))
    os.mkdir("one")
    r = run("one.md", "--merge", "one.csv", "-o", "one/{{id}}.pdf", "--quiet")
    if check(r.returncode == 0, "one-page letter: per-file merge runs", r.stderr[-300:]):
        with_cc, without = text("one/2.pdf"), text("one/1.pdf")
        check("CC" in with_cc and "Carol Copy" in with_cc, "a CC block with a value keeps its label", with_cc)
        check("Ann Able" in without and "CC" not in without, "a CC block whose fields are all empty prints no 'CC' label",
              without)
    for rows, want in (("2", ["2.pdf"]), ("2-", ["2.pdf", "3.pdf"]), ("-2", ["1.pdf", "2.pdf"]), ("3-9", ["3.pdf"])):
        d = "rows" + rows
        os.mkdir(d)
        r = run("one.md", "--merge", "one.csv", "--rows", rows, "-o", d + "/{{id}}.pdf", "--quiet")
        check(r.returncode == 0 and sorted(os.listdir(d)) == want, f"--rows {rows} renders {want}",
              (r.returncode, sorted(os.listdir(d)), r.stderr[-200:]))
    check("Bob Baker" in text("rows2/2.pdf"), "--rows 2: the copy of row 2", text("rows2/2.pdf")[:100])

    # every row checked before anything is written
    with open("bad.csv", "w", encoding="utf-8") as f:
        f.write("id,name,title,org\n1,A,,X\n2,B,,Y\n3,,,Z\n")
    os.mkdir("none")
    r = run("letter.md", "--merge", "bad.csv", "-o", "none/{{id}}.pdf")
    check(r.returncode == 1, "an empty required field stops the run", r.returncode)
    check("row 3 (bad.csv line 4)" in r.stderr and "'name'" in r.stderr, "the message names the row and the field", r.stderr)
    check(re.match(r"letter\.md:\d+", r.stderr) is not None, "FILE:LINE: form", r.stderr)
    check(os.listdir("none") == [], "nothing written", os.listdir("none"))
    with open("short.csv", "w", encoding="utf-8") as f:
        f.write("id,nom\n1,A\n")
    r = run("letter.md", "--merge", "short.csv", "-o", "none/{{id}}.pdf")
    check(r.returncode == 1 and "unknown field 'name'" in r.stderr, "a missing column names the field", r.stderr)
    with open("broken.csv", "w", encoding="utf-8") as f:
        f.write('id,name,title,org\n1,"A,,X\n')
    r = run("letter.md", "--merge", "broken.csv", "-o", "none/{{id}}.pdf")
    check(r.returncode == 1 and r.stderr.startswith("broken.csv:2:") and "unterminated" in r.stderr,
          "an unterminated quote: CSV file, line", r.stderr)
    with open("dup.csv", "w", encoding="utf-8") as f:
        f.write("id,name,title,org\n1,A,,X\n1,B,,Y\n")
    r = run("letter.md", "--merge", "dup.csv", "-o", "none/{{id}}.pdf")
    check(r.returncode == 1 and os.listdir("none") == [], "two rows writing one file: refused, nothing written", r.stderr)

    # corrupt and truncated images: exit 1 naming the file, an existing output untouched
    good = open("sig.png", "rb").read()
    with open("all.pdf", "rb") as f:
        before = f.read()
    for name, data in (("trunc.png", good[: len(good) // 2]), ("crc.png", good[:40] + bytes([good[40] ^ 0xFF]) + good[41:]),
                       ("trunc.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb"),
                       ("text.png", b"not an image at all")):
        with open(name, "wb") as f:
            f.write(data)
        with open("img.md", "w", encoding="utf-8") as f:
            f.write(seed.replace("closing: Sincerely,", f"closing: Sincerely,\nsignatures:\n  - {{name: A, image: {name}}}"))
        r = run("img.md", "-o", "all.pdf")
        check(r.returncode == 1 and name in r.stderr and re.match(r"img\.md:\d+:\d+: ", r.stderr),
              f"{name}: exit 1 with the letter's line and the image's name", (r.returncode, r.stderr))
        with open("all.pdf", "rb") as f:
            check(f.read() == before, f"{name}: the existing output is untouched")
    check(not [n for n in os.listdir(".") if ".tmp-" in n], "no stray temporary files")

finish()
