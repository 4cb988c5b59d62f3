#!/usr/bin/env python3
"""Balanced breaks for short ragged blocks (issue 14): a letterhead name that
wraps never leaves one word alone on its last line where a balanced break
exists ("… in North / Korea"), and a signatory entry that wraps keeps the
phrase after its last comma whole, starting it on a line of its own where
it fits ("…, / South Korea", not "…, South / Korea"). Read back with
pdftotext -raw, which gives each block's lines in order.

usage: test_balance.py MKLETTER REPO_ROOT
"""
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

NAMES = ["Transitional Justice Working Group in North Korea",
         "Transitional Justice Working Group for Human Rights in North Korea",
         "Citizens' Alliance for North Korean Human Rights and Unification",
         "International Coalition to Stop Crimes against Humanity in North Korea",
         "The Association for the Rescue of North Korea Abductees in Thailand"]
ENTRIES = ["1969 KAL Abductees' Families Association, South Korea",
           "Citizens' Alliance for North Korean Human Rights, South Korea",
           "Network for North Korean Democracy and Human Rights, South Korea",
           "Lawyers for Human Rights and Unification of Korea, South Korea",
           "People for Successful Corean Reunification, South Korea",
           "Improving North Korean Human Rights Center, South Korea",
           "International Solidarity for Freedom of Information in North Korea, South Korea"]


def raw(pdf):
    out = subprocess.run(["pdftotext", "-raw", pdf, "-"], capture_output=True, text=True).stdout
    return [" ".join(line.split()) for line in out.splitlines() if line.strip()]


def main():
    mkl = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="mkletter-balance-") as tmp:
        for n, name in enumerate(NAMES):
            for cols in (1, 2, 3):
                entries = "".join(f"      - \"{e}\"\n" for e in ENTRIES)
                src = os.path.join(tmp, f"l{n}-{cols}.md")
                with open(src, "w", encoding="utf-8") as f:
                    f.write(f"---\ndate: 2020-02-21\nletterhead:\n  name: \"{name}\"\n  lines: [\"60, Sajik-ro 8-gil, "
                            f"Jongno-gu, Seoul 03170, Republic of Korea {'x' * n * 3}\", \"tjwg.org\"]\n"
                            f"signatories:\n  - heading: Organizations\n    columns: {cols}\n    entries:\n{entries}"
                            "---\n\nText.\n")
                pdf = os.path.join(tmp, f"l{n}-{cols}.pdf")
                r = subprocess.run([mkl, src, "-o", pdf, "-q"], capture_output=True, text=True)
                if not check(r.returncode == 0, f"letter {n}/{cols} renders", r.stderr[-300:]):
                    continue
                ls = raw(pdf)
                want = "".join(name.replace("'", "’").split())
                # the name's lines: from the first, as many as its letters fill (pdftotext may
                # drop the space after ’)
                got, k = [], 0
                while k < len(ls) and len("".join("".join(got).split())) < len(want):
                    got.append(ls[k])
                    k += 1
                if cols == 1:
                    check("".join("".join(got).split()) == want, f"letter {n}: the letterhead name comes first", got)
                    if len(got) > 1:
                        check(len(got[-1].split()) >= 2, f"letter {n}: the name's last line is not one word alone",
                              " / ".join(got))
                # an entry that wraps starts its country on a line of its own where the rest fits
                if cols == 2:
                    pair = ("1969 KAL Abductees’ Families Association,", "South Korea")
                    check(any(a.replace("’ ", "’") == pair[0].replace("’ ", "’") and b == pair[1]
                              for a, b in zip(ls, ls[1:])),
                          f"letter {n}/2: '…Association, / South Korea'", [x for x in ls if "Abductees" in x])
                # entries: the phrase after the last comma is never split over lines
                for a, b in zip(ls, ls[1:]):
                    check(not (a.endswith(" South") and b.startswith("Korea")) and not a.endswith(", South"),
                          f"letter {n}/{cols}: no entry breaks inside 'South Korea'", f"{a} / {b}")
    finish()


if __name__ == "__main__":
    main()
