#!/usr/bin/env python3
"""The user's files: output names from data stay in their folder, the same
file is the same file (by inode, after symlinks), a device or FIFO is written
through and never renamed over, a replaced file keeps its mode, a per-file
merge is all or nothing, and an interrupted run (SIGINT, SIGTERM, SIGHUP,
SIGKILL and a rerun) leaves no temporary file.

usage: test_files.py MKLETTER REPO_ROOT
Prints a line per failed check and ends with "N passed, N failed".
"""
import hashlib
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

MERGE = ('---\nsubject: "For {{name}}"\nto: |\n  {{name}}\n  Seoul\nopening: "Dear {{name}},"\n---\n\n'
         "We write to you, {{name}}.\n")
LETTER = "---\nsubject: Hi\n---\n\nHello.\n"


def mk(mkl, args, cwd, **kw):
    return subprocess.run([mkl, *args], cwd=cwd, capture_output=True, **kw)


def traced(args, cwd, env=None):
    """mkletter under strace: LeakSanitizer (a sanitizer build) cannot run under ptrace."""
    env = dict(env or os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return mk("strace", args, cwd, env=env)


def write(path, content):
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def snapshot(top):
    """Every file below `top` with its bytes' hash and mode."""
    out = {}
    for d, _, files in os.walk(top):
        for f in files:
            p = os.path.join(d, f)
            st = os.lstat(p)
            h = hashlib.sha256(open(p, "rb").read()).hexdigest() if stat.S_ISREG(st.st_mode) else "special"
            out[os.path.relpath(p, top)] = (h, stat.S_IMODE(st.st_mode))
    return out


def temps(top):
    return [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs if f.startswith(".mkletter-") or ".tmp" in f]


def check_names_from_data(mkl, tmp):
    work = os.path.join(tmp, "names")
    os.makedirs(os.path.join(work, "out"))
    write(os.path.join(work, "m.md"), MERGE)
    for value, what in [("../escape", "'/'"), ("/tmp/mkl-abs", "'/'"), ("a\x1bb", "control character"),
                        ('"two\nlines"', "control character"), (".", "folder"), ("..", "folder")]:
        write(os.path.join(work, "d.csv"), f"id,name\n1,Ahn\n{value},Baek\n")
        before = snapshot(tmp)
        r = mk(mkl, ["m.md", "--merge", "d.csv", "-o", "out/{{id}}.pdf"], work)
        err = r.stderr.decode("utf-8", "replace")
        check(r.returncode == 1, f"an id {value!r} is refused (exit 1)", (r.returncode, err))
        check("row 2 (d.csv line 3)" in err and "field 'id'" in err and what in err,
              f"the message for {value!r} names the row, its line and the field", err)
        check("\x1b" not in err, f"the message for {value!r} shows no raw control character", repr(err))
        check(snapshot(tmp) == before and not os.path.exists("/tmp/mkl-abs.pdf"), f"nothing is written for {value!r}")
    # a value that is a whole name: '.' and '..' would name folders
    for value in [".", ".."]:
        write(os.path.join(work, "d.csv"), f"id,name\n1,Ahn\n{value},Baek\n")
        before = snapshot(tmp)
        r = mk(mkl, ["m.md", "--merge", "d.csv", "-o", "out/{{id}}"], work)
        check(r.returncode == 1 and b"row 2 (d.csv line 3)" in r.stderr and snapshot(tmp) == before,
              f"-o 'out/{{{{id}}}}' with id {value!r}: refused, nothing written", r.stderr)


def check_same_file(mkl, tmp):
    work = os.path.join(tmp, "same")
    os.makedirs(os.path.join(work, "sub"))
    write(os.path.join(work, "plain.md"), LETTER)
    os.symlink("plain.md", os.path.join(work, "link.md"))
    for out in ["./plain.md", os.path.join(work, "plain.md"), "sub/../plain.md", "link.md"]:
        before = snapshot(work)
        r = mk(mkl, ["plain.md", "-o", out], work)
        check(r.returncode == 2 and b"replace" in r.stderr, f"-o {out} (the letter itself) is exit 2", (r.returncode, r.stderr))
        check(snapshot(work) == before, f"-o {out}: the letter is untouched and nothing is added")
    r = mk(mkl, ["link.md", "-o", "plain.md"], work)
    check(r.returncode == 2, "the letter reached through a symlink is the same file", r.stderr)
    write(os.path.join(work, "m.md"), MERGE)
    write(os.path.join(work, "d.csv"), "id,name\n1,Ahn\n2,Baek\n")
    write(os.path.join(work, "d2.csv"), "id,name\nm,Ahn\n2,Baek\n")
    write(os.path.join(work, "d3.csv"), "id,name\nx,Ahn\n./x,Baek\n")
    before = snapshot(work)
    r = mk(mkl, ["m.md", "--merge", "d.csv", "-o", "./d.csv"], work)
    check(r.returncode == 2 and snapshot(work) == before, "a combined -o that is the CSV: exit 2, the CSV untouched", r.stderr)
    r = mk(mkl, ["m.md", "--merge", "d2.csv", "-o", "{{id}}.md"], work)
    check(r.returncode == 2 and snapshot(work) == before, "a row whose name is the letter: exit 2, nothing written", r.stderr)
    r = mk(mkl, ["m.md", "--merge", "d3.csv", "-o", "sub/{{id}}.pdf"], work)
    check(r.returncode == 1 and snapshot(work) == before,
          "'x' and './x' are one file: refused before anything is written", r.stderr)
    # two names, one file through a symlink: the first row's target too
    os.makedirs(os.path.join(work, "out"))
    write(os.path.join(work, "out", "a.pdf"), "old")
    os.symlink("a.pdf", os.path.join(work, "out", "b.pdf"))
    write(os.path.join(work, "d4.csv"), "id,name\na,Ahn\nb,Baek\n")
    before = snapshot(work)
    r = mk(mkl, ["m.md", "--merge", "d4.csv", "-o", "out/{{id}}.pdf", "-j", "1"], work)
    check(r.returncode == 2 and b"same file" in r.stderr and snapshot(work) == before,
          "out/a.pdf and a symlink out/b.pdf to it: refused, a.pdf kept", (r.returncode, r.stderr))


def check_targets(mkl, tmp):
    work = os.path.join(tmp, "targets")
    os.makedirs(work)
    write(os.path.join(work, "a.md"), LETTER)
    if os.geteuid() == 0 or os.access("/dev/null", os.W_OK):
        r = mk(mkl, ["a.md", "-o", "/dev/null"], work)
        check(r.returncode == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode), "-o /dev/null: written through, still a device",
              r.stderr)
    fifo = os.path.join(work, "pipe.pdf")
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    r = mk(mkl, ["a.md", "-o", fifo], work, timeout=60)
    if not got:   # nothing was written through: let the reader go
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK) if stat.S_ISFIFO(os.stat(fifo).st_mode) else -1
        if fd >= 0:
            os.close(fd)
    reader.join(30)
    check(r.returncode == 0 and got and got[0].startswith(b"%PDF") and stat.S_ISFIFO(os.stat(fifo).st_mode),
          "a FIFO target gets the PDF through it and stays a FIFO", r.stderr)
    # a link that opens but names no path, as /dev/stdout and /dev/fd/N do for
    # a pipe (/proc/self/fd/N reads "pipe:[...]"): written through, the link
    # kept (replacing it replaced /dev/stdout itself, as root); made here in
    # the work folder, so that a failing run replaces nothing of the system's
    write(os.path.join(work, "m.md"), MERGE)
    write(os.path.join(work, "d.csv"), "name\n" + "".join(f"Person {i}\n" for i in range(1, 301)))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")
    for name in ("stdout.pdf", "fdN.pdf"):
        for args, what in ((["a.md"], "a letter"), (["m.md", "--merge", "d.csv", "-q"], "a combined file of 300 copies"),
                           (["m.md", "--merge", "d.csv", "--rows", "1-20", "--pdfa", "-q"],
                            "a PDF/A combined file (made whole)")):
            rd, wr = os.pipe()
            fd = 1 if name == "stdout.pdf" else wr   # (standard output, or the pipe's own number, as >(lpr) gives)
            link = os.path.join(work, name)
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(f"/proc/self/fd/{fd}", link)
            p = subprocess.Popen([mkl, *args, "-o", name], cwd=work, stdout=wr if fd == 1 else subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, pass_fds=(wr,), env=env)
            os.close(wr)
            with os.fdopen(rd, "rb") as f:
                got = f.read()
            err = p.stderr.read()
            p.wait(60)
            p.stderr.close()
            check(p.returncode == 0 and got.startswith(b"%PDF") and got.rstrip().endswith(b"%%EOF") and
                  os.path.islink(link), f"a link to /proc/self/fd/N, {name}, a pipe: {what} through it, the link kept",
                  (p.returncode, err, len(got), os.path.islink(link)))
            if len(args) > 1:
                r = mk(mkl, [*args, "-o", "whole.pdf"], work, env=env)
                with open(os.path.join(work, "whole.pdf"), "rb") as f:
                    check(r.returncode == 0 and f.read() == got, f"{what} through {name}: the bytes of -o FILE")
    os.unlink(os.path.join(work, "stdout.pdf"))
    os.symlink("/proc/self/fd/1", os.path.join(work, "stdout.pdf"))
    # standard output a deleted file: it has no name to be replaced by
    with tempfile.TemporaryFile(dir=work) as f:
        r = subprocess.run([mkl, "a.md", "-o", "stdout.pdf"], cwd=work, stdout=f, stderr=subprocess.PIPE)
    check(r.returncode == 3 and b"opens a file that has no name in a folder" in r.stderr and
          os.path.islink(os.path.join(work, "stdout.pdf")) and not [n for n in os.listdir(work) if n.endswith(".tmp")],
          "a link to a deleted file: exit 3, said, the link kept", (r.returncode, r.stderr))
    os.mkdir(os.path.join(work, "dir.pdf"))
    r = mk(mkl, ["a.md", "-o", "dir.pdf"], work)
    check(r.returncode == 3 and b"folder" in r.stderr and os.path.isdir(os.path.join(work, "dir.pdf")),
          "a folder as the target: exit 3, left as it is", r.stderr)
    for name, mode in (("private.pdf", 0o600), ("shared.pdf", 0o751)):
        old = os.path.join(work, name)
        write(old, "old")
        os.chmod(old, mode)
        r = mk(mkl, ["a.md", "-o", name], work)
        check(r.returncode == 0 and stat.S_IMODE(os.stat(old).st_mode) == mode, f"a replaced {mode:04o} file keeps its mode",
              oct(stat.S_IMODE(os.stat(old).st_mode)))
    mask = os.umask(0o027)
    try:
        r = mk(mkl, ["a.md", "-o", "new.pdf"], work)
    finally:
        os.umask(mask)
    check(r.returncode == 0 and stat.S_IMODE(os.stat(os.path.join(work, "new.pdf")).st_mode) == 0o640,
          "a new file gets 0666 & ~umask", oct(stat.S_IMODE(os.stat(os.path.join(work, "new.pdf")).st_mode)))
    real = os.path.join(work, "real.pdf")
    write(real, "old")
    os.symlink("real.pdf", os.path.join(work, "alias.pdf"))
    r = mk(mkl, ["a.md", "-o", "alias.pdf"], work)
    check(r.returncode == 0 and os.path.islink(os.path.join(work, "alias.pdf")) and open(real, "rb").read(4) == b"%PDF",
          "a symlinked target stays a link; the file it names gets the PDF")
    long_name = "n" * 251 + ".pdf"
    r = mk(mkl, ["a.md", "-o", long_name], work)
    check(r.returncode == 0 and os.path.isfile(os.path.join(work, long_name)), "a 255-byte output name works", r.stderr)
    check(temps(work) == [], "no temporary file is left", temps(work))


