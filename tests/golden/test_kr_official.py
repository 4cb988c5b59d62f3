#!/usr/bin/env python3
"""The Korean official document (layout: kr-official, 공문서), read back with
pdftotext -bbox, pdfinfo, pdfimages and mutool: every part's text in reading
order, item labels by depth (1. 가. 1) 가) (1) (가) ① ㉮) 2타 further in per
level with hanging lines, "끝." after the last text or on a line of its own
2타 from the left edge, 붙임 numbering, the date form, A4 and the margins (text
inside 20/15 mm left/right, 30/15 mm top/bottom), the seal over the end of
the 발신명의, "전체-쪽" page numbers, the 결문 kept on the last page with two
lines of the body, and the errors of its keys.

usage: test_kr_official.py MKLETTER REPO_ROOT"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish, squash, words  # noqa: E402

mkletter, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
MM = 72 / 25.4
PW, PH = 595.276, 841.89
LEFT, RIGHT, TOP, BOTTOM = 20 * MM, PW - 15 * MM, 30 * MM, PH - 15 * MM
EM = 11.0   # the body size: 2타 (one Hangul character) is one em


def run(*args):
    return subprocess.run([mkletter, *args], capture_output=True, text=True)




def text(pdf):
    return subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout


def pages(pdf):
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    m = re.search(r"Pages:\s+(\d+)", info)
    return int(m.group(1)) if m else 0, info


def base(w):
    """A word's line: its page and bottom, rounded."""
    return (w[0], round(w[5]))


def in_order(hay, needles):
    at = 0
    for n in needles:
        k = hay.find(squash(n), at)
        if k < 0:
            return n
        at = k + len(squash(n))
    return None


def near(a, b, tol=0.6):
    return abs(a - b) <= tol


