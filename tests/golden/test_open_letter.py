#!/usr/bin/env python3
"""Golden test: render examples/open-letter.md and check the PDF it makes.

usage: test_open_letter.py MKLETTER REPO_ROOT

Checks the PDF's structure (qpdf), fonts (pdffonts), document info (pdfinfo),
size, text in reading order (pdftotext) and reproducibility. Prints one line per
failed check and ends with "N passed, N failed"; exits 0 only if nothing failed.
Standard library only.
"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, failures, finish, run, squash, text  # noqa: E402

SUBJECT = "Open Letter on South Korea’s Policies on Protecting Human Rights in North Korea"
AUTHOR = "Transitional Justice Working Group"
RUNNING_HEAD = "Moon Jae-in · February 21, 2020"
MAX_SIZE = 45000
SOURCE_DATE_EPOCH = "1582243200"
# Lines that belong to the page, not to the letter.
FURNITURE = re.compile(r"^(Page \d+ of \d+|Page \d+|" + re.escape(RUNNING_HEAD) + r")$")
PAGE1_LINES = [
    "Moon Jae-in",
    "President of the Republic of Korea",
    "1 Cheongwadae-ro, Jongno-gu, Seoul",
    "Republic of Korea",
    "Fax: +82 2-770-4721",
    "E-mail: president@president.go.kr",
    "CC.",
    "Foreign Minister Kang Kyung-hwa",
    "Unification Minister Kim Yeon-chul",
    "Re: Open Letter on South Korea’s Policies",
    "President Moon Jae-in,",
    "Seoul, February 21, 2020",
]
SPECIAL_CHARS = "’—“”áü"




def pattern(expected):
    """Whitespace-free regex for expected text. pdftotext drops a '-' that ends a
    line (it joins "wide-\\nranging" to "wideranging"), so every '-' is optional."""
    return re.compile("".join("-?" if c == "-" else re.escape(c) for c in squash(expected)))


def searchable(extracted):
    """Extracted text minus page furniture, line-end hyphens and all whitespace."""
    keep = []
    for line in extracted.replace("\f", "\n").splitlines():
        line = line.strip()
        if FURNITURE.match(line):
            continue
        keep.append(line[:-1] if line.endswith("-") else line)
    return squash("\n".join(keep))


def find_in_order(haystack, items, what, start=0):
    """Check that each item occurs after the previous one. Returns (first, end):
    where the first item starts and where the last found item ends."""
    pos, first = start, None
    for item in items:
        m = pattern(item).search(haystack, pos)
        if m is None:
            anywhere = pattern(item).search(haystack) is not None
            check(False, f"{what} {item[:60]!r}",
                  "found, but out of order" if anywhere else "not found")
            continue
        check(True, what)
        first = m.start() if first is None else first
        pos = m.end()
    return first, pos


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def pdftotext(pdf, page=None):
    args = ["pdftotext", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    r = run(args + [pdf, "-"])
    check(r.returncode == 0, f"pdftotext page {page or 'all'} exits 0", text(r.stderr).strip())
    return text(r.stdout)


def render(mkletter, letter, out, env=None):
    r = run([mkletter, letter, "-o", out, "-q"], env=env)
    made = os.path.isfile(out)
    return check(r.returncode == 0 and made, f"render {os.path.basename(out)}",
                 f"exit {r.returncode}, {'a' if made else 'no'} PDF: {text(r.stderr).strip()}")


def check_qpdf(pdf):
    r = run(["qpdf", "--check", pdf])
    out = text(r.stdout + r.stderr)
    check(r.returncode == 0 and "No syntax or stream encoding errors" in out,
          "qpdf --check", f"exit {r.returncode}: {out.strip()}")


def check_fonts(pdf):
    r = run(["pdffonts", pdf])
    lines = text(r.stdout).splitlines()
    if not check(r.returncode == 0 and len(lines) >= 2, "pdffonts runs", text(r.stderr).strip()):
        return
    # Column spans come from the "----- -----" rule under the header.
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]
    rows = [[line[a:b].strip() for a, b in spans[:-1]] + [line[spans[-1][0]:].strip()]
            for line in lines[2:] if line.strip()]
    check(len(rows) >= 1, "pdffonts lists at least one font", "no fonts")
    for row in rows:
        if not check(len(row) == 7, "pdffonts row has 7 columns", repr(row)):
            continue
        name, ftype, _enc, emb, sub, uni, _obj = row
        problems = [f"{col}={val}" for col, val in (("emb", emb), ("sub", sub), ("uni", uni))
                    if val != "yes"]
        if ftype != "CID TrueType":
            problems.append(f"type={ftype!r}")
        if not re.fullmatch(r"[A-Z]{6}\+.+", name):
            problems.append("no XXXXXX+ subset prefix")
        check(not problems, f"font {name}", ", ".join(problems))


def check_info(pdf):
    """Returns the page count (0 if unknown)."""
    r = run(["pdfinfo", "-enc", "UTF-8", pdf])
    info = dict(line.split(":", 1) for line in text(r.stdout).splitlines() if ":" in line)
    info = {k.strip(): v.strip() for k, v in info.items()}
    check(info.get("Title") == SUBJECT, "pdfinfo Title", repr(info.get("Title")))
    check(info.get("Author") == AUTHOR, "pdfinfo Author", repr(info.get("Author")))
    check(bool(info.get("CreationDate")), "pdfinfo CreationDate", "missing")
    pages = int(info.get("Pages", "0"))
    print(f"info: {pages} pages")
    check(2 <= pages <= 4, "page count 2..4", str(pages))
    return pages


def check_pages(page_texts):
    n = len(page_texts)
    for k, page in enumerate(page_texts, 1):
        check(f"Page {k} of {n}" in page, f"page {k} says 'Page {k} of {n}'")
        # one folio a page: the foot's "Page k of n", never a second one in the header
        check(len(re.findall(r"Page \d+", page)) == 1, f"page {k} carries one folio", re.findall(r"Page \d+[^\n]*", page))
        if k > 1:
            head = " | ".join([line.strip() for line in page.splitlines() if line.strip()][:3])
            missing = [s for s in ("Moon Jae-in", "February 21, 2020") if s not in head]
            check(not missing, f"page {k} continuation header",
                  f"missing {missing} in first lines: {head!r}")
    page1 = " ".join(page_texts[0].split())
    for line in PAGE1_LINES:
        check(line in page1, f"page 1 shows {line!r}")


def check_text(repo, whole):
    golden = os.path.join(repo, "tests", "golden")
    hay = searchable(whole)
    paragraphs = read_lines(os.path.join(golden, "open-letter.paragraphs.txt"))
    _, body_end = find_in_order(hay, paragraphs, "body paragraph in order")
    for c in SPECIAL_CHARS:
        check(c in whole, f"character {c} (U+{ord(c):04X}) in text")
    check("Sincerely," in whole, "'Sincerely,' in text")

    orgs = read_lines(os.path.join(golden, "open-letter.organizations.txt"))
    check(len(orgs) == 69, "69 organisations in the golden list", str(len(orgs)))
    orgs_start, orgs_end = find_in_order(hay, orgs, "organisation in column order")
    check(orgs_start is not None and orgs_start >= body_end,
          "organisations come after the last body paragraph",
          f"first organisation at {orgs_start}, body ends at {body_end}")

    people = [line.split("\t", 1) for line in
              read_lines(os.path.join(golden, "open-letter.individuals.txt"))]
    find_in_order(hay, [f"{name}, {note}" for name, note in people],
                  "individual in order", orgs_end)


def check_deterministic(mkletter, letter, tmp):
    env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
    outs = [os.path.join(tmp, f"repro{i}.pdf") for i in (1, 2)]
    if all(render(mkletter, letter, out, env) for out in outs):
        with open(outs[0], "rb") as a, open(outs[1], "rb") as b:
            check(a.read() == b.read(), "SOURCE_DATE_EPOCH renders are byte-identical",
                  f"cmp {outs[0]} {outs[1]} differ")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_open_letter.py MKLETTER REPO_ROOT")
    mkletter, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    letter = os.path.join(repo, "examples", "open-letter.md")
    with tempfile.TemporaryDirectory(prefix="mkletter-golden-") as tmp:
        pdf = os.path.join(tmp, "open-letter.pdf")
        if render(mkletter, letter, pdf):
            check_qpdf(pdf)
            check_fonts(pdf)
            pages = check_info(pdf)
            size = os.path.getsize(pdf)
            print(f"info: {size} bytes")
            check(size <= MAX_SIZE, f"size <= {MAX_SIZE} bytes", str(size))
            whole = pdftotext(pdf)
            if pages:
                check_pages([pdftotext(pdf, k) for k in range(1, pages + 1)])
            check_text(repo, whole)
        check_deterministic(mkletter, letter, tmp)
    finish()


if __name__ == "__main__":
    main()