def check_all_or_nothing(mkl, tmp):
    work = os.path.join(tmp, "atomic")
    os.makedirs(os.path.join(work, "out"))
    write(os.path.join(work, "m.md"), MERGE)
    write(os.path.join(work, "out", "2.pdf"), "an older file")
    write(os.path.join(work, "d.csv"), "id,name\n1,Ahn\n2,Baek\n3,Bad \U0010FFFD\n4,Dong\n")
    before = snapshot(work)
    r = mk(mkl, ["m.md", "--merge", "d.csv", "-o", "out/{{id}}.pdf"], work)
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 1 and "row 3 (d.csv line 4)" in err, "row 3 fails: exit 1, the message names the row", err)
    check(snapshot(work) == before, "no copy is written when one fails, the older file is kept, no temporary file",
          sorted(set(snapshot(work)) ^ set(before)))


def check_calls(mkl, tmp):
    """A merge's files cost a few system calls each: the folder resolved once
    (not a realpath() a file, whose getcwd() and readlink()s were 5 calls),
    no umask() or fchmod() for a new file, each temporary file opened once,
    and one syncfs() for the lot."""
    if not shutil.which("strace"):
        check(False, "strace is installed (README's set-up)")
        return
    work = os.path.join(tmp, "calls")
    os.makedirs(os.path.join(work, "out"))
    write(os.path.join(work, "m.md"), MERGE)
    write(os.path.join(work, "d.csv"), "id,name\n" + "".join(f"{i},Person {i}\n" for i in range(1, 51)))
    r = traced(["-f", "-o", "trace.txt", "-e", "trace=getcwd,readlink,umask,fchmod,openat,syncfs,fsync,rename",
                      mkl, "m.md", "--merge", "d.csv", "-o", "out/{{id}}.pdf", "-q", "-j", "1"], work)
    lines = open(os.path.join(work, "trace.txt"), encoding="utf-8", errors="replace").read().splitlines()

    def count(call, arg=""):
        return sum(1 for ln in lines if f" {call}(" in ln and arg in ln)
    check(r.returncode == 0 and len(os.listdir(os.path.join(work, "out"))) == 50, "50 files made under strace", r.stderr)
    check(count("getcwd") + count("readlink") <= 6, "the output folder is resolved once, not for each file",
          (count("getcwd"), count("readlink")))
    check(count("umask") == 0 and count("fchmod") == 0, "no umask() or fchmod() for new files",
          (count("umask"), count("fchmod")))
    check(count("openat", ".mkletter-") == 51, "each temporary file is opened once (and one again, for the syncfs())",
          count("openat", ".mkletter-"))
    check(count("syncfs") == 1 and count("fsync") == 0 and count("rename") == 50, "one syncfs() and a rename() a file",
          (count("syncfs"), count("fsync"), count("rename")))


