#!/usr/bin/env python3
"""What a run maps before main is what every letter needs: ICU is loaded on
a thread of its own while the letter is read (lib/icu.h), Fontconfig when a
letter first needs a font that is not in a font folder (lib/fc.h). Neither
the program nor the library names libicuuc (nor the libstdc++ it needs),
libfontconfig or libexpat; the loader thread starts before the letter is
read; a letter in the bundled fonts never opens libfontconfig,
one that needs a system font does; a library that cannot be used is a clear
error, never a crash or a file.

usage: test_startup.py MKLETTER REPO_ROOT
(MKL_TEST_FAKE_LIBICUUC, MKL_TEST_FAKE_LIBFONTCONFIG: the folders of a fake
libicuuc.so.N and a fake libfontconfig.so.1 with none of the functions the
library calls)"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

mkletter, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
EPOCH = "1600000000"
for tool in ("strace", "readelf", "pdftotext"):
    if not shutil.which(tool):
        check(False, f"{tool} is installed (scripts/deps installs it)")
        finish()


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, **kw)


def env(**extra):
    # (LeakSanitizer cannot run under ptrace: a sanitizer build leaves leaks to the other runs)
    return dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0",
                **extra)


work = tempfile.mkdtemp(prefix="mkl-icu-")
os.chdir(work)
letter = os.path.join(root, "examples", "open-letter.md")
ko = os.path.join(root, "examples", "open-letter.ko.md")

# 1. not linked: the program and the library it runs with name neither
libs = [mkletter] + [p for p in re.findall(r"=> (\S+)", sh("ldd", mkletter).stdout.decode())
                     if "mkletter" in os.path.basename(p)]
needed = "".join(sh("readelf", "-d", p).stdout.decode() for p in libs)
check("NEEDED" in needed and "libharfbuzz" in needed and
      not any(n in needed for n in ("libicu", "libstdc++", "libfontconfig", "libexpat")),
      "neither the program nor the library links libicuuc, libstdc++, libfontconfig or libexpat", needed)

# 2. loaded by a thread of its own, started before the letter is read (so
# that the two overlap), and used: the letters are set as before. (Which
# thread opens the library depends on which gets a core first: the loader,
# or the first text shaped when the loader has not begun; test_api checks
# the second.)
for src, name, want in ((letter, "en.pdf", "We are writing on behalf of 69 non-governmental organizations"),
                        (ko, "ko.pdf", "\ub300\ud1b5\ub839 \ubb38\uc7ac\uc778 \uadc0\ud558")):
    t = sh("strace", "-f", "-e", "trace=openat,clone,clone3", "-o", "trace.txt", mkletter, "-q", src, "-o", name,
           env=env(), stdin=subprocess.DEVNULL, start_new_session=True)
    trace = open("trace.txt").read().splitlines()
    icu = [ln for ln in trace if re.search(r'"[^"]*libicuuc\.so\.\d+"', ln) and "= -1" not in ln]
    clone = next((i for i, ln in enumerate(trace) if re.search(r"\bclone3?\(", ln)), None)
    read = next((i for i, ln in enumerate(trace) if os.path.basename(src) in ln and "openat(" in ln), None)
    check(t.returncode == 0 and len(icu) == 1 and clone is not None and read is not None and clone < read,
          f"{name}: a thread is started before the letter is read, and libicuuc is opened once",
          f"clone at {clone}, letter read at {read}: {icu}")
    txt = sh("pdftotext", name, "-").stdout.decode("utf-8", "replace")
    check(want in " ".join(txt.split()), f"{name}: the letter's text is set", txt[:300])

# 3. a libicuuc without the functions: a clear error naming it, exit 1, no file
fake = os.environ.get("MKL_TEST_FAKE_LIBICUUC", "")
sonames = [f for f in os.listdir(fake)] if fake and os.path.isdir(fake) else []
soname = next((f for f in sonames if re.fullmatch(r"libicuuc\.so\.\d+", f)), None)
if check(soname is not None, "the test's fake libicuuc.so.N is built", f"{fake}: {sonames}"):
    path = os.pathsep.join([fake] + [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p])
    os.makedirs("none", exist_ok=True)
    r = sh(mkletter, letter, "-o", "none/x.pdf", env=env(LD_LIBRARY_PATH=path))
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 1 and not os.listdir("none") and f"ICU's {soname}" in err and "has no function u_" in err,
          "a libicuuc without the functions text needs: exit 1 naming it, no file", f"{r.returncode}: {err}")
    r = sh(mkletter, "--version", env=env(LD_LIBRARY_PATH=path))
    check(r.returncode == 0 and r.stdout.startswith(b"mkletter "), "... and --version still runs", r.stderr)

# 4. Fontconfig: never opened for a letter in the bundled fonts, opened for
# one that needs a system font (Devanagari: fonts-noto-core)
with open("dev.md", "w", encoding="utf-8") as f:
    f.write("---\nlang: en\ndate: 2020-02-21\nto: The Editor\nsubject: Test\nopening: Dear Editor,\n"
            "closing: Sincerely,\n---\n\nNamaste: \u0928\u092e\u0938\u094d\u0924\u0947.\n")


def opens(*args, **extra):
    t = sh("strace", "-f", "-e", "trace=openat", "-o", "trace.txt", mkletter, *args, env=env(**extra),
           stdin=subprocess.DEVNULL, start_new_session=True)
    return t, [ln for ln in open("trace.txt").read().splitlines()
               if re.search(r'"[^"]*lib(fontconfig|expat)\.so[^"]*"', ln) and "= -1" not in ln]


t, fc = opens("-q", letter, "-o", "plain.pdf")
check(t.returncode == 0 and not fc, "a letter in the bundled fonts never opens libfontconfig or libexpat", fc)
t, fc = opens("-q", "dev.md", "-o", "dev.pdf")
fonts = sh("pdffonts", "dev.pdf").stdout.decode() if shutil.which("pdffonts") else ""
check(t.returncode == 0 and any("libfontconfig.so" in ln for ln in fc) and "Devanagari" in fonts,
      "a letter that needs a system font opens libfontconfig and embeds the font it finds", f"{fc}\n{fonts}")
fake = os.environ.get("MKL_TEST_FAKE_LIBFONTCONFIG", "")
if check(os.path.exists(os.path.join(fake, "libfontconfig.so.1")), "the test's fake libfontconfig.so.1 is built", fake):
    path = os.pathsep.join([fake] + [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p])
    r = sh(mkletter, "dev.md", "-o", "none/dev.pdf", env=env(LD_LIBRARY_PATH=path))
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 1 and not os.listdir("none") and "U+0928" in err
          and "not Fontconfig, which cannot be used: libfontconfig.so.1 has no function Fc" in err,
          "a libfontconfig without the functions: the character's error says Fontconfig cannot be used, no file",
          f"{r.returncode}: {err}")
    r = sh(mkletter, "-q", letter, "-o", "fake-fc.pdf", env=env(LD_LIBRARY_PATH=path))
    check(r.returncode == 0 and os.path.getsize("fake-fc.pdf") > 10000, "... and a letter in the bundled fonts renders",
          r.stderr)

shutil.rmtree(work, ignore_errors=True)
finish()
