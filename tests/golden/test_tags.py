#!/usr/bin/env python3
"""Tagged PDF, read back by two independent readers, poppler (pdfinfo
-struct-text) and Mozilla's PDF.js (getStructTree, getTextContent), and by
qpdf (objects, decoded content streams):

- the structure tree's text, in reading order, is the letter's parts: each
  body paragraph of the seed letter (words whole across hyphenated line ends
  and page breaks) and each co-signer, in order; both readers read the same
  text, and it is what pdftotext gives less the artifacts;
- every painting operator on every page is in a marked-content sequence with
  an MCID or in an Artifact, never both; every /StructParent(s) resolves in the
  parent tree to the element that lists the sequence or the annotation;
- the letterhead's logo and the signatures are Figures with /Alt; links are
  Link elements holding their annotation, which has /Contents; lists are
  L/LI/Lbl/LBody; running headers, folios, fold marks and rules are artifacts;
- /Lang on the catalog (en, ko-KR) and on an element in the other language;
  /MarkInfo, /ViewerPreferences /DisplayDocTitle, /Tabs /S;
- pdftotext gives the same text as without tags; qpdf --check is clean;
- the 공문 (kr-official): its 두문 labels and item numbers a space apart from
  what follows them in the structure's text, as on the page;
- --pdfua (alone and with --pdfa), --no-tags, a letter --pdfua refuses, and a
  combined merge file (a Part per copy).

usage: test_tags.py MKLETTER REPO_ROOT"""
import collections
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, squash  # noqa: E402
import tagged  # noqa: E402

mkletter, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
golden = os.path.join(root, "tests", "golden")
env = dict(os.environ, SOURCE_DATE_EPOCH="1582243200")


def render(src, out, *args):
    r = subprocess.run([mkletter, src, "-o", out, "--quiet", *args], env=env, capture_output=True, text=True)
    check(r.returncode == 0, f"renders {os.path.basename(src)} {' '.join(args)}", r.stderr[-400:])
    return r


def pdftotext(pdf, *args):
    return subprocess.run(["pdftotext", *args, pdf, "-"], capture_output=True, text=True).stdout


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [x.strip() for x in f if x.strip()]