example = os.path.join(root, "examples", "official-request.ko.md")
with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    for f in ("official-seal.png", "official-sign.png"):
        shutil.copy(os.path.join(root, "examples", f), f)
    r = run(example, "-o", "ex.pdf")
    check(r.returncode == 0, "the example renders", r.stderr)
    n, info = pages("ex.pdf")
    check(n == 1, "the example is one page", n)
    check(re.search(r"Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info) is not None, "A4", info)
    ws = words("ex.pdf")
    t = squash(text("ex.pdf"))

    # every part, in reading order
    missing = in_order(t, [
        "기억하고 기록하여 정의를 세웁니다", "전환기정의워킹그룹",
        "수신", "통일부장관(인권인도실장)", "제목", "북한 인권 정책에 관한 시민사회단체 면담 요청",
        "1.", "귀 부의 무궁한 발전을 기원합니다.", "2.", "가.", "면담 개요", "1)", "일시: 2020. 3. 16.(월)",
        "2)", "장소:", "3)", "참석:", "나.", "면담 의제", "1)", "2)", "3)", "3.", "알려 주시기 바랍니다.",
        "붙임", "1. 면담 요청서 1부.", "2. 참여 단체 명단 1부.", "끝.",
        "전환기정의워킹그룹 대표",
        "간사 김민지", "사무국장 박준혁", "대표 이영환", "협조자 국제연대팀장 신희석",
        "시행 전환기정의-2020-017 (2020. 2. 21.)",
        "우 03186 서울특별시 종로구 새문안로 92, 8층", "/ tjwg.org",
        "전화번호 02-723-0303", "전송 02-723-0304", "/ info@tjwg.org", "/ 공개"])
    check(missing is None, "every part of the 공문 in reading order (두문, 본문, 붙임, 끝, 결문)", missing)
    whole = {w[1] for w in ws}
    check({"위한", "면담을", "실태의", "요청하오니"} <= whole, "Korean words (eojeol) kept whole at line ends", sorted(whole)[:0])
    check("2020-02-21" not in t and "(2020.2.21.)" in t, "the date in the official form: 2020. 2. 21.")

    # the larger lines: 발신기관명, 제목, 발신명의
    size = {w[1]: w[5] - w[3] for w in ws}
    body_h = size.get("귀", 0)
    check(size.get("전환기정의워킹그룹", 0) > 1.5 * body_h and size.get("요청", 0) > 1.1 * body_h, "발신기관명 and 제목 set larger",
          (size.get("전환기정의워킹그룹"), size.get("요청"), body_h))
    name = [w for w in ws if w[1] == "전환기정의워킹그룹"]
    check(len(name) == 2 and near((name[0][2] + name[0][4]) / 2, (LEFT + RIGHT) / 2, 1.0), "발신기관명 centred", name[:1])

    # the margins: every word inside the text area
    out = [w for w in ws if w[2] < LEFT - 0.3 or w[4] > RIGHT + 0.3 or w[3] < TOP - 0.3 or w[5] > BOTTOM + 0.3]
    check(not out, "every word inside 20/15 mm left/right, 30/15 mm top/bottom", out[:5])
    check(near(min(w[2] for w in ws), LEFT, 0.3), "text starts at the left margin (20 mm)")
    check(max(w[4] for w in ws) > RIGHT - 1.0, "justified lines reach the right margin (15 mm)", max(w[4] for w in ws))

    # item labels: depth d at LEFT + (d - 1) em; the text 1타 after the label; wrapped lines under the text
    def line_start(w, vw):
        """The first word of its line (or the first after 붙임)."""
        return not any(o[2] < w[2] and base(o) == base(w) and o[1] != "붙임" for o in vw)
    labels = [(w[1], w[2], w[4], base(w)) for w in ws if w[1] in ("1.", "2.", "3.", "가.", "나.", "1)", "2)", "3)")
              and line_start(w, ws)]
    want = [("1.", 0), ("2.", 0), ("가.", 1), ("1)", 2), ("2)", 2), ("3)", 2), ("나.", 1), ("1)", 2), ("2)", 2), ("3)", 2),
            ("3.", 0), ("1.", 4.0), ("2.", 4.0)]
    got = [(lab, round((x0 - LEFT) / EM, 1)) for lab, x0, _, _ in labels]
    check([g[0] for g in got] == [w_[0] for w_ in want], "the labels by depth: 1. 가. 1) ... 나. ... 3. and 붙임's 1. 2.", got)
    check(all(near(g[1], w_[1], 0.06) for g, w_ in zip(got[:11], want[:11])), "each level 2타 (one em) further in", got)
    after = []
    for lab, x0, x1, ln in labels[:11]:
        nxt = min((w for w in ws if base(w) == ln and w[2] > x1), key=lambda w: w[2], default=None)
        after.append(nxt is not None and near(nxt[2], x1 + EM / 2, 0.6))
    check(all(after), "the item's text 1타 after its label", after)
    two = [w for w in ws if w[1] == "2."][0]
    first_text = min((w for w in ws if base(w) == base(two) and w[2] > two[4]), key=lambda w: w[2])
    second = sorted({base(w) for w in ws if base(w)[1] > base(two)[1]})[0]
    second_x = min(w[2] for w in ws if base(w) == second)
    check(near(second_x, first_text[2], 0.3), "a wrapped line hangs under the item's text, not its label", (second_x, first_text[2]))

    # 붙임: its items numbered, aligned; "끝." 2타 after the last one
    encl = [w for w in ws if w[1] == "붙임"]
    one = [w for w in ws if w[1] == "1." and encl and base(w) == base(encl[0])]
    check(encl and one and near(one[0][2], encl[0][4] + EM, 0.6), "붙임, 2타, then 1. on its line", (encl, one))
    two_e = [w for w in ws if w[1] == "2." and one and near(w[2], one[0][2], 0.3) and base(w)[1] > base(one[0])[1]]
    check(len(two_e) == 1, "the second enclosure's number under the first")
    end = [w for w in ws if w[1] == "끝."]
    last_encl = [w for w in ws if w[1] == "1부." and two_e and base(w) == base(two_e[0])]
    check(len(end) == 1 and last_encl and base(end[0]) == base(last_encl[0]) and near(end[0][2], last_encl[0][4] + EM, 0.6),
          "끝. 2타 after the last 붙임 item, on its line", (end, last_encl))

    # 발신명의 centred and larger, the seal over its last character
    sender = [w for w in ws if w[1] == "대표" and w[5] - w[3] > 1.4 * body_h]
    trace = subprocess.run(["mutool", "trace", "ex.pdf"], capture_output=True, text=True).stdout
    imgs = [tuple(float(v) for v in m.groups()) for m in
            re.finditer(r'<fill_image[^>]*transform="([-\d.]+) 0 -?0 ([-\d.]+) ([-\d.]+) ([-\d.]+)"', trace)]
    check(len(imgs) == 2, "two images: the seal and a signature", imgs)
    if sender and imgs:
        sx0, sy0, sx1, sy1 = sender[0][2:6]
        seal = max(imgs, key=lambda m: m[0])
        cx, cy = seal[2] + seal[0] / 2, seal[3] + seal[1] / 2
        last_char = sx1 - (sx1 - sx0) / 2 / 2   # the centre of 표, the second of two characters
        check(near(cx, last_char, 2.5) and sy0 - 4 < cy < sy1 + 4, "the seal's centre on the 발신명의's last character",
              ((cx, cy), (last_char, sy0, sy1)))
        check(10 * MM < seal[0] < 25 * MM, "the seal 1-2.5 cm", seal[0] / MM)
    # the approval line at the foot of the page
    foot = [w for w in ws if w[1] in ("간사", "시행", "전화번호")]
    check(len(foot) == 3 and all(w[5] > PH / 2 for w in foot) and foot[0][3] < foot[1][3] < foot[2][3],
          "approval line, 시행, 전화 rows in order at the foot", foot)
    junsu = [w for w in ws if w[1] == "접수"]
    sihaeng = [w for w in ws if w[1] == "시행"]
    check(junsu and sihaeng and base(junsu[0]) == base(sihaeng[0]) and junsu[0][2] > PW / 2,
          "접수 beside 시행, left blank for the receiver", junsu)
    r = subprocess.run(["pdffonts", "ex.pdf"], capture_output=True, text=True)
    check(re.search(r"Myeongjo|SerifCJK", r.stdout) and re.search(r"Gothic|SansCJK", r.stdout),
          "바탕 (serif) for the text, 돋움 (sans) for the heads", r.stdout)

    # "끝." without enclosures: after a short last line, or on the next line 2타 from the left edge
    src = open(example, encoding="utf-8").read()
    src = src.replace("official-seal.png", os.path.join(root, "examples", "official-seal.png")) \
             .replace("official-sign.png", os.path.join(root, "examples", "official-sign.png"))
    no_encl = re.sub(r"enclosures:\n(  - .*\n)+", "", src)
    last = "3. 면담 일시와 장소가 정해지면 담당자(국제연대팀, 전화 02-723-0303, 전자우편 info@tjwg.org)에게 알려 주시기 바랍니다."
    seen = {"same": 0, "next": 0}
    bad = []
    variants = ["가나다라마 " * n + "바사" for n in range(8, 30)] + ["가나다 " * n for n in range(14, 40)]
    for k, filler in enumerate(variants):
        body = no_encl.replace(last, "3. 면담 일시와 장소가 정해지면 알려 주시기 바랍니다. " + filler)
        with open(f"v{k}.md", "w", encoding="utf-8") as f:
            f.write(body)
        r = run(f"v{k}.md", "-o", f"v{k}.pdf")
        if r.returncode:
            bad.append((k, r.stderr))
            continue
        vw = words(f"v{k}.pdf")
        e = [w for w in vw if w[1] == "끝."]
        if len(e) != 1:
            bad.append((k, "끝. count", len(e)))
            continue
        e = e[0]
        line = [w for w in vw if base(w) == base(e) and w is not e]
        if line:
            prev = max(line, key=lambda w: w[4])
            ok = near(e[2], prev[4] + EM, 0.6) and e[4] <= RIGHT + 0.3
            seen["same"] += 1
        else:
            above = sorted({base(w) for w in vw if w[0] == e[0] and base(w)[1] < base(e)[1]})[-1]
            prev = max((w for w in vw if base(w) == above), key=lambda w: w[4])
            ok = near(e[2], LEFT + EM, 0.6) and prev[4] + EM + (e[4] - e[2]) > RIGHT - 0.3
            seen["next"] += 1
        if not ok:
            bad.append((k, e, prev))
    check(not bad, "끝. placed by the rule in every variant", bad[:3])
    check(seen["same"] >= 1 and seen["next"] >= 1, "both cases seen: a short last line and one that reaches the right edge", seen)

    # eight levels of items
    deep = "---\nlayout: kr-official\nletterhead: {name: 기관}\nto: 수신처\nsubject: 항목\n---\n\n"
    for d in range(8):
        deep += "   " * d + f"1. 수준 {d + 1}\n"
    with open("deep.md", "w", encoding="utf-8") as f:
        f.write(deep)
    r = run("deep.md", "-o", "deep.pdf")
    dw = words("deep.pdf") if r.returncode == 0 else []
    labs = [(w[1], round((w[2] - LEFT) / EM, 2)) for w in dw if w[1] in ("1.", "가.", "1)", "가)", "(1)", "(가)", "①", "㉮")
            and line_start(w, dw)]
    check([lab for lab, _ in labs] == ["1.", "가.", "1)", "가)", "(1)", "(가)", "①", "㉮"], "labels of eight depths", (labs, r.stderr))
    check(all(near(x, i, 0.05) for i, (_, x) in enumerate(labs)), "each depth one 2타 step further in", labs)

    # many pages: "전체-쪽" numbers, the 결문 on the last page with two lines of the body
    long_body = src.replace(last, "\n".join(f"{i}. 반복되는 문단입니다. " * 1 + "면담을 요청하는 이유를 자세히 적습니다. " * 6
                                             for i in range(3, 40)))
    with open("long.md", "w", encoding="utf-8") as f:
        f.write(long_body)
    r = run("long.md", "-o", "long.pdf")
    n, _ = pages("long.pdf")
    lw = words("long.pdf") if r.returncode == 0 else []
    check(r.returncode == 0 and n >= 3, "a long 공문 runs over pages", (n, r.stderr))
    folios = [w[1] for w in lw if re.fullmatch(r"\d+-\d+", w[1]) and w[3] > PH - 30 * MM]
    check(folios == [f"{n}-{i}" for i in range(1, n + 1)], "every page numbered 전체-쪽 at its foot", folios)
    check("Page" not in text("long.pdf"), "no English folio")
    out = [w for w in lw if w[2] < LEFT - 0.3 or w[4] > RIGHT + 0.3 or w[3] < TOP - 0.3 or w[5] > BOTTOM + 0.3]
    check(not out, "every page inside the margins", out[:3])
    sender = [w for w in lw if w[1] == "대표" and w[5] - w[3] > 1.4 * body_h]
    if sender:
        lastp = sender[0][0]
        body_lines = {base(w) for w in lw if w[0] == lastp and w[5] < sender[0][3] and w[1] != "끝."}
        check(lastp == n and len(body_lines) >= 2, "the 결문 on the last page with at least two lines of the body",
              (lastp, n, len(body_lines)))
    else:
        check(False, "the 발신명의 of the long 공문")
    # the body grows a line at a time: the 결문 never overlaps it or the foot,
    # stays on the last page, and takes two lines of the body when it moves
    grown, two_pages, bad = 0, 0, []
    for extra in range(4, 26):
        body = no_encl.replace(last, "\n".join(f"{i}. 면담을 요청하는 이유를 적습니다." for i in range(3, extra)))
        with open("fit.md", "w", encoding="utf-8") as f:
            f.write(body)
        if run("fit.md", "-o", "fit.pdf").returncode:
            bad.append((extra, "render"))
            continue
        fw, np_ = words("fit.pdf"), pages("fit.pdf")[0]
        s2 = [w for w in fw if w[1] == "대표" and w[5] - w[3] > 1.4 * body_h]
        foot2 = [w for w in fw if w[1] == "간사"]
        if not s2 or not foot2:
            bad.append((extra, "parts"))
            continue
        sp = s2[0][0]
        above = {base(w) for w in fw if w[0] == sp and w[5] < s2[0][3] and w[1] != "끝."}
        body_above = [w for w in fw if w[0] == sp and w[3] < foot2[0][3] and w[5] > s2[0][3] + 1 and base(w) != base(s2[0])]
        grown += 1
        two_pages += np_ >= 2
        if sp != np_ or foot2[0][0] != np_ or len(above) < 2 or s2[0][5] + 30 > foot2[0][3] or body_above:
            bad.append((extra, np_, sp, len(above), s2[0][5], foot2[0][3], body_above[:2]))
    check(not bad and grown == 22 and 1 <= two_pages < 22,
          "as the body grows line by line the 결문 stays whole on the last page, clear of the foot, with two lines of the body",
          (bad[:3], grown, two_pages))

    # the keys: documented ones work, others are errors at their place
    def err(front, needle, where):
        with open("e.md", "w", encoding="utf-8") as f:
            f.write("---\n" + front + "---\n\n1. 본문\n")
        r = run("e.md", "-o", "e.pdf")
        check(r.returncode == 1 and r.stderr.startswith("e.md:" + where) and needle in r.stderr, f"error: {needle}", r.stderr)
        check(not os.path.exists("e.pdf"), "no output after an error")
    err("layout: kr-official\nofficial:\n  numbr: 1\n", "unknown key 'numbr' in 'official'", "4:3:")
    err("layout: kr-official\nopening: 안녕하십니까\n", "'opening' has no place", "3:1:")
    err("layout: plain\nofficial: {number: 1}\n", "'official' is for 'layout: kr-official'", "3:11:")
    err("layout: kr-official\nofficial:\n  disclosure: 비밀\n", "'disclosure' must be", "4:15:")
    err("layout: kr-official\nlang: en\n", "'lang' must be ko", "3:7:")
    err("layout: kr-official\npaper: letter\n", "A4", "3:8:")
    # a mail merge fills the official parts too
    with open("m.md", "w", encoding="utf-8") as f:
        f.write("---\nlayout: kr-official\nto: '{{to}}'\nofficial: {number: '전환기정의-{{n}}', reference: '{{ref}}'}\n---\n\n1. 본문\n")
    with open("m.csv", "w", encoding="utf-8") as f:
        f.write("to,n,ref\n통일부장관,2020-031,인권인도실장\n외교부장관,2020-032,다자외교조정관\n")
    r = run("m.md", "--merge", "m.csv", "-o", "m-{{n}}.pdf")
    check(r.returncode == 0 and "외교부장관(다자외교조정관)" in squash(text("m-2020-032.pdf")) and
          "시행전환기정의-2020-032" in squash(text("m-2020-032.pdf")), "a merge fills 수신, 참조 and 시행", r.stderr)
    for ok in ("공개", "부분공개(5)", "비공개(6)"):
        with open("d.md", "w", encoding="utf-8") as f:
            f.write(f"---\nlayout: kr-official\nofficial: {{disclosure: {ok}}}\n---\n\n본문\n")
        r = run("d.md", "-o", "d.pdf")
        check(r.returncode == 0 and ok in squash(text("d.pdf")), f"공개 구분 {ok}", r.stderr)
    # tagged, as every letter: each part an element in reading order (the 결문's
    # entries Ps of a Div, the seal and signature Figures with their alt
    # text), every mark tagged or an artifact (the folio, the rules)
    import tagged  # noqa: E402 (tests/, on sys.path above)
    problems = tagged.check_tree(tagged.Doc("ex.pdf"))
    check(not problems, "the 공문 is tagged: every mark in an element or an artifact", problems[:5])
    st = subprocess.run(["pdfinfo", "-struct-text", "ex.pdf"], capture_output=True, text=True).stdout
    ps = [squash(m) for m in re.findall(r'^\s*"(.*)"$', st, re.M)]
    missing = in_order(" ".join(ps), ["전환기정의워킹그룹", "수신", "제목", "귀 부의 무궁한 발전을 기원합니다.", "붙임",
                                      "1부.끝.", "전환기정의워킹그룹 대표", "간사", "시행", "공개"])
    check(not missing and st.count("P (block)") >= 15, "the structure reads the parts in order, each a P", missing)
    check(st.count("Figure") >= 2 and "/Alt" in str(tagged.Doc("ex.pdf").objs) , "the seal and the signature are Figures with /Alt")
finish()
