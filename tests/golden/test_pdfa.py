#!/usr/bin/env python3
"""--pdfa: the seed letter as PDF/A-1b. No PDF/A validator ships with Debian,
so this checks the structure the standard asks for: version 1.4, an
unfiltered XMP packet claiming part 1 / conformance B whose title and author
match the info dictionary, an sRGB output intent with its profile, a CIDSet
in every font descriptor, a file ID, no transparency; and that the output
is reproducible.

usage: test_pdfa.py MKLETTER REPO_ROOT"""
import os
import re
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, failures, finish  # noqa: E402

mkletter, root = sys.argv[1], sys.argv[2]



env = dict(os.environ, SOURCE_DATE_EPOCH="1582243200")
with tempfile.TemporaryDirectory() as tmp:
    a, b = os.path.join(tmp, "a.pdf"), os.path.join(tmp, "b.pdf")
    for out in (a, b):
        r = subprocess.run([mkletter, "--pdfa", os.path.join(root, "examples", "open-letter.md"), "-o", out],
                           env=env, capture_output=True, text=True)
        check(r.returncode == 0, "renders with --pdfa", r.stderr)
    check(open(a, "rb").read() == open(b, "rb").read(), "the same letter gives the same bytes")
    q = subprocess.run(["qpdf", "--check", a], capture_output=True, text=True)
    check(q.returncode == 0 and "No syntax or stream encoding errors" in q.stdout, "qpdf --check", q.stdout[-300:])
    info = subprocess.run(["pdfinfo", a], capture_output=True, text=True).stdout
    check(re.search(r"PDF version:\s+1\.4", info) is not None, "PDF version 1.4", info)
    check(re.search(r"Metadata Stream:\s+yes", info) is not None, "an XMP metadata stream", info)
    raw = open(a, "rb").read()
    check(re.search(rb"/ID \[ ?<[0-9a-fA-F]{32}> ?<[0-9a-fA-F]{32}> ?\]", raw) is not None, "a file ID in the trailer")
    qdf = os.path.join(tmp, "q.pdf")
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", a, qdf], check=True)
    d = open(qdf, "rb").read().decode("latin-1")
    m = re.search(r"<x:xmpmeta.*?</x:xmpmeta>", d, re.S)
    check(m is not None, "the XMP packet is readable (not compressed)")
    xmp = m.group(0).encode("latin-1").decode("utf-8") if m else ""
    check("<pdfaid:part>1</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp,
          "XMP claims PDF/A-1b", xmp[-300:])
    title = re.search(r"Title:\s+(.*)", info).group(1)
    author = re.search(r"Author:\s+(.*)", info).group(1)
    check(title in xmp, "XMP dc:title equals the info title", title)
    check(author in xmp, "XMP dc:creator equals the info author", author)
    check("/GTS_PDFA1" in d and "/DestOutputProfile" in d, "an sRGB output intent with its profile")
    fds = d.count("/Type /FontDescriptor")
    check(fds > 0 and d.count("/CIDSet") == fds, "a CIDSet in every font descriptor", f"{d.count('/CIDSet')} of {fds}")
    check("/SMask" not in d and "/Transparency" not in d, "no transparency")
    fonts = subprocess.run(["pdffonts", a], capture_output=True, text=True).stdout.splitlines()[2:]
    check(all(re.search(r"yes\s+yes\s+yes", f) for f in fonts), "every font embedded, subset, with ToUnicode")

finish()