def png(path, w, h):
    """An 8-bit RGBA PNG with a striped, partly transparent pattern."""
    raw = b"".join(b"\0" + b"".join(bytes((30, 40, 130, 255 if (x + y) % 7 < 3 else 0)) for x in range(w))
                   for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def readers(pdf, what):
    """Both readers and qpdf, or a failed check saying which is missing."""
    try:
        return tagged.poppler_elements(pdf), tagged.pdfjs(pdf), tagged.Doc(pdf)
    except tagged.Missing as e:
        check(False, f"{what}: the readers run", str(e))
        return None


def common(pdf, what, lang):
    """What every tagged letter must have; returns the readers' views."""
    q = subprocess.run(["qpdf", "--check", pdf], capture_output=True, text=True)
    check(q.returncode == 0 and "No syntax or stream encoding errors" in q.stdout, f"{what}: qpdf --check", q.stdout[-300:])
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    check(re.search(r"Tagged:\s+yes", info) is not None, f"{what}: pdfinfo says Tagged: yes")
    got = readers(pdf, what)
    if not got:
        return None
    pop, js, doc = got
    problems = tagged.check_tree(doc)
    check(not problems, f"{what}: every mark tagged or an artifact, every MCID and /StructParent resolves", problems[:8])
    cat = doc.catalog()
    check(tagged.text_of(cat.get("/Lang")) == lang, f"{what}: the catalog's /Lang is {lang}", cat.get("/Lang"))
    mi = doc.get(cat.get("/MarkInfo", {}))
    check(mi.get("/Marked") is True and mi.get("/Suspects") is not True, f"{what}: /MarkInfo /Marked true, no /Suspects")
    check(doc.get(cat.get("/ViewerPreferences", {})).get("/DisplayDocTitle") is True,
          f"{what}: /ViewerPreferences /DisplayDocTitle true")
    check(all(doc.get(p).get("/Tabs") == "/S" for p in doc.pages), f"{what}: every page's tab order is the structure's")
    check(js["markInfo"] and js["markInfo"].get("Marked") is True, f"{what}: PDF.js reads /Marked true")
    check(not any(p["outside"]["loose"].strip() for p in js["pages"]), f"{what}: PDF.js finds no text outside marked content",
          [p["outside"]["loose"][:80] for p in js["pages"]])
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True).stdout.splitlines()[2:]
    check(fonts and all(re.search(r"yes\s+yes\s+yes", f) for f in fonts),
          f"{what}: every font embedded, subset, with a ToUnicode map (31-*)", fonts)
    els = tagged.elements_by_object(doc)
    roles = {e.get("/S") for _, e in els}
    standard = {"/Document", "/Part", "/Sect", "/Div", "/P", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/L", "/LI", "/Lbl",
                "/LBody", "/BlockQuote", "/Link", "/Figure", "/Table", "/TR", "/TH", "/TD", "/Span"}
    check(roles <= standard and "/RoleMap" not in doc.get(cat["/StructTreeRoot"]),
          f"{what}: standard structure types only, no role map (02-001)", roles - standard)
    # lists as ISO 32000-1 Table 336 has them (Matterhorn 09-005)
    bad = []
    for ref, e in els:
        kids = e.get("/K")
        kids = kids if isinstance(kids, list) else [kids]
        kid_roles = [doc.get(k).get("/S") for k in kids if isinstance(k, str)]
        if e.get("/S") == "/L" and (not kid_roles or any(r not in ("/LI", "/L", "/Caption") for r in kid_roles)):
            bad.append((ref, "L", kid_roles))
        if e.get("/S") == "/LI" and (not kid_roles or any(r not in ("/Lbl", "/LBody") for r in kid_roles)):
            bad.append((ref, "LI", kid_roles))
    check(not bad, f"{what}: every L holds LIs, every LI an Lbl and/or an LBody (09-005)", bad[:5])
    figs = [e for _, e in els if e.get("/S") == "/Figure"]
    check(all(tagged.text_of(e.get("/Alt")) for e in figs), f"{what}: every Figure has /Alt (13-004)")
    # both readers read the same text; it is pdftotext's, less the artifacts
    pop_text = "".join(t for d, role, t, x in pop)
    js_text = "".join(t for n, d, role, t, x in js_elements(js) if d == 0)
    # (PDF.js gives a tree a page: an element that goes on over a page break
    # is split there, and what follows it on the first page comes between)
    pc, jc = collections.Counter(squash(pop_text)), collections.Counter(squash(js_text))
    check(pc == jc, f"{what}: poppler and PDF.js read the same text from the tree", (pc - jc, jc - pc))
    artifacts = "".join(p["outside"]["artifact"] for p in js["pages"])
    want = collections.Counter(squash(pdftotext(pdf)))
    have = pc + collections.Counter(squash(artifacts))
    # pdftotext itself joins some hyphenated words (the hyphens are artifacts)
    extra = have - want
    check(not (want - have) and set(extra) <= {"-"} and extra["-"] <= artifacts.count("-"),
          f"{what}: the tree's text and the artifacts are pdftotext's text, character for character",
          (want - have, have - want))
    return pop, js, doc


def js_elements(js):
    return tagged.pdfjs_elements(js)


def first_difference(a, b):
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    return f"at {i}: {a[max(0, i - 30):i + 30]!r} / {b[max(0, i - 30):i + 30]!r}"


def in_order(texts, wanted):
    """Whether `wanted` are elements of `texts`, in that order."""
    at = 0
    for w in wanted:
        try:
            at = texts.index(w, at) + 1
        except ValueError:
            return w
    return None