def check_jobs(mkl, tmp):
    """-j N: the same bytes as one thread; the first bad row by row order; all or nothing."""
    work = os.path.join(tmp, "jobs")
    for d in ("one", "two", "four", "bad"):
        os.makedirs(os.path.join(work, d))
    write(os.path.join(work, "m.md"), MERGE)
    write(os.path.join(work, "d.csv"), "id,name\n" + "".join(f"{i},Person {i} 김{i}\n" for i in range(1, 41)))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1582243200")
    runs = {}
    for d, j in (("one", "1"), ("two", "2"), ("four", "4")):
        r = mk(mkl, ["m.md", "--merge", "d.csv", "-o", f"{d}/{{{{id}}}}.pdf", "-j", j], work, env=env)
        check(r.returncode == 0, f"-j {j}: exit 0", r.stderr)
        runs[d] = snapshot(os.path.join(work, d))
    check(len(runs["one"]) == 40 and runs["one"] == runs["two"] == runs["four"],
          "-j 1, -j 2 and -j 4 write the same 40 files, byte for byte", [len(v) for v in runs.values()])
    r = mk(mkl, ["m.md", "--merge", "d.csv", "-o", "all.pdf", "--jobs=2"], work, env=env)
    r1 = mk(mkl, ["m.md", "--merge", "d.csv", "-o", "all1.pdf", "-j1"], work, env=env)
    check(r.returncode == 0 and r1.returncode == 0 and open(os.path.join(work, "all.pdf"), "rb").read() ==
          open(os.path.join(work, "all1.pdf"), "rb").read(), "a combined file with -j2 is the one made with -j1")
    # rows 17 to 24 bad: threads meet several, and the first in row order is the one said
    rows = "".join(f"{i},{'Bad ' + chr(0x10FFFD) if 17 <= i <= 24 or i == 33 else f'Person {i}'}\n" for i in range(1, 41))
    write(os.path.join(work, "bad.csv"), "id,name\n" + rows)
    before = snapshot(work)
    for j in ("2", "4"):
        r = mk(mkl, ["m.md", "--merge", "bad.csv", "-o", "bad/{{id}}.pdf", "-j", j], work, env=env)
        err = r.stderr.decode("utf-8", "replace")
        check(r.returncode == 1 and "row 17 (bad.csv line 18)" in err and err.count("row ") == 1,
              f"-j {j}: the first bad row is the one reported", err)
        check(snapshot(work) == before, f"-j {j}: a bad row leaves no file and no temporary file",
              sorted(set(snapshot(work)) ^ set(before)))
    # the workers start before the rows are checked, and are stopped when a check fails
    if shutil.which("strace"):
        started = {}
        for j in ("1", "2"):
            r = traced(["-f", "-o", "jobs.trace", "-e", "trace=clone,clone3,access", mkl, "m.md", "--merge", "d.csv",
                              "-o", "two/{{id}}.pdf", "-q", "-j", j], work, env=env)
            lines = open(os.path.join(work, "jobs.trace"), encoding="utf-8", errors="replace").read().splitlines()
            main = lines[0].split()[0] if lines else ""
            at = next((i for i, ln in enumerate(lines) if ln.startswith(main + " ") and 'access("two"' in ln), None)
            started[j] = (r.returncode, at is not None and sum(1 for ln in lines[:at] if ln.startswith(main + " ") and " clone" in ln and "resumed" not in ln))
        check(started["1"][0] == 0 and started["2"][0] == 0 and started["2"][1] - started["1"][1] == 2,
              "-j 2: both workers are started before the output folder is checked (threads started before it)", started)
    write(os.path.join(work, "dup.csv"), "id,name\n" + "".join(f"{i % 35},Person {i}\n" for i in range(1, 41)))
    before = snapshot(work)
    r = mk(mkl, ["m.md", "--merge", "dup.csv", "-o", "bad/{{id}}.pdf", "-j", "2"], work, env=env, timeout=120)
    check(r.returncode == 1 and b"same output file" in r.stderr and snapshot(work) == before,
          "-j 2 and two rows with one file name: exit 1 once the workers are stopped, nothing written",
          (r.returncode, r.stderr[-300:]))
    for bad in ["0", "-1", "x", "2x", "257", ""]:
        r = mk(mkl, ["m.md", "--merge", "d.csv", "-o", "x.pdf", "-j", bad], work)
        check(r.returncode == 2 and b"is not a number of threads from 1 to" in r.stderr, f"-j '{bad}': exit 2, said why",
              (r.returncode, r.stderr))


