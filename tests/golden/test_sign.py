#!/usr/bin/env python3
"""Signed copies (--sign): PAdES B-B signatures checked with tools that are not
mkletter's: poppler's pdfsig, openssl cms -verify over the byte range, qpdf,
pdftotext. The CA, the signers' certificates and keys are made here with
openssl (RSA-2048 and ECDSA P-256); none is committed.

usage: test_sign.py MKLETTER REPO_ROOT [--valgrind VALGRIND ARGS...]
(with --valgrind: only a signed letter, a signed merge with -j 2 and a PEM
key, each run under VALGRIND ARGS and checked)"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

mkletter, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
VG = sys.argv[4:] if len(sys.argv) > 4 and sys.argv[3] == "--valgrind" else []
PASSWORD = "s3cret pass-phrase"
EPOCH = "1600000000"   # 2020-09-13 12:26:40 UTC

for tool in ("openssl", "pdfsig", "qpdf", "pdftotext", "pdfinfo"):
    if not shutil.which(tool):
        check(False, f"{tool} is installed (scripts/deps installs it)")
        finish()


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, **kw)


def ossl(*args):
    r = sh("openssl", *args)
    if r.returncode:
        raise SystemExit(f"openssl {' '.join(args)}: {r.stderr.decode(errors='replace')}")


def run(*args, password=PASSWORD, extra_env=None):
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    env.pop("MKLETTER_SIGN_PASSWORD", None)
    if password is not None:
        env["MKLETTER_SIGN_PASSWORD"] = password
    env.update(extra_env or {})
    return subprocess.run([*VG, mkletter, *args], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          start_new_session=True)   # no terminal to ask a password on


def pdfsig(pdf):
    return sh("pdfsig", pdf).stdout.decode(errors="replace")


def valid(out):
    return "Signature is Valid." in out and "Total document signed" in out


def signature(pdf):
    """(byte range, the DER CMS) of the file's only signature."""
    d = open(pdf, "rb").read()
    ranges = re.findall(rb"/ByteRange\s*\[\s*(\d+) (\d+) (\d+) (\d+)\s*\]", d)
    if len(ranges) != 1:
        return None, None, d
    a, b, c, n = map(int, ranges[0])
    hexs = d[b + 1:c - 1]
    der = bytes.fromhex(hexs.decode())
    # DER: the signature's own length, the rest of the hole is zeros
    if der[1] & 0x80:
        k = der[1] & 0x7F
        der = der[:2 + k + int.from_bytes(der[2:2 + k], "big")]
    else:
        der = der[:2 + der[1]]
    return (a, b, c, n), der, d


def cms_verify(pdf, data=None, ca="ca.pem"):
    """openssl cms -verify of the byte range: 0 when valid."""
    rng, der, d = signature(pdf)
    if not rng:
        return 99
    if data is not None:
        d = data
    a, b, c, n = rng
    with open("range.bin", "wb") as f:
        f.write(d[a:a + b] + d[c:c + n])
    with open("sig.der", "wb") as f:
        f.write(der)
    return sh("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.der", "-content", "range.bin",
              "-CAfile", ca, "-out", os.devnull).returncode


def cms_print(pdf):
    _, der, _ = signature(pdf)
    with open("sig.der", "wb") as f:
        f.write(der or b"")
    return sh("openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", "sig.der").stdout.decode(errors="replace")


def certs_in(pdf):
    _, der, _ = signature(pdf)
    with open("sig.der", "wb") as f:
        f.write(der or b"")
    out = sh("openssl", "pkcs7", "-inform", "DER", "-in", "sig.der", "-print_certs", "-noout").stdout.decode()
    return re.findall(r"subject=.*?CN ?= ?([^,\n]+)", out)


def text(pdf):
    return sh("pdftotext", pdf, "-").stdout


def no_output_and_named(r, what, path, out):
    check(r.returncode == 1, f"{what}: exit 1", (r.returncode, r.stderr[-300:]))
    check(path in r.stderr, f"{what}: the message names {path}", r.stderr[-300:])
    check(not os.path.exists(out), f"{what}: no output file")
    check(PASSWORD not in r.stderr and "BEGIN" not in r.stderr, f"{what}: no key material in the message", r.stderr)


