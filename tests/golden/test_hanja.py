#!/usr/bin/env python3
"""Hanja out of the box: every one of the 4,888 Hanja of KS X 1001 (lead
bytes 0xCA-0xFD, trail 0xA1-0xFE of EUC-KR) in a Korean letter set in the
default fonts, in body text, a heading, the address and a signatory note.

- the letter renders (fallback by coverage: no family of the letter covers them);
- pdftotext gives every one back;
- in the body they are in the serif Noto Serif CJK KR (fonts-noto-cjk, which
  scripts/deps installs), which goes with Nanum Myeongjo; in the (bold)
  heading in the sans Noto Sans CJK KR Bold, at the weight of the Latin bold
  beside it, as MuPDF's text tells per character;
- pdffonts: the serif CJK font embedded as CFF, emb/sub/uni;
- Fontconfig is not even initialised for a letter the bundled fonts cover;
- a character no installed font covers is still exit 1, at its line:column,
  and the message says what to install.

usage: test_hanja.py MKLETTER REPO_ROOT"""
import html
import os
import re
import sys
import tempfile
import unicodedata
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, run, text  # noqa: E402

mkletter, root = sys.argv[1], sys.argv[2]
HANJA = [bytes([a, b]).decode("euc_kr") for a in range(0xCA, 0xFE) for b in range(0xA1, 0xFF)]


def lines(chars, n=40):
    return "\n".join("".join(chars[i:i + n]) for i in range(0, len(chars), n))


def fonts_per_char(pdf):
    """{character (NFC): set of font names} from MuPDF's structured text."""
    r = run(["mutool", "draw", "-q", "-F", "stext", "-o", "-", pdf])
    out, font = {}, ""
    for line in text(r.stdout).splitlines():
        m = re.search(r'<font name="([^"]*)"', line)
        if m:
            font = m.group(1)
        m = re.search(r' c="([^"]*)"', line)
        if m and "<char" in line:
            out.setdefault(unicodedata.normalize("NFC", html.unescape(m.group(1))), set()).add(font)
    return out


