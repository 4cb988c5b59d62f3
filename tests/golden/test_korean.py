#!/usr/bin/env python3
"""Golden test of Korean typesetting: examples/open-letter.ko.md and small letters.

usage: test_korean.py MKLETTER REPO_ROOT

Checks the Korean example (qpdf, fonts, size, pages, text round trip word for
word, KLREQ C.4 line-start/line-end prohibitions, 참조 and 제목: on page 1), the
`hangul-breaks` modes (whole letter and per paragraph), Korean dates (long and
official), an over-long run of Hangul staying inside the margin, a mixed
Hangul/Latin line, and the error for a character no font covers.
Prints one line per failed check (and a few "info:" lines) and ends with
"N passed, N failed"; exits 0 only if nothing failed. Standard library only.
"""
import os
import re
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, failures, finish, justified_ends, run, squash, text  # noqa: E402

EXAMPLE = os.path.join("examples", "open-letter.ko.md")
PARAGRAPHS = os.path.join("tests", "golden", "open-letter.ko.paragraphs.txt")
ADDRESSEE = "대통령 문재인 귀하"          # first line of the example's `to:`
DATE_LONG = "2020년 2월 21일"
DATE_OFFICIAL = "2020. 2. 21."
# The target for a 2-page Korean letter (issue 3). Nanum Myeongjo's outlines
# are most of it (~38 KB for ~300 distinct syllables, incl. a 32-name table);
# the rest is kept small by CIDs that are glyph ids, ToUnicode ranges, Tc for
# the spacing of justified lines, and object streams (59,041 B when written).
MAX_SIZE = 60000
MAX_PAGES = 2
# hangul-breaks: auto (the default) on the example: spacing.py p95 <= 0.37 with
# few eojeol split, each in a line that would otherwise space its words wider
# than this many line-heights (the p95 the issue asks for).
AUTO_MAX_SPLITS = 4
AUTO_MAX_P95 = 0.37
LOOSE_WITHOUT_SPLIT = 0.37
MIN_RIGHT_GAP = 56.0                     # pt; the right margin is 22 mm ~ 62.4 pt
MIXED = "대한민국 Tomás Ojea Quintana 특별보고관 “인권” 100%"
UNCOVERED = "\U00018B00"                 # KHITAN SMALL SCRIPT CHARACTER-18B00: in no font of scripts/deps (Noto core and CJK have none)
# KLREQ C.4 (research/korean.md): never at the start / at the end of a line.
NO_LINE_START = set(")]}〕》」』’”,.:;!?·、。")
NO_LINE_END = set("([{〔《「『‘“")
# Common syllables to build long, distinct Hangul words from.
SYLLABLES = ("가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허"
             "고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후"
             "기니디리미비시이지치키티피히강난달람만박산안장창한결민성영")




def info(msg):
    print(f"info: {msg}")


def is_hangul(c):
    return "\uac00" <= c <= "\ud7a3"


