#!/usr/bin/env python3
"""Typographic quality of the seed letter: interword spacing of justified lines
(measured with shared/tools/spacing.py, the project's yardstick) and hyphenated
line ends, which pdftotext must join again.

usage: test_typography.py MKLETTER REPO_ROOT"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, failures, finish, justified_ends  # noqa: E402

mkletter, root = sys.argv[1], sys.argv[2]



with tempfile.TemporaryDirectory() as tmp:
    pdf = os.path.join(tmp, "seed.pdf")
    r = subprocess.run([mkletter, os.path.join(root, "examples", "open-letter.md"), "-o", pdf])
    check(r.returncode == 0, "seed letter renders", r.returncode)

    # the project's yardstick, beside the checkout (MKL_SPACING_PY names another place):
    # without it the spacing is not measured, and that is a failure, not a pass
    spacing = os.environ.get("MKL_SPACING_PY") or os.path.join(root, "..", "shared", "tools", "spacing.py")
    ko = os.path.join(tmp, "ko.pdf")
    r = subprocess.run([mkletter, os.path.join(root, "examples", "open-letter.ko.md"), "-o", ko])
    check(r.returncode == 0, "Korean example renders", r.returncode)
    if check(os.path.isfile(spacing), "the spacing yardstick shared/tools/spacing.py is there",
             f"{os.path.abspath(spacing)} is missing: interword spacing cannot be measured "
             "(put the shared folder beside the checkout or set MKL_SPACING_PY)"):
        # the seed (issue 14): 0.328 was measured while "...Korean Peninsula.”"
        # ran 2.4 pt past the margin, so spacing.py took the two lines above it
        # for ragged and left them out (0.349 with them); keeping the close
        # together moved three lines where it does not count them, and balanced
        # table entries no longer reach their column's edge, where it counted
        # three of them (gaps 0.226) as justified: 0.348, the body's own lines
        # as they were but for the paragraph that no longer overruns. The Korean
        # example, with hangul-breaks: auto, as even as the issue asks. Glyph
        # expansion (up to 2 %, Tz) takes part of every justified line's
        # stretch: 0.316, 2 hyphenated ends (0.348 and 3 without it).
        # A leading over 150 % of the size makes pdftotext take each line for a
        # block of its own, and spacing.py would measure next to nothing: so
        # each letter must have most of its justified lines measured
        for what, path, max_p95, min_lines in (("seed letter", pdf, 0.33, 50), ("Korean example", ko, 0.37, 25)):
            sp = subprocess.run([sys.executable, spacing, path], capture_output=True, text=True)
            out = sp.stdout
            print("info:", out.strip())
            check(sp.returncode == 0, f"{what}: spacing.py runs", sp.stderr[-300:])
            m = re.search(r"p95=([\d.]+)em .*loose\(>0.55em\)=(\d+)", out)
            check(m is not None, f"{what}: spacing.py output", out)
            n = re.search(r"lines=\s*(\d+)", out)
            check(n is not None and int(n.group(1)) >= min_lines,
                  f"{what}: spacing.py measures at least {min_lines} justified lines", out)
            if m:
                check(float(m.group(1)) <= max_p95, f"{what}: interword spacing p95 <= {max_p95} line heights",
                      m.group(1))
                check(int(m.group(2)) == 0, f"{what}: no justified line with a gap over 0.55", m.group(2))

    # the pen: every justified line ends at the margin, to a few hundredths of a point
    ends = justified_ends(pdf)
    check(len(ends) >= 40, "justified lines found", len(ends))
    if ends:
        check(max(ends) - min(ends) <= 0.05, "justified lines end within 0.05 pt of each other",
              f"{min(ends):.3f} .. {max(ends):.3f}")

    raw = subprocess.run(["pdftotext", "-raw", pdf, "-"], capture_output=True, text=True).stdout.splitlines()
    # a hyphenated line end: a letter and '-' at the end, the next line going on in lower case
    hyph = [(a, b) for a, b in zip(raw, raw[1:]) if re.search(r"[a-z]-$", a) and re.match(r"[a-z]", b)
            and not a.endswith("wide-")]  # "wide-ranging" is written with its hyphen
    print("info: hyphenated line ends:", [a.split()[-1] + b.split()[0] for a, b in hyph])
    check(len(hyph) <= 4, "at most 4 hyphenated line ends", len(hyph))
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    words = set(re.findall(r"[A-Za-z’']+", text))
    for a, b in hyph:
        joined = a.split()[-1][:-1] + re.match(r"[a-z]+", b).group(0)
        check(joined in words, f"pdftotext joins {joined!r}", "not found in the extracted text")

finish()