def long_merge(work, n):
    os.makedirs(os.path.join(work, "out"), exist_ok=True)
    write(os.path.join(work, "m.md"), MERGE + "\n".join(f"Paragraph {k} of a long letter, {{{{name}}}}." for k in range(60)))
    write(os.path.join(work, "d.csv"), "id,name\n" + "".join(f"{i},Person {i}\n" for i in range(1, n + 1)))


def check_signals(mkl, tmp):
    rnd = random.Random(int(os.environ.get("MKL_TEST_SEED", "12345")))
    for sig, code in [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)] * 2:
        work = tempfile.mkdtemp(dir=tmp)
        long_merge(work, 2000)
        p = subprocess.Popen([mkl, "m.md", "--merge", "d.csv", "-o", "out/{{id}}.pdf", "-q"], cwd=work,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # mid-merge for certain: once temporary files are there (a merge of
        # 2,000 long copies takes seconds), a moment later. A fixed sleep let
        # a faster merge finish first, and a signal left uncaught went unseen.
        deadline = time.time() + 30
        while time.time() < deadline and not temps(work) and p.poll() is None:
            time.sleep(0.01)
        time.sleep(rnd.uniform(0, 0.2))
        p.send_signal(sig)
        p.wait(60)
        left = temps(work)
        outs = os.listdir(os.path.join(work, "out"))
        check(p.returncode == code, f"{sig.name} mid-merge: exit {code}", p.returncode)
        check(left == [], f"{sig.name}: no temporary file left", f"{len(left)} left, exit {p.returncode}")
        check(outs == [], f"{sig.name}: no copy put in place", len(outs))
    # SIGKILL cannot be caught: the next run into the folder removes what it left
    work = tempfile.mkdtemp(dir=tmp)
    long_merge(work, 400)
    p = subprocess.Popen([mkl, "m.md", "--merge", "d.csv", "-o", "out/{{id}}.pdf", "-q"], cwd=work,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline and not temps(work):
        time.sleep(0.02)
    p.kill()
    p.wait(30)
    killed = temps(work)
    check(killed != [], "kill -9 mid-merge leaves temporary files (the case to clean)", killed)
    out = os.path.join(work, "out")
    mine = os.path.join(out, ".mkletter-notours.tmp")        # not our name pattern
    live = os.path.join(out, f".mkletter-{os.getpid()}-abcdef.tmp")   # a live process's
    write(mine, "keep")
    write(live, "keep")
    write(os.path.join(work, "d.csv"), "id,name\n1,Ahn\n")
    r = mk(mkl, ["m.md", "--merge", "d.csv", "-o", "out/{{id}}.pdf", "-q"], work)
    left = sorted(temps(work))
    check(r.returncode == 0 and left == sorted([mine, live]),
          "a rerun removes the killed run's temporary files, and only those", left)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_files.py MKLETTER REPO_ROOT")
    mkl = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="mkletter-files-") as tmp:
        check_names_from_data(mkl, tmp)
        check_same_file(mkl, tmp)
        check_targets(mkl, tmp)
        check_calls(mkl, tmp)
        check_all_or_nothing(mkl, tmp)
        check_jobs(mkl, tmp)
        check_signals(mkl, tmp)
    finish()


if __name__ == "__main__":
    main()