def hangul_word(i, length):
    """A deterministic Hangul word; distinct for distinct i (i < 2 * len(SYLLABLES))."""
    n = len(SYLLABLES)
    return "".join(SYLLABLES[(i * 7 + k * 11 + (i // n)) % n] for k in range(length))


def write(path, content):
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)
    return path


def small_letter(body, front=""):
    """A minimal Korean letter: front matter lines (a string) and a body."""
    return f"---\nlang: ko\ndate: 2020-02-21\nsubject: 시험\n{front}---\n\n{body}\n"


def render(mkletter, letter, out, what=None):
    """Render; check exit 0 and a PDF made. Returns True when rendered."""
    t0 = time.monotonic()
    r = run([mkletter, letter, "-o", out, "-q"])
    ms = (time.monotonic() - t0) * 1000
    made = os.path.isfile(out)
    ok = check(r.returncode == 0 and made, f"render {what or os.path.basename(letter)}",
               f"exit {r.returncode}, {'a' if made else 'no'} PDF: {text(r.stderr).strip()}")
    if ok:
        info(f"rendered {os.path.basename(letter)} in {ms:.0f} ms")
    return ok


def pdftotext(pdf, page=None, extra=()):
    args = ["pdftotext", "-enc", "UTF-8", *extra]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    r = run(args + [pdf, "-"])
    check(r.returncode == 0, f"pdftotext {os.path.basename(pdf)} exits 0", text(r.stderr).strip())
    return text(r.stdout)


def page_count(pdf):
    r = run(["pdfinfo", pdf])
    m = re.search(r"^Pages:\s+(\d+)", text(r.stdout), re.M)
    return int(m.group(1)) if m else 0


def furniture(addressee=None, date=None):
    """Regex of lines that belong to the page, not the letter: "1 / 2" (pdftotext
    may drop the spaces), "Page 1 of 2", the page label "2쪽"/"Page 2", and the
    continuation header "ADDRESSEE · DATE" (with or without its page label)."""
    label = r"(?:\d+\s*쪽|Page \d+)"
    alts = [r"\d+\s*/\s*\d+", r"Page \d+ of \d+", label]
    if addressee and date:
        alts.append(re.escape(addressee) + r"\s*·\s*" + re.escape(date) + rf"(?:\s+{label})?")
    return re.compile(r"^(?:" + "|".join(alts) + r")$")


def clean_lines(extracted, furniture_re):
    """Non-empty stripped lines of the extraction minus page furniture."""
    lines = (" ".join(line.split()) for line in extracted.replace("\f", "\n").splitlines())
    return [line for line in lines if line and not furniture_re.match(line)]


def tokens_of(lines):
    """The whitespace-separated tokens of lines, in order."""
    return [tok for line in lines for tok in line.split()]


def align(src, ext, j):
    """Walk source tokens against extracted tokens from ext[j]; a source token may
    come out as several consecutive extracted tokens (a line break inside it).
    Returns (splits, end, problem): splits = [(source token, pieces)],
    end = the ext index after the last matched token, problem = None or why the
    walk stopped."""
    splits = []
    for i, want in enumerate(src):
        if j >= len(ext):
            return splits, j, f"extraction ends before source token {i} {want!r}"
        if ext[j] == want:
            j += 1
            continue
        acc, k = ext[j], j + 1
        while len(acc) < len(want) and want.startswith(acc) and k < len(ext):
            acc += ext[k]
            k += 1
        if acc != want:
            ctx = " ".join(src[max(0, i - 3):i + 3])
            return splits, j, (f"source token {i} {want!r} came out as "
                               f"{' '.join(ext[j:j + 3])!r} (source: …{ctx}…)")
        splits.append((want, ext[j:k]))
        j = k
    return splits, j, None


def find_aligned(src, ext):
    """Align src somewhere in ext: the first start that aligns fully, else the
    attempt that got furthest. Returns (start, splits, end, problem)."""
    best = (None, [], 0, f"first source token {src[0]!r} not found")
    best_len = -1
    for j, tok in enumerate(ext):
        if tok and src[0].startswith(tok):
            splits, end, problem = align(src, ext, j)
            if problem is None:
                return j, splits, end, None
            if end - j > best_len:
                best, best_len = (j, splits, end, problem), end - j
    return best


def check_line_edges(lines, what):
    """KLREQ C.4: no line starts with closing punctuation or ends with opening."""
    bad_start = [line for line in lines if line[0] in NO_LINE_START]
    bad_end = [line for line in lines if line[-1] in NO_LINE_END]
    check(not bad_start, f"{what}: no line starts with closing punctuation (C.4)",
          f"{len(bad_start)} lines, e.g. " + " | ".join(repr(x[:30]) for x in bad_start[:3]))
    check(not bad_end, f"{what}: no line ends with opening punctuation (C.4)",
          f"{len(bad_end)} lines, e.g. " + " | ".join(repr(x[-30:]) for x in bad_end[:3]))


def bad_split_sites(splits):
    """Splits that are not between two Hangul syllables: syllable mode lets a line
    break between Hangul syllables only, never inside a Latin word or a number,
    nor between a number and its counter ("2013|년")."""
    return [f"{left}|{right}" for _, pieces in splits
            for left, right in zip(pieces, pieces[1:])
            if not (is_hangul(left[-1]) and is_hangul(right[0]))]


def check_body(pdf, paragraphs, mode, addressee=None, date=None):
    """Text round trip of the body paragraphs. mode 'word': every source token
    comes out whole, in order; mode 'syllable': at least one token is split over
    two lines, and the whitespace-free text is unchanged. Both: C.4 edges."""
    what = f"{os.path.basename(pdf)} ({mode})"
    lines = clean_lines(pdftotext(pdf), furniture(addressee, date))
    ext = tokens_of(lines)
    _, splits, _, problem = find_aligned(" ".join(paragraphs).split(), ext)
    if mode == "word":
        check(problem is None and not splits, f"{what}: body tokens come out word for word",
              problem or "split eojeol: " + ", ".join("|".join(p) for _, p in splits[:5]))
    elif check(problem is None, f"{what}: body tokens align with the source", problem or ""):
        if mode == "syllable":
            check(len(splits) >= 1, f"{what}: some line ends inside an eojeol",
                  "every line break is at a space")
        else:
            check(len(splits) <= AUTO_MAX_SPLITS, f"{what}: at most {AUTO_MAX_SPLITS} eojeol split",
                  ", ".join("|".join(p) for _, p in splits))
        bad = bad_split_sites(splits)
        check(not bad, f"{what}: eojeol split only between two Hangul syllables",
              ", ".join(bad[:5]))
        info(f"{what}: {len(splits)} eojeol split over lines, e.g. "
             + ", ".join("|".join(p) for _, p in splits[:3]))
    check(squash(" ".join(paragraphs)) in squash(" ".join(lines)),
          f"{what}: whitespace-free body text identical")
    check_line_edges(line_range(lines, paragraphs[0][:20], paragraphs[-1][-20:]), what)
    return splits


def line_range(lines, first, last):
    """The lines from the one where text `first` starts to the one where `last`
    ends, whitespace ignored; all lines if either is not found."""
    joined, owner = "", []
    for n, line in enumerate(lines):
        joined += squash(line)
        owner += [n] * len(squash(line))
    a, b = joined.find(squash(first)), joined.rfind(squash(last))
    if a < 0 or b < 0:
        return lines
    return lines[owner[a]:owner[b + len(squash(last)) - 1] + 1]


WORD_RE = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def words_per_page(pdf):
    """[[(xMin, yMin, xMax, yMax, text)] per page] from pdftotext -bbox."""
    bbox = pdftotext(pdf, extra=("-bbox",))
    return [[(*map(float, m.groups()[:4]), m.group(5)) for m in WORD_RE.finditer(page)]
            for page in bbox.split("<page ")[1:]]


def check_no_overlap(pdf):
    """No two words are drawn over each other (more than a fifth of the smaller)."""
    clashes = []
    for n, words in enumerate(words_per_page(pdf), 1):
        words.sort(key=lambda w: w[1])
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                if b[1] >= a[3]:
                    break
                ix = min(a[2], b[2]) - max(a[0], b[0])
                iy = min(a[3], b[3]) - max(a[1], b[1])
                small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
                if ix > 0 and iy > 0 and ix * iy > 0.2 * small:
                    clashes.append(f"page {n}: {a[4]!r} and {b[4]!r} at ({b[0]:.0f}, {b[1]:.0f})")
    check(not clashes, f"{os.path.basename(pdf)}: no words drawn over each other",
          "; ".join(clashes[:4]))


def bbox_lines(pdf):
    """[[(xMin, yMin, xMax, yMax, text)] per line], pages in order (words on one
    baseline of a page, left to right)."""
    out = []
    for words in words_per_page(pdf):
        rows = {}
        for w in words:
            rows.setdefault(round(w[3], 1), []).append(w)
        out += [sorted(rows[y]) for y in sorted(rows)]
    return out


def check_splits_needed(pdf, splits, measure_right):
    """hangul-breaks: auto splits an eojeol only in a line that would be too
    loose without the split: had its first piece gone to the next line too, the
    rest set justified would space its words wider than LOOSE_WITHOUT_SPLIT
    line-heights (the word widths as set, so the estimate errs towards tight)."""
    lines = bbox_lines(pdf)
    gaps = [b[0] - a[2] for line in lines for a, b in zip(line, line[1:])]
    natural = min(g for g in gaps if g > 0.5)    # a space at natural width (a paragraph's last line)
    unneeded, found = [], 0
    for _, pieces in splits:
        for line, nxt in zip(lines, lines[1:]):
            if len(line) < 3 or line[-1][4] != pieces[0] or nxt[0][4] != pieces[1]:
                continue
            found += 1
            rest = line[:-1]
            height = rest[0][3] - rest[0][1]
            words = sum(w[2] - w[0] for w in rest)
            gap = (measure_right - rest[0][0] - words) / (len(rest) - 1)
            if gap / height <= LOOSE_WITHOUT_SPLIT:
                unneeded.append(f"{'|'.join(pieces)}: {gap / height:.3f} (natural {natural / height:.3f})")
            else:
                info(f"split {'|'.join(pieces)}: without it the line's spaces {gap / height:.3f} line-heights")
    check(found == len(splits), f"{os.path.basename(pdf)}: every split eojeol found at a line end",
          f"{found} of {len(splits)}")
    check(not unneeded, f"{os.path.basename(pdf)}: eojeol split only where the line was too loose",
          "; ".join(unneeded))


def check_fonts(pdf):
    r = run(["pdffonts", pdf])
    lines = text(r.stdout).splitlines()
    if not check(r.returncode == 0 and len(lines) >= 3, "pdffonts lists fonts",
                 text(r.stderr).strip()):
        return
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]
    rows = [[line[a:b].strip() for a, b in spans[:-1]] + [line[spans[-1][0]:].strip()]
            for line in lines[2:] if line.strip()]
    check(any("NanumMyeongjo" in row[0] for row in rows), "a NanumMyeongjo font is used",
          ", ".join(row[0] for row in rows))
    bad = [f"{row[0]} emb/sub/uni={row[3]}/{row[4]}/{row[5]}" for row in rows
           if len(row) != 7 or row[3:6] != ["yes", "yes", "yes"]]
    check(not bad, "every font embedded, subset, with ToUnicode", "; ".join(bad))


def check_example(mkletter, repo, tmp):
    letter = os.path.join(repo, EXAMPLE)
    with open(os.path.join(repo, PARAGRAPHS), encoding="utf-8") as f:
        paragraphs = [line.strip() for line in f if line.strip()]
    pdf = os.path.join(tmp, "open-letter.ko.pdf")
    if render(mkletter, letter, pdf):
        r = run(["qpdf", "--check", pdf])
        out = text(r.stdout + r.stderr)
        check(r.returncode == 0 and "No syntax or stream encoding errors" in out,
              "qpdf --check", f"exit {r.returncode}: {out.strip()[:300]}")
        check_fonts(pdf)
        pages, size = page_count(pdf), os.path.getsize(pdf)
        info(f"open-letter.ko.pdf: {pages} pages, {size} bytes")
        if check(1 <= pages <= MAX_PAGES, f"example fits on {MAX_PAGES} pages",
                 f"{pages} pages, {size} bytes"):
            check(size <= MAX_SIZE, f"example size <= {MAX_SIZE} bytes", f"{size} bytes")
        # justified Korean lines (syllable spacing set with Tc) end at the margin
        ends = justified_ends(pdf)
        check(len(ends) >= 20, "justified Korean lines found", len(ends))
        if ends:
            check(max(ends) - min(ends) <= 0.05, "justified Korean lines end within 0.05 pt of each other",
                  f"{min(ends):.3f} .. {max(ends):.3f}")
        splits = check_body(pdf, paragraphs, "auto", ADDRESSEE, DATE_LONG)
        check_splits_needed(pdf, splits, max(ends) if ends else 0)
        check_no_overlap(pdf)
        page1 = " ".join(pdftotext(pdf, 1).split())
        for s in ("참조", "제목:", DATE_LONG):
            check(s in page1, f"page 1 shows {s!r}")

    # the same letter with hangul-breaks: syllable in the front matter
    with open(letter, encoding="utf-8") as f:
        source = f.read()
    syl = write(os.path.join(tmp, "open-letter.ko.syllable.md"),
                source.replace("---\n", "---\nhangul-breaks: syllable\n", 1))
    pdf = os.path.join(tmp, "open-letter.ko.syllable.pdf")
    if render(mkletter, syl, pdf, "example with hangul-breaks: syllable"):
        check_body(pdf, paragraphs, "syllable", ADDRESSEE, DATE_LONG)


def check_per_paragraph(mkletter, tmp):
    """The same long paragraph twice in a letter of `hangul-breaks: word`: as
    the letter says, then in a syllable div."""
    words = " ".join(hangul_word(i, 4 + i % 5) for i in range(70))
    plain, div = "첫째문단 " + words, "둘째문단 " + words
    body = f'{plain}\n\n<div hangul-breaks="syllable">\n\n{div}\n\n</div>'
    letter = write(os.path.join(tmp, "per-paragraph.md"), small_letter(body, "hangul-breaks: word\n"))
    pdf = os.path.join(tmp, "per-paragraph.pdf")
    if not render(mkletter, letter, pdf, "per-paragraph hangul-breaks div"):
        return
    ext = tokens_of(clean_lines(pdftotext(pdf), furniture()))
    for name, par, want_splits in (("outside the div", plain, False),
                                   ("inside the div", div, True)):
        start, splits, _, problem = find_aligned(par.split(), ext)
        if not check(problem is None, f"per-paragraph {name}: tokens align", problem or ""):
            continue
        if want_splits:
            check(splits, f"per-paragraph {name}: some eojeol split over lines",
                  "every line break is at a space")
        else:
            check(not splits, f"per-paragraph {name}: no eojeol split",
                  ", ".join("|".join(p) for _, p in splits[:5]))


def check_dates(mkletter, tmp):
    for style, want, not_want in (("", DATE_LONG, DATE_OFFICIAL),
                                  ("date-style: official\n", DATE_OFFICIAL, DATE_LONG)):
        name = "official" if style else "default"
        letter = write(os.path.join(tmp, f"date-{name}.md"), small_letter("날짜 시험입니다.", style))
        pdf = os.path.join(tmp, f"date-{name}.pdf")
        if render(mkletter, letter, pdf, f"date ({name})"):
            page = " ".join(pdftotext(pdf).split())
            check(want in page, f"date ({name}) shows {want!r}", page[:120])
            check(not_want not in page, f"date ({name}) does not show {not_want!r}")


def check_long_run(mkletter, tmp):
    """300 syllables with no space: breaks somewhere, never past the margin."""
    run_text = "".join(SYLLABLES[(k * 7) % len(SYLLABLES)] for k in range(300))
    letter = write(os.path.join(tmp, "long-run.md"), small_letter(run_text))
    pdf = os.path.join(tmp, "long-run.pdf")
    if not render(mkletter, letter, pdf, "300 Hangul syllables without a space"):
        return
    check(run_text in squash(pdftotext(pdf)), "long run: all 300 syllables in the text")
    bbox = pdftotext(pdf, extra=("-bbox",))
    m = re.search(r'<page width="([\d.]+)"', bbox)
    if not check(m is not None, "pdftotext -bbox gives the page width"):
        return
    limit = float(m.group(1)) - MIN_RIGHT_GAP
    words = [(w[4], w[2]) for page in words_per_page(pdf) for w in page]
    over = [(w, x) for w, x in words if x > limit]
    check(bool(words) and not over, f"long run: every word ends left of {limit:.1f} pt",
          ", ".join(f"{w[:12]}… at {x:.1f}" for w, x in over[:3]) or "no words")


def check_mixed(mkletter, tmp):
    letter = write(os.path.join(tmp, "mixed.md"), small_letter(MIXED))
    pdf = os.path.join(tmp, "mixed.pdf")
    if render(mkletter, letter, pdf, "mixed Hangul/Latin line"):
        lines = clean_lines(pdftotext(pdf), furniture())
        check(MIXED in lines, "mixed line round-trips exactly",
              repr([line for line in lines if "Tom" in line or "대한" in line]))


def check_uncovered(mkletter, tmp):
    # line 6 of the file is the first body line
    letter = write(os.path.join(tmp, "uncovered.md"),
                   small_letter(f"선형 문자 {UNCOVERED} 한 글자입니다.").replace("subject: 시험\n", ""))
    out = os.path.join(tmp, "uncovered.pdf")
    r = run([mkletter, letter, "-o", out, "-q"])
    err = text(r.stderr).strip()
    check(r.returncode == 1, "uncovered character: exit 1", f"exit {r.returncode}: {err}")
    check(f"U+{ord(UNCOVERED):04X}" in err, "uncovered character: message names U+18B00", err)
    check(":6:" in err, "uncovered character: message names line 6 (':6:')", err)
    check(re.search(r"uncovered\.md:6:\d+: \S", err) is not None,
          "uncovered character: message is FILE:LINE:COL: message", err)
    check(not os.path.exists(out), "uncovered character: no PDF left behind")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_korean.py MKLETTER REPO_ROOT")
    mkletter, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mkletter-korean-") as tmp:
        for step in (lambda: check_example(mkletter, repo, tmp),
                     lambda: check_per_paragraph(mkletter, tmp),
                     lambda: check_dates(mkletter, tmp),
                     lambda: check_long_run(mkletter, tmp),
                     lambda: check_mixed(mkletter, tmp),
                     lambda: check_uncovered(mkletter, tmp)):
            step()
    info(f"all checks took {time.monotonic() - t0:.1f} s")
    finish()


if __name__ == "__main__":
    main()