with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    # a CA, and signers it certifies
    with open("ext.cnf", "w") as f:
        f.write("[signer]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
                "[nosign]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,keyEncipherment\n")
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
         "-subj", "/CN=Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    ossl("ecparam", "-name", "prime256v1", "-out", "ecp256.pem")
    serial = [1]

    def signer(name, newkey, ext="signer", days="30"):
        serial[0] += 1
        ossl("req", "-newkey", newkey, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        ossl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial",
             str(serial[0]), "-out", f"{name}.pem", "-days", days, "-extfile", "ext.cnf",
             "-extensions", ext)

    signer("rsa", "rsa:2048")
    signer("ec", "ec:ecp256.pem")   # ECDSA P-256
    ossl("pkcs12", "-export", "-inkey", "rsa.key", "-in", "rsa.pem", "-certfile", "ca.pem", "-out", "rsa.p12",
         "-passout", "pass:" + PASSWORD)
    ossl("pkcs12", "-export", "-inkey", "rsa.key", "-in", "rsa.pem", "-out", "rsa1.p12", "-passout", "pass:" + PASSWORD)
    # ECDSA as PEM: an encrypted key, the certificates in another file
    ossl("pkey", "-in", "ec.key", "-aes256", "-passout", "pass:" + PASSWORD, "-out", "ec-enc.key")
    with open("ec-chain.pem", "w") as f:
        f.write(open("ec.pem").read() + open("ca.pem").read())

    shutil.copy(os.path.join(root, "examples", "open-letter.md"), "letter.md")
    if VG:
        # memory errors and leaks in loading, signing and the threads' shared key
        with open("m.md", "w") as f:
            f.write(open("letter.md").read().replace("Moon Jae-in\n", "{{name}}\n", 1))
        with open("m.csv", "w") as f:
            f.write("id,name\n1,A\n2,B\n3,C\n")
        os.mkdir("out")
        for what, args in (("PKCS#12", ["letter.md", "-o", "vg.pdf", "--sign", "rsa.p12"]),
                           ("merge -j 2", ["m.md", "--merge", "m.csv", "-o", "out/{{id}}.pdf", "-j", "2", "--sign", "rsa.p12"]),
                           ("PEM", ["letter.md", "-o", "vg-ec.pdf", "--sign", "ec-enc.key", "--sign-cert", "ec-chain.pem"]),
                           ("wrong password", ["letter.md", "-o", "none.pdf", "--sign", "rsa.p12", "--sign-password-file",
                                               "ec.pem"])):
            r = run(*args, password=None if what == "wrong password" else PASSWORD)
            check(r.returncode == (1 if what == "wrong password" else 0), f"under valgrind, {what}: no memory error",
                  r.stderr[-1500:])
        check(valid(pdfsig("vg.pdf")) and valid(pdfsig("vg-ec.pdf")) and valid(pdfsig("out/3.pdf")),
              "under valgrind: the signatures are valid")
        finish()
    r = run("letter.md", "-o", "plain.pdf", password=None)
    check(r.returncode == 0, "unsigned letter renders", r.stderr[-300:])

    # RSA-2048, PKCS#12 with the chain
    r = run("letter.md", "-o", "rsa.pdf", "--sign", "rsa.p12")
    check(r.returncode == 0, "RSA PKCS#12: signed letter renders", r.stderr[-300:])
    out = pdfsig("rsa.pdf")
    check(valid(out), "RSA: pdfsig says valid, whole document signed", out)
    check("ETSI.CAdES.detached" in out and "SHA-256" in out, "RSA: pdfsig sees CAdES detached, SHA-256", out)
    check("Signing Time: Sep 13 2020 12:26:40" in out, "RSA: /M is SOURCE_DATE_EPOCH", out)
    check(cms_verify("rsa.pdf") == 0, "RSA: openssl cms -verify over the byte range")
    check(cms_verify("rsa.pdf", ca="rsa.pem") != 0, "RSA: openssl cms -verify fails with the wrong CA")
    rng, _, d = signature("rsa.pdf")
    check(rng and rng[0] == 0 and rng[2] + rng[3] == len(d), "RSA: the byte range covers the file but the hole", rng)
    printed = cms_print("rsa.pdf")
    check("signingCertificateV2" in printed, "RSA: signing-certificate-v2 attribute", printed[-500:])
    check("contentType" in printed and "messageDigest" in printed, "RSA: contentType and messageDigest")
    check("signingTime" not in printed, "RSA: no signing time in the signed attributes")
    check("sha256" in printed, "RSA: SHA-256 digest")
    check(sorted(certs_in("rsa.pdf")) == ["Test CA", "rsa"], "RSA: the certificate and its chain are in the CMS",
          certs_in("rsa.pdf"))
    q = sh("qpdf", "--check", "rsa.pdf")
    check(q.returncode == 0 and b"No syntax or stream encoding errors" in q.stdout, "RSA: qpdf --check clean",
          q.stdout[-300:])
    check(text("rsa.pdf") == text("plain.pdf") and len(text("plain.pdf")) > 1000, "RSA: pdftotext unchanged")
    info = sh("pdfinfo", "rsa.pdf").stdout.decode()
    check("Form:            AcroForm" in info and "PDF version:     1.5" in info, "RSA: AcroForm in a PDF 1.5 file",
          info)
    raw = sh("qpdf", "--qdf", "--object-streams=disable", "rsa.pdf", "-").stdout
    check(b"/SigFlags 3" in raw and b"/Perms" not in raw, "RSA: /SigFlags 3, no /Perms")
    check(re.search(rb"/F 132\b", raw) and b"/Subtype /Widget" in raw and re.search(rb"/Rect \[\s*0\s+0\s+0\s+0\s*\]", raw),
          "RSA: an invisible, printable, locked widget")
    check(b"/Filter /Adobe.PPKLite" in raw and b"/SubFilter /ETSI.CAdES.detached" in raw, "RSA: PAdES dictionary")
    check(b"MklTop" not in d and b"MklByteRange" not in d, "RSA: no mark or placeholder left")
    # the signature dictionary is a top-level object, not in an object stream
    check(re.search(rb"\d+ 0 obj\s*<<\s*/Type /Sig", d), "RSA: the signature dictionary is outside object streams")
    r2 = run("letter.md", "-o", "rsa2.pdf", "--sign", "rsa.p12")
    check(r2.returncode == 0 and open("rsa2.pdf", "rb").read() == d, "RSA: the same letter signs to the same bytes")

    # flipping one byte anywhere in the signed range: both tools see it
    a, b, c, n = rng
    spots = [40, b // 3, b // 2, b - 40, b - 1, c, c + 5, c + n // 2, c + n - 3]
    m = re.search(rb"/M \(D:2020", d[c:])
    if check(m is not None, "RSA: /M after the hole"):
        spots.append(c + m.start() + 6)
    for at in spots:
        bad = bytearray(d)
        bad[at] ^= 0x01
        with open("flip.pdf", "wb") as f:
            f.write(bad)
        check(not valid(pdfsig("flip.pdf")), f"flip at {at}: pdfsig does not call it valid", pdfsig("flip.pdf")[-300:])
        check(cms_verify("rsa.pdf", data=bytes(bad)) != 0, f"flip at {at}: openssl cms -verify fails")

    # size: one certificate in the chain
    r = run("letter.md", "-o", "rsa1.pdf", "--sign", "rsa1.p12")
    check(r.returncode == 0 and valid(pdfsig("rsa1.pdf")), "RSA without chain: valid", r.stderr[-300:])
    grow = os.path.getsize("rsa1.pdf") - os.path.getsize("plain.pdf")
    print(f"signed letter (RSA-2048, one certificate): {grow} bytes larger than unsigned "
          f"({os.path.getsize('plain.pdf')} -> {os.path.getsize('rsa1.pdf')})")
    check(0 < grow <= 4096, "a signed letter is at most 4 KB larger", grow)

    # ECDSA P-256, encrypted PEM key + certificate file, password from a file (CRLF)
    with open("pw.txt", "wb") as f:
        f.write(PASSWORD.encode() + b"\r\nsecond line\n")
    r = run("letter.md", "-o", "ec.pdf", "--sign", "ec-enc.key", "--sign-cert", "ec-chain.pem",
            "--sign-password-file", "pw.txt", password=None)
    check(r.returncode == 0, "ECDSA PEM + password file: renders", r.stderr[-300:])
    check(valid(pdfsig("ec.pdf")), "ECDSA: pdfsig valid", pdfsig("ec.pdf"))
    check(cms_verify("ec.pdf") == 0, "ECDSA: openssl cms -verify")
    check("ecdsa-with-SHA256" in cms_print("ec.pdf"), "ECDSA: signed with ecdsa-with-SHA256")
    check(sh("qpdf", "--check", "ec.pdf").returncode == 0, "ECDSA: qpdf --check clean")
    # the key and its certificates in one PEM file, not encrypted
    with open("ec-all.pem", "w") as f:
        f.write(open("ec.key").read() + open("ec-chain.pem").read())
    r = run("letter.md", "-o", "ec1.pdf", "--sign", "ec-all.pem", password=None)
    check(r.returncode == 0 and valid(pdfsig("ec1.pdf")), "ECDSA: key and certificates in one PEM file", r.stderr[-300:])

    # PDF/A-1b with a signature
    r = run("letter.md", "-o", "pdfa.pdf", "--pdfa", "--sign", "rsa.p12")
    check(r.returncode == 0, "--pdfa --sign renders", r.stderr[-300:])
    check(valid(pdfsig("pdfa.pdf")), "PDF/A: pdfsig valid", pdfsig("pdfa.pdf"))
    check(cms_verify("pdfa.pdf") == 0, "PDF/A: openssl cms -verify")
    info = sh("pdfinfo", "pdfa.pdf").stdout.decode() + sh("pdfinfo", "-meta", "pdfa.pdf").stdout.decode()
    check("PDF version:     1.4" in info and "pdfaid:part>1" in info, "PDF/A: still PDF 1.4 with its XMP id", info[-400:])
    pa = open("pdfa.pdf", "rb").read()
    check(b"/ObjStm" not in pa and b"/XRef" not in pa, "PDF/A: no object or cross-reference streams")
    check(re.search(rb"/F 132\b", pa) and re.search(rb"/AP\s*<<\s*/N \d+ 0 R", pa), "PDF/A: widget printable, with an appearance")
    check(sh("qpdf", "--check", "pdfa.pdf").returncode == 0, "PDF/A: qpdf --check clean")

    # the tags hold with a signature: the widget is in a Form element of the
    # structure (with --pdfua and --pdfa too), and the tree stays sound
    import tagged  # noqa: E402 (tests/, on sys.path above)
    for what, extra in [("tagged", []), ("--pdfua", ["--pdfua"]), ("--pdfa --pdfua", ["--pdfa", "--pdfua"])]:
        out = "tagged-" + str(len(extra)) + ".pdf"
        r = run("letter.md", "-o", out, "--sign", "rsa.p12", *extra)
        check(r.returncode == 0 and valid(pdfsig(out)), f"{what} + --sign: renders, pdfsig valid", r.stderr[-300:])
        if r.returncode:
            continue
        problems = tagged.check_tree(tagged.Doc(out))
        check(not problems, f"{what} + --sign: the structure tree is sound, the widget in its Form element", problems[:5])
        check("Form" in sh("pdfinfo", "-struct", out).stdout.decode(errors="replace"),
              f"{what} + --sign: poppler reads a Form element", "")

    # every copy of a merge signed, one file each (workers) and a combined file
    with open("m.md", "w") as f:
        f.write(open("letter.md").read().replace("Moon Jae-in\n", "{{name}}\n", 1))
    with open("m.csv", "w") as f:
        f.write("id,name\n" + "".join(f"{i},Person {i}\n" for i in range(1, 7)))
    os.mkdir("out")
    r = run("m.md", "--merge", "m.csv", "-o", "out/{{id}}.pdf", "-j", "2", "--sign", "rsa.p12", "--quiet")
    check(r.returncode == 0, "merge --sign -j 2 runs", r.stderr[-300:])
    files = sorted(os.listdir("out")) if os.path.isdir("out") else []
    check(len(files) == 6, "merge: six files", files)
    digests = set()
    for name in files:
        p = os.path.join("out", name)
        check(valid(pdfsig(p)), f"merge: {name} has a valid signature")
        check(cms_verify(p) == 0, f"merge: {name} verifies with openssl")
        digests.add(signature(p)[1])
        check(f"Person {name[:-4]}" in text(p).decode(), f"merge: {name} is its row's copy")
    check(len(digests) == 6, "merge: each copy has its own signature")
    r = run("m.md", "--merge", "m.csv", "-o", "all.pdf", "--sign", "rsa.p12", "--quiet")
    check(r.returncode == 0 and valid(pdfsig("all.pdf")), "combined print file: one valid signature", r.stderr[-300:])
    check(pdfsig("all.pdf").count("Signature #") == 1, "combined print file: exactly one signature")

    # errors: exit 1, the file named, nothing written
    os.makedirs("none", exist_ok=True)
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "rsa.p12", password="wrong")
    no_output_and_named(r, "wrong PKCS#12 password", "rsa.p12", "none/x.pdf")
    check("password" in r.stderr, "wrong password: says so", r.stderr)
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "ec-enc.key", "--sign-cert", "ec-chain.pem", password="wrong")
    no_output_and_named(r, "wrong PEM password", "ec-enc.key", "none/x.pdf")
    r = run("m.md", "--merge", "m.csv", "-o", "none/{{id}}.pdf", "--sign", "rsa.p12", password="wrong")
    check(r.returncode == 1 and not os.listdir("none"), "merge with a wrong password: exit 1, no files")
    signer("expired", "rsa:2048", days="-1")
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "expired.key", "--sign-cert", "expired.pem", password=None)
    no_output_and_named(r, "expired certificate", "expired.pem", "none/x.pdf")
    check("expired" in r.stderr, "expired certificate: says so", r.stderr)
    # not valid yet: made with openssl ca, which takes a start date
    with open("ca.cnf", "w") as f:
        f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\n"
                "policy=p\nx509_extensions=e\n[p]\ncommonName=supplied\n[e]\nkeyUsage=critical,digitalSignature\n")
    open("index.txt", "w").close()
    with open("serial", "w") as f:
        f.write("1000\n")
    ossl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "rsa.csr", "-out",
         "future.pem", "-startdate", "20990101000000Z", "-enddate", "21000101000000Z", "-notext")
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "rsa.key", "--sign-cert", "future.pem", password=None)
    no_output_and_named(r, "not yet valid certificate", "future.pem", "none/x.pdf")
    check("not valid before" in r.stderr, "not yet valid: says so", r.stderr)
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "ec.key", "--sign-cert", "rsa.pem", password=None)
    no_output_and_named(r, "key not matching the certificate", "rsa.pem", "none/x.pdf")
    signer("nosign", "rsa:2048", ext="nosign")
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "nosign.key", "--sign-cert", "nosign.pem", password=None)
    no_output_and_named(r, "certificate without digitalSignature", "nosign.pem", "none/x.pdf")
    check("key usage" in r.stderr, "no digitalSignature: says key usage", r.stderr)
    p12 = open("rsa.p12", "rb").read()
    with open("damaged.p12", "wb") as f:
        f.write(p12[:len(p12) // 2])
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "damaged.p12")
    no_output_and_named(r, "damaged PKCS#12", "damaged.p12", "none/x.pdf")
    check("damaged" in r.stderr, "damaged PKCS#12: says so", r.stderr)
    flipped = bytearray(p12)
    flipped[len(p12) // 2] ^= 0xFF
    with open("flipped.p12", "wb") as f:
        f.write(flipped)
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "flipped.p12")
    no_output_and_named(r, "PKCS#12 with a changed byte", "flipped.p12", "none/x.pdf")
    with open("letter.txt", "w") as f:
        f.write("not a key\n")
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "letter.txt")
    no_output_and_named(r, "not a PKCS#12 file", "letter.txt", "none/x.pdf")
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "rsa.pem", password=None)
    no_output_and_named(r, "a certificate without its key", "rsa.pem", "none/x.pdf")
    ossl("genpkey", "-algorithm", "ed25519", "-out", "ed.key")
    ossl("req", "-x509", "-key", "ed.key", "-out", "ed.pem", "-subj", "/CN=ed", "-days", "3")
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "ed.key", "--sign-cert", "ed.pem", password=None)
    no_output_and_named(r, "an Ed25519 key", "ed.key", "none/x.pdf")
    check("only RSA and ECDSA" in r.stderr, "Ed25519: says which keys sign", r.stderr)
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "missing.p12")
    no_output_and_named(r, "a key file that is not there", "missing.p12", "none/x.pdf")
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "rsa.p12", "--sign-password-file", "nopw.txt", password=None)
    no_output_and_named(r, "a password file that is not there", "nopw.txt", "none/x.pdf")
    r = run("letter.md", "-o", "none/x.pdf", "--sign", "rsa.p12", password=None)
    no_output_and_named(r, "no password and no terminal", "rsa.p12", "none/x.pdf")
    # the password typed on a terminal (script(1) gives the run one): asked, not echoed
    if check(shutil.which("script") is not None, "script (util-linux, Debian bsdutils) is installed"):
        env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
        env.pop("MKLETTER_SIGN_PASSWORD", None)
        cmd = " ".join([mkletter, "letter.md", "-o", "tty.pdf", "--sign", "rsa.p12", "-q"])
        t = subprocess.Popen(["script", "-qec", cmd, os.devnull], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        shown = b""
        while b"Password for" not in shown:   # typed once asked
            c = os.read(t.stdout.fileno(), 1)
            if not c:
                break
            shown += c
        more, _ = t.communicate(PASSWORD.encode() + b"\n", timeout=60)
        shown += more
        check(t.returncode == 0 and valid(pdfsig("tty.pdf")), "password typed on the terminal: signed", shown)
        check(b"Password for rsa.p12" in shown and PASSWORD.encode() not in shown,
              "the terminal shows the question, not the password", shown)
    r = run("letter.md", "-o", "none/x.pdf", "--sign-cert", "rsa.pem")
    check(r.returncode == 2 and not os.path.exists("none/x.pdf"), "--sign-cert without --sign: usage error")

    # libcrypto is loaded when a letter is first signed, not when the program
    # starts: neither the program nor the library names it, an unsigned run
    # never opens it, a signed one does
    if check(shutil.which("strace") is not None and shutil.which("readelf") is not None,
             "strace and readelf are installed (scripts/deps installs them)") and not VG:
        libs = [mkletter] + [p for p in re.findall(r"=> (\S+)", sh("ldd", mkletter).stdout.decode())
                             if "mkletter" in os.path.basename(p)]
        needed = "".join(sh("readelf", "-d", p).stdout.decode() for p in libs)
        check("libcrypto" not in needed and "libhpdf" in needed, "the program does not link libcrypto", needed)

        def opened(*args):
            t = sh("strace", "-f", "-e", "trace=openat,open", "-o", "trace.txt", mkletter, *args,
                   # (LeakSanitizer cannot run under ptrace: a sanitizer build leaves leaks to the other runs)
                   env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, MKLETTER_SIGN_PASSWORD=PASSWORD,
                            ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"),
                   stdin=subprocess.DEVNULL, start_new_session=True)
            return t.returncode, re.findall(r'"([^"]*libcrypto[^"]*)"', open("trace.txt").read())

        code, crypto = opened("letter.md", "-o", "plain-trace.pdf", "-q")
        check(code == 0 and not crypto, "an unsigned letter never opens libcrypto", crypto)
        code, crypto = opened("letter.md", "-o", "signed-trace.pdf", "-q", "--sign", "rsa.p12")
        check(code == 0 and any(c.endswith("libcrypto.so.3") for c in crypto) and valid(pdfsig("signed-trace.pdf")),
              "a signed letter loads libcrypto and is valid", crypto)
    # a libcrypto.so.3 that lacks what signing needs: a clear error, no file
    fake = os.environ.get("MKL_TEST_FAKE_LIBCRYPTO", "")
    if check(os.path.exists(os.path.join(fake, "libcrypto.so.3")), "the test's fake libcrypto.so.3 is built", fake):
        path = os.pathsep.join([fake] + [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p])
        r = run("letter.md", "-o", "none/x.pdf", "--sign", "rsa.p12", extra_env={"LD_LIBRARY_PATH": path})
        check(r.returncode == 1 and not os.path.exists("none/x.pdf") and r.stderr.startswith("rsa.p12:")
              and "signing needs OpenSSL's libcrypto.so.3" in r.stderr and "has no function" in r.stderr,
              "a libcrypto without the functions signing needs: exit 1 naming it, no file", r.stderr)
        r = run("letter.md", "-o", "none/x.pdf", "--sign", "rsa.p12",
                extra_env={"LD_LIBRARY_PATH": path, "MKL_FAKE_OPENSSL_VERSION": "1010117f"})
        check(r.returncode == 1 and not os.path.exists("none/x.pdf")
              and "libcrypto.so.3 is OpenSSL 1, not 3" in r.stderr,
              "a libcrypto of another OpenSSL version: exit 1 naming it, no file", r.stderr)
        r = run("letter.md", "-o", "fake-plain.pdf", "-q", extra_env={"LD_LIBRARY_PATH": path})
        check(r.returncode == 0 and b"Unification Minister" in text("fake-plain.pdf"), "... and an unsigned letter still renders",
              r.stderr)

finish()