def main():
    check(len(HANJA) == 4888 and len(set(HANJA)) == 4888, "4,888 distinct Hanja", str(len(set(HANJA))))
    with tempfile.TemporaryDirectory() as tmp:
        # body: every Hanja, 40 to a line; heading: every Hanja; the address and a note: a few
        src = os.path.join(tmp, "hanja.md")
        with open(src, "w", encoding="utf-8") as f:
            f.write("---\nlang: ko\nto: |\n  前 유엔 특별보고관 貴下\n  서울 鍾路區\n"
                    "subject: 漢字 시험\n"
                    "signatories:\n  - heading: 個人\n    entries:\n"
                    "      - {name: 마르주키 다루스만, note: 前 유엔 特別報告官}\n---\n\n")
            f.write("# HEAD" + "".join(HANJA) + "\n\n")
            f.write("BODY " + lines(HANJA).replace("\n", " ") + " END\n")
        pdf = os.path.join(tmp, "hanja.pdf")
        r = run([mkletter, src, "-o", pdf])
        check(r.returncode == 0, "the Hanja letter renders", text(r.stderr))
        if r.returncode == 0:
            got = text(run(["pdftotext", pdf, "-"]).stdout)
            # the heading (TrueType) gives every one back as written
            head = got.split("HEAD")[-1].split("BODY")[0]
            missing = [c for c in HANJA if c not in head]
            check(not missing, "pdftotext gives every Hanja of the heading back", f"{len(missing)} missing: "
                  f"{''.join(missing[:20])}")
            # and the body (CFF), exactly: Noto CJK draws each of the 268 compatibility ideographs
            # (豈 U+F900 ...) with the glyph of its unified twin, and a CIDFontType0 has no
            # CIDToGIDMap to give one glyph a second CID: the second text is drawn from a twin subset
            body = got.split("BODY")[-1].split("END")[0]
            missing = [c for c in HANJA if c not in body]
            check(not missing, "pdftotext gives every Hanja of the body back as written", f"{len(missing)} missing: "
                  f"{''.join(missing[:20])} {[hex(ord(c)) for c in missing[:5]]}")
            compat = [c for c in HANJA if unicodedata.normalize("NFC", c) != c]
            check(len(compat) == 268, "268 compatibility ideographs", str(len(compat)))
            for w in ("前 유엔 특별보고관 貴下", "鍾路區", "前 유엔 特別報告官", "個人"):
                check(w in got, f"comes back: {w}")
            fl = [l for l in text(run(["pdffonts", pdf]).stdout).splitlines() if "NotoSerifCJKkr-Regular" in l]
            # twins: 樂 has four texts (U+6A02 and three compatibility forms) for one glyph
            check(1 <= len(fl) <= 4 and all("CID Type 0C" in l and re.search(r"yes\s+yes\s+yes", l) for l in fl),
                  "pdffonts: Noto Serif CJK KR embedded as CFF (and twins for further texts), emb sub uni",
                  str(fl))
            per = fonts_per_char(pdf)
            nfc = [unicodedata.normalize("NFC", c) for c in HANJA]
            notserif = [c for c in nfc if not any("NotoSerifCJKkr" in f for f in per.get(c, ()))]
            check(not notserif, "every Hanja is set in Noto Serif CJK KR somewhere (the body)",
                  "".join(notserif[:20]))
            # the heading is bold: Hangul and Hanja in the sans bold at Liberation Sans Bold's weight
            notsans = [c for c in nfc if not any("NotoSansCJKkr-Bold" in f for f in per.get(c, ()))]
            check(not notsans, "every Hanja is set in Noto Sans CJK KR Bold somewhere (the heading)",
                  "".join(notsans[:20]))
            other = {f for c in nfc for f in per.get(c, ())} - {"NotoSerifCJKkr-Regular", "NotoSansCJKkr-Bold",
                                                                 "NanumGothic"}
            check(not other, "no Hanja in any other font", str(other))
            q = run(["qpdf", "--check", pdf])
            check(q.returncode == 0, "qpdf --check clean", text(q.stdout)[-300:])
        # Fontconfig is asked only when the bundled and named fonts miss a character: the seed
        # letter never reads its configuration, the Hanja letter does
        for letter, want in ((os.path.join(root, "examples", "open-letter.md"), False), (src, True)):
            log = os.path.join(tmp, "strace.log")
            # (LeakSanitizer cannot run under ptrace: no leak check under strace)
            env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
            r = run(["strace", "-f", "-e", "trace=openat", "-o", log, mkletter, letter, "-o",
                     os.path.join(tmp, "s.pdf"), "-q"], env=env)
            opened = open(log, encoding="utf-8", errors="replace").read() if os.path.exists(log) else ""
            asked = "fonts.conf" in opened
            check(r.returncode == 0 and asked == want, f"{os.path.basename(letter)}: Fontconfig "
                  f"{'asked' if want else 'not asked'}", f"rc {r.returncode}, asked {asked}: {text(r.stderr)[-300:]}")
        # a character no installed font covers: U+18B00 KHITAN SMALL SCRIPT CHARACTER-18B00
        bad = os.path.join(tmp, "bad.md")
        open(bad, "w", encoding="utf-8").write("---\nlang: ko\n---\n\n前 유엔 \U00018B00 보고관\n")
        r = run([mkletter, bad, "-o", os.path.join(tmp, "bad.pdf")])
        err = text(r.stderr)
        check(r.returncode == 1, "an uncovered character is exit 1", str(r.returncode))
        check(re.search(r"bad\.md:5:6: no installed font covers the character U\+18B00", err) is not None,
              "the message names the character and its line:column", err)
        check("Khitan_Small_Script script (no Debian 12 font package has one)" in err,
              "the message says no Debian package has a font for it", err)
        check(not os.path.exists(os.path.join(tmp, "bad.pdf")), "nothing is written")
    finish()


main()