with tempfile.TemporaryDirectory() as tmp:
    # ---- the seed letter -------------------------------------------------
    seed = os.path.join(root, "examples", "open-letter.md")
    a, b = os.path.join(tmp, "tagged.pdf"), os.path.join(tmp, "untagged.pdf")
    render(seed, a)
    render(seed, b, "--no-tags")
    check(pdftotext(a) == pdftotext(b), "seed: pdftotext gives the same text tagged and untagged")
    check(pdftotext(a, "-layout") == pdftotext(b, "-layout"), "seed: pdftotext -layout too")
    for name, pdf in (("t", a), ("u", b)):
        subprocess.run(["pdftoppm", "-r", "40", "-gray", pdf, os.path.join(tmp, name)], check=True)
    pix = sorted(f for f in os.listdir(tmp) if f.startswith("t-"))
    check(pix and all(open(os.path.join(tmp, f), "rb").read() == open(os.path.join(tmp, "u" + f[1:]), "rb").read()
                      for f in pix), "seed: the pages look the same tagged and untagged (pdftoppm)", pix)
    check(b"/StructTreeRoot" not in subprocess.run(["qpdf", "--qdf", b, "-"], capture_output=True).stdout,
          "seed: --no-tags writes no structure tree")
    got = common(a, "seed", "en")
    if got:
        pop, js, doc = got
        ptexts = [t for d, role, t, x in pop if role == "P"]
        paras = lines(os.path.join(golden, "open-letter.paragraphs.txt"))
        missing = in_order(ptexts, paras)
        check(missing is None, "seed (poppler): every body paragraph is one P, whole and in order", missing)
        js_text = tagged.collapse(" ".join(t for n, d, role, t, x in js_elements(js) if d == 0))
        check(all(squash(p) in squash(js_text) for p in paras), "seed (PDF.js): every body paragraph, in the tree's text")
        li = [t for d, role, t, x in pop if role == "LBody"]
        orgs = lines(os.path.join(golden, "open-letter.organizations.txt"))
        people = [", ".join(x.split("\t", 1)) for x in lines(os.path.join(golden, "open-letter.individuals.txt"))]
        check(li == orgs + people, "seed: each co-signer an LI's LBody, in order",
              first_difference("|".join(li), "|".join(orgs + people)))
        heads = [(role, t) for d, role, t, x in pop if re.fullmatch(r"H\d", role)]
        check(heads[:1] == [("H1", "Re: Open Letter on South Korea’s Policies on Protecting Human Rights in North Korea")],
              "seed: the subject is the first heading, H1", heads[:2])
        check([t for r, t in heads[1:]] == ["Organizations", "Individuals"] and all(r == "H2" for r, t in heads[1:]),
              "seed: each co-signer group's heading an H2", heads)
        sects = [(d, role) for d, role, t, x in pop if role in ("Sect", "L", "H2")]
        check(sects == [(1, "Sect"), (2, "H2"), (2, "L")] * 2, "seed: a group is a Sect of its heading and a list", sects)
        art = [p["outside"]["artifact"] for p in js["pages"]]
        check(all(f"Page {i + 1} of {len(art)}" in t for i, t in enumerate(art)), "seed: the folios are artifacts", art)
        check(all("Moon Jae-in" in t for t in art[1:]), "seed: the running headers are artifacts", [t[:60] for t in art])
        top = [role for d, role, t, x in pop if d == 1]
        check(top[:4] == ["Div", "P", "P", "Div"], "seed: letterhead, date, addressee, CC, in reading order", top[:6])

    # ---- the Korean letter: ko-KR, an English part in en -------------------
    ko = os.path.join(root, "examples", "open-letter.ko.md")
    ka, kb = os.path.join(tmp, "ko.pdf"), os.path.join(tmp, "ko-untagged.pdf")
    render(ko, ka)
    render(ko, kb, "--no-tags")
    check(pdftotext(ka) == pdftotext(kb), "Korean: pdftotext gives the same text tagged and untagged")
    got = common(ka, "Korean", "ko-KR")
    if got:
        pop, js, doc = got
        ptexts = [t for d, role, t, x in pop if role == "P"]
        missing = in_order(ptexts, lines(os.path.join(golden, "open-letter.ko.paragraphs.txt")))
        check(missing is None, "Korean: every body paragraph one P, in logical order", missing)
        en = [tagged.text_of(e.get("/Lang")) for _, e in tagged.elements_by_object(doc) if "/Lang" in e]
        check(en and set(en) == {"en"}, "Korean: the English <div> is an element with /Lang en, and only it", en)
        js_en = [x.get("lang") for n, d, role, t, x in js_elements(js) if x.get("lang")]
        check(js_en and set(js_en) == {"en"}, "Korean (PDF.js): reads /Lang en on the English part", js_en)

    # ---- the 공문 (kr-official): labels read apart from what follows them ----
    kr = os.path.join(root, "examples", "official-request.ko.md")
    kra, krb = os.path.join(tmp, "kr.pdf"), os.path.join(tmp, "kr-untagged.pdf")
    render(kr, kra)
    render(kr, krb, "--no-tags")
    check(pdftotext(kra) == pdftotext(krb), "공문: pdftotext gives the same text tagged and untagged")
    got = readers(kra, "공문")
    if got:
        pop, js, doc = got
        ptexts = [t for d, role, t, x in pop if role == "P"]
        wanted = ["수신 통일부장관(인권인도실장)", "제목 북한 인권 정책에 관한 시민사회단체 면담 요청",
                  "1. 귀 부의 무궁한 발전을 기원합니다.", "가. 면담 개요"]
        check(in_order(ptexts, wanted) is None,
              "공문 (poppler): a 두문 label, an item's number, each a space before what follows, as the page reads",
              [t for t in ptexts if t.startswith(("수신", "제목", "1.", "가."))])
        js_text = tagged.collapse(" ".join(t for n, d, role, t, x in js_elements(js) if d == 0))
        check(all(w in js_text for w in wanted), "공문 (PDF.js): the same", js_text[:200])
        check(not tagged.check_tree(doc), "공문: the tree is sound", tagged.check_tree(doc)[:5])

    # ---- a letter with every part ------------------------------------------
    os.chdir(tmp)
    png("logo.png", 120, 60)
    png("sig.png", 300, 90)
    body = " ".join(["The committee reviewed the documentation and internationalisation requirements carefully."] * 14)
    with open("all.md", "w", encoding="utf-8") as f:
        f.write(f"""---
lang: en
layout: din5008a
date: 2024-03-01
letterhead:
  name: Example Accessibility Office
  logo: logo.png
  logo-alt: "The office's emblem, a blue square :) \\\\o/"
  lines: [1 Main Street, Springfield]
  footer: [Registered office 1 Main Street]
from: |
  Jane Roe
  1 Main Street
to: |
  John Doe
  2 Side Road
subject: Tagged letters
opening: Dear John,
closing: Yours,
signatures:
  - {{name: Jane Roe, title: Director, image: sig.png, alt: Jane Roe's handwritten signature}}
  - {{name: Max Muster, image: sig.png}}
  - {{name: Erika Beispiel}}
signatories:
  - heading: Supporters
    columns: 2
    entries: [Alpha Group, Beta Group, Gamma Group]
enclosures: [Report]
ps: See the report.
---
## Background

{body}

Read the [guidelines of the office](https://example.org/guidelines) before the meeting.
We say <span lang="ko">안녕하세요</span> to our guests.

- first point
- second point
  - a nested point
1. numbered

> A quotation that stands apart.

<div lang="ko">

한국어 문단입니다.

</div>

{body}

{body}
""")
    render("all.md", "all.pdf")
    got = common(os.path.join(tmp, "all.pdf"), "every part", "en")
    if got:
        pop, js, doc = got
        els = tagged.elements_by_object(doc)
        alts = [tagged.text_of(e.get("/Alt")) for _, e in els if e.get("/S") == "/Figure"]
        check(alts == ["The office's emblem, a blue square :) \\o/", "Jane Roe's handwritten signature",
                       "Signature of Max Muster"],
              "every part: the logo and the signatures are Figures with their /Alt (logo-alt, alt, the default;"
              " a lone parenthesis and a backslash escaped)", alts)
        js_alts = [x.get("alt") for n, d, role, t, x in js_elements(js) if role == "Figure"]
        check(js_alts[:1] == ["The office's emblem, a blue square :) \\o/"], "every part (PDF.js): reads the logo's /Alt", js_alts)
        roles = [role for d, role, t, x in pop]
        for r in ("H2", "BlockQuote", "Link", "Lbl", "LBody", "Figure"):
            check(r in roles, f"every part: a {r} element", roles)
        link = [t for d, role, t, x in pop if role == "Link"]
        check(link == ["guidelines of the office"], "every part: the link's text is its Link element's", link)
        annots = [a for p in js["pages"] for a in p["annots"] if a["subtype"] == "Link"]
        check(annots and all(a["contents"] == "https://example.org/guidelines" for a in annots),
              "every part: the link annotation's /Contents (PDF.js)", annots)
        spans = [(tagged.text_of(e.get("/Lang")), e.get("/S")) for _, e in els if "/Lang" in e]
        check(spans == [("ko", "/Span"), ("ko-KR", "/P")] or spans == [("ko-KR", "/Span"), ("ko-KR", "/P")],
              "every part: a <span lang> is a Span with its /Lang, the Korean <div> a P with its own", spans)
        js_langs = [(role, x.get("lang")) for n, d, role, t, x in js_elements(js) if x.get("lang")]
        check(("Span", "ko-KR") in js_langs, "every part (PDF.js): reads the Span's /Lang", js_langs)
        lis = [(d, role, t) for d, role, t, x in pop if role in ("L", "LI", "Lbl", "LBody")]
        nested = [i for i, (d, role, t) in enumerate(lis) if role == "L" and i and lis[i - 1][1] == "LBody"]
        check(nested, "every part: a nested list is inside its item's LBody", lis[:12])
        lbl = [t for d, role, t, x in pop if role == "Lbl"]
        check(lbl[:1] == ["•"] and "1." in lbl, "every part: the markers are Lbl", lbl)
        pages = len(js["pages"])
        check(pages >= 2, "every part: more than one page", pages)
        art = [p["outside"]["artifact"] for p in js["pages"]]
        check(all("John Doe" in t for t in art[1:]), "every part: running headers are artifacts", art[1:])
        counts = [tagged.walk_content(doc.page_content(p))[3] for p in doc.pages]
        # page 1: two fold marks, the punch mark, the return address's rule, the
        # letterhead's and the footer band's
        check(counts[0]["artifact_stroke"] == 6 and all(c["tagged_stroke"] == 0 for c in counts),
              "every part: fold, punch and window marks and rules are artifacts", counts)
        flat = tagged.poppler_text(os.path.join(tmp, "all.pdf"))
        check("Read the guidelines of the office before the meeting." in flat,
              "every part: the link's text stands in its paragraph, in order", flat[:200])
        check(counts[0]["pagination_text"] >= 1 and all(c["pagination_text"] >= 2 for c in counts[1:]),
              "every part: folios and running headers are /Pagination artifacts", counts)
        footer = [t for d, role, t, x in pop if "Registered office" in t]
        check(footer[-1:] == ["Registered office 1 Main Street"], "every part: the footer band is read, last", footer)

    # ---- PDF/UA-1 ------------------------------------------------------------
    ua = os.path.join(tmp, "ua.pdf")
    render(seed, ua, "--pdfua")
    d = tagged.Doc(ua)
    meta = d.catalog().get("/Metadata")
    xmp = d.stream_data(meta).decode("utf-8") if meta else ""
    check("<pdfuaid:part>1</pdfuaid:part>" in xmp, "--pdfua: XMP pdfuaid:part 1 (06-001, 06-002)")
    check("<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Open Letter on South Korea" in xmp,
          "--pdfua: XMP dc:title (06-003)")
    check("pdfaid" not in xmp, "--pdfua alone claims no PDF/A")
    check(not tagged.check_tree(d), "--pdfua: the tree is sound")
    aua = os.path.join(tmp, "aua.pdf")
    render(seed, aua, "--pdfa", "--pdfua")
    info = subprocess.run(["pdfinfo", aua], capture_output=True, text=True).stdout
    check(re.search(r"PDF version:\s+1\.4", info) and re.search(r"Tagged:\s+yes", info),
          "--pdfa --pdfua: PDF 1.4, tagged", info)
    d = tagged.Doc(aua)
    xmp = d.stream_data(d.catalog()["/Metadata"]).decode("utf-8")
    check("<pdfaid:part>1</pdfaid:part>" in xmp and "<pdfuaid:part>1</pdfuaid:part>" in xmp,
          "--pdfa --pdfua: claims PDF/A-1b and PDF/UA-1")
    check("<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in xmp and "pdfaExtension:schemas" in xmp,
          "--pdfa --pdfua: the pdfuaid property declared in a PDF/A extension schema")
    check(not tagged.check_tree(d), "--pdfa --pdfua: the tree is sound")
    with open("nosubject.md", "w", encoding="utf-8") as f:
        f.write(open(seed, encoding="utf-8").read().replace("subject: Open Letter", "x-subject: Open Letter")
                .replace("x-subject:", "ps:"))
    r = subprocess.run([mkletter, "nosubject.md", "--pdfua", "-o", "nosub.pdf"], env=env, capture_output=True, text=True)
    check(r.returncode == 1 and "subject" in r.stderr and not os.path.exists("nosub.pdf"),
          "--pdfua refuses a letter without a title, saying why, and writes nothing", (r.returncode, r.stderr))
    with open("emptyalt.md", "w", encoding="utf-8") as f:
        f.write(open("all.md", encoding="utf-8").read().replace("alt: Jane Roe's handwritten signature", "alt: ''"))
    r = subprocess.run([mkletter, "emptyalt.md", "--pdfua", "-o", "ea.pdf"], env=env, capture_output=True, text=True)
    check(r.returncode == 1 and "alternative text" in r.stderr and "Jane Roe" in r.stderr,
          "--pdfua refuses an empty signature 'alt'", r.stderr)
    r = subprocess.run([mkletter, seed, "--pdfua", "--no-tags", "-o", "x.pdf"], env=env, capture_output=True, text=True)
    check(r.returncode == 2 and "--no-tags" in r.stderr, "--pdfua --no-tags is a usage error", (r.returncode, r.stderr))
    with open("badkey.md", "w", encoding="utf-8") as f:
        f.write(open("all.md", encoding="utf-8").read().replace("logo-alt:", "logo-alts:"))
    r = subprocess.run([mkletter, "badkey.md", "-o", "bk.pdf"], env=env, capture_output=True, text=True)
    check(r.returncode == 1 and "logo-alts" in r.stderr, "an unknown letterhead key is still refused", r.stderr)

    # ---- a combined merge file: a Part per copy -----------------------------
    letter = open(seed, encoding="utf-8").read().replace("  Moon Jae-in\n", "  {{name}}\n")
    with open("m.md", "w", encoding="utf-8") as f:
        f.write(letter)
    with open("m.csv", "w", encoding="utf-8") as f:
        f.write("name\nRecipient One\nRecipient Two\nRecipient Three\n")
    render("m.md", "merged.pdf", "--merge", "m.csv")
    got = readers("merged.pdf", "merge")
    if got:
        pop, js, doc = got
        check(not tagged.check_tree(doc), "merge: the tree is sound", tagged.check_tree(doc)[:5])
        top = [(dd, role) for dd, role, t, x in pop if dd <= 1]
        check(top == [(0, "Document")] + [(1, "Part")] * 3, "merge: a Document of a Part per copy", top)
        parts = [t for dd, role, t, x in pop if role == "P" and t.startswith("Recipient")]
        check(parts == ["Recipient One", "Recipient Two", "Recipient Three"] or
              [p.split()[1] for p in parts] == ["One", "Two", "Three"], "merge: each Part its own addressee", parts)

finish()
