#!/usr/bin/env python3
"""Print-shop scale: the figures of a print run, printed (never asserted).

    bench/scale.py MKLETTER [--vs OTHER_MKLETTER] [--runs N] [--quick]

For the example letter merged with 1,000 rows (names in Latin letters) and
the Korean example merged with 1,000 rows that each bring a new Hangul name:
copies per second, one file each and one combined file, with -j 1 and with
every core this process may use; the peak memory (max RSS) of a combined file
of 1,000 and of 20,000 copies, and of 2,000 written to standard output; a
letter with 100,000 signatories (time and peak memory) and what a signatory
costs (the peak's growth from 50,000 to 100,000 signatories, per signatory);
and the whole-command time of one letter (median of 21).

Each figure is the median of --runs runs (3) of the whole command, timed from
outside (wall clock; peak memory from the kernel's accounting of the child).
With --vs, the two programs run in turn, A B A B ..., side by side on the same
input, and the ratio A/B is printed: this is how before/after is measured on a
shared, noisy machine. Before each run what earlier runs wrote is synced to
disk (untimed), and each run writes into a new, empty folder (all removed at
the end), so that no run pays for another's data or deleted files.
--quick makes 200 rows and 5,000 copies instead.
The targets of issue 15 are printed beside the figures, met or not.
"""
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def usage():
    print(__doc__.strip(), file=sys.stderr)
    sys.exit(2)


args = sys.argv[1:]
if not args or args[0].startswith("-"):
    usage()
progs = [os.path.abspath(args.pop(0))]
runs, quick = 3, False
while args:
    a = args.pop(0)
    if a == "--vs" and args:
        progs.append(os.path.abspath(args.pop(0)))
    elif a == "--runs" and args:
        runs = max(1, int(args.pop(0)))
    elif a == "--quick":
        quick = True
    else:
        usage()
ROWS = 200 if quick else 1000
BIG = 5000 if quick else 20000
CORES = len(os.sched_getaffinity(0))
ENV = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")


def timed(prog, argv, cwd):
    """One whole command: (wall seconds, peak KB, exit status)."""
    # what earlier runs wrote goes to disk first, untimed: else a run's own
    # fsync()/syncfs() would wait for the run before's data (the other program's)
    os.sync()
    t0 = time.monotonic()
    p = subprocess.Popen([prog] + argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode("utf-8", "replace").strip()
    p.stderr.close()
    rc = os.waitstatus_to_exitcode(status)
    if rc:
        print(f"  ({'AB'[progs.index(prog)]} failed: {err[-200:]})")
    return wall, ru.ru_maxrss, rc


def measure(argv_for, cwd, n=runs, clean=None):
    """Median wall and peak memory of each program, run in turn."""
    res = [[] for _ in progs]
    for _ in range(n):
        for i, prog in enumerate(progs):
            if clean:
                clean()
            res[i].append(timed(prog, argv_for(i), cwd))
    out = []
    for r in res:
        ok = [x for x in r if x[2] == 0]
        out.append((statistics.median(x[0] for x in ok), statistics.median(x[1] for x in ok)) if ok else None)
    return out, res


def fmt_rate(copies, m):
    return "refused/failed" if m is None else f"{copies / m[0]:7.0f} copies/s"


def line(label, cells, target=""):
    print(f"{label:<46}" + "  ".join(f"{c:>22}" for c in cells) + (f"   target {target}" if target else ""))


def ratio(ms, key):
    if len(ms) < 2 or ms[0] is None or ms[1] is None:
        return ""
    return f"A/B {key(ms[0]) / key(ms[1]):.2f}"


def write_inputs(work):
    seed = open(os.path.join(ROOT, "examples", "open-letter.md"), encoding="utf-8").read()
    seed = seed.replace("\n  Moon Jae-in\n  President of the Republic of Korea\n", "\n  {{name}}\n  {{title}}\n", 1)
    seed = seed.replace("opening: President Moon Jae-in,", "opening: Dear {{name}},", 1)
    ko = open(os.path.join(ROOT, "examples", "open-letter.ko.md"), encoding="utf-8").read()
    ko = ko.replace("  대통령 문재인 귀하\n", "  {{name}} 귀하\n  {{title}}\n", 1)
    ko = ko.replace("opening: 존경하는 문재인 대통령님께", "opening: 존경하는 {{name}} 님께", 1)
    for name, text in (("seed.md", seed), ("ko.md", ko)):
        with open(os.path.join(work, name), "w", encoding="utf-8") as f:
            f.write(text)
    rnd = random.Random(15)
    with open(os.path.join(work, "latin.csv"), "w", encoding="utf-8") as f:
        f.write("id,name,title\n")
        for i in range(BIG):
            f.write(f"{i + 1},Recipient No. {i + 1},Minister of Department {i % 37}\n")
    with open(os.path.join(work, "hangul.csv"), "w", encoding="utf-8") as f:
        f.write("id,name,title\n")
        for i in range(ROWS):
            nm = "".join(chr(0xAC00 + rnd.randrange(11172)) for _ in range(3))
            f.write(f"{i + 1},{nm},장관 {i % 37}\n")
    first = ["Anna", "Jae-won", "Min-ji", "Tomás", "Maria", "John", "Soo-jin", "Ahmed", "Olga", "Kenji"]
    last = ["Kim", "Lee", "Park", "Smith", "García", "Müller", "Choi", "Novak", "Rossi", "Tanaka"]
    for name, n in (("petition.md", 100000), ("petition50.md", 50000)):
        with open(os.path.join(work, name), "w", encoding="utf-8") as f:
            f.write("---\nlang: en\ndate: 2020-02-21\nto: The Editor\nsubject: Petition\nopening: Dear Editor,\n"
                    "closing: Sincerely,\nsignatories:\n  - heading: Signatories\n    columns: 3\n    entries:\n")
            for i in range(n):
                f.write(f"      - {first[i % 10]} {last[i * 7 % 10]} {i + 1}\n")
            f.write("---\n\nWe, the undersigned, ask for this.\n")


def main():
    work = tempfile.mkdtemp(prefix="mkl-scale-")
    try:
        write_inputs(work)
        outs = [os.path.join(work, f"out{i}") for i in range(len(progs))]

        fresh = [0]

        def clean():
            """A new, empty folder for each run's output, all removed at the
            end: deleting the last run's files just before a run would time
            ext4's search for inodes not freed in the last 30 s (a quarter of
            a 1,000-file run here), not mkletter."""
            fresh[0] += 1
            for i in range(len(outs)):
                outs[i] = os.path.join(work, f"out{i}-{fresh[0]}")
                os.makedirs(outs[i])

        clean()
        print(f"machine: {os.cpu_count()} cores, {CORES} usable; median of {runs} runs of the whole command")
        for i, p in enumerate(progs):
            print(f"{'AB'[i]}: {p}")
        line("", [f"{'AB'[i]}" for i in range(len(progs))])
        for letter, csv, what, t1 in (("seed.md", "latin.csv", "seed letter", ">= 500"),
                                      ("ko.md", "hangul.csv", "Hangul names (Korean letter)", ">= 400")):
            one = {}
            for j in ("1", str(CORES)):
                ms, _ = measure(lambda i: [letter, "--merge", csv, "--rows", f"1-{ROWS}", "-o",
                                           f"{outs[i]}/{{{{id}}}}.pdf", "-q", "-j", j], work, clean=clean)
                one[j] = ms
                tgt = t1 if j == "1" else (f">= 1.8 x -j 1" if CORES > 1 else "")
                line(f"{what}, {ROWS} rows, one file each, -j {j}", [fmt_rate(ROWS, m) for m in ms], tgt)
            if CORES > 1:
                line("  scaling (-j all / -j 1)",
                     [f"{m1[0] / mn[0]:.2f} x" if m1 and mn else "-" for m1, mn in zip(one["1"], one[str(CORES)])],
                     ratio(one[str(CORES)], lambda m: m[0]))
            for j in ("1", str(CORES)):
                ms, _ = measure(lambda i: [letter, "--merge", csv, "--rows", f"1-{ROWS}", "-o",
                                           f"{outs[i]}/all.pdf", "-q", "-j", j], work, clean=clean)
                line(f"{what}, {ROWS} rows, one combined file, -j {j}", [fmt_rate(ROWS, m) for m in ms],
                     ">= 1,000 (2 cores)" if j != "1" and letter == "seed.md" else "")
        for n, tgt in ((ROWS, ""), (BIG, "<= 64 MiB" if BIG == 20000 else "")):
            ms, _ = measure(lambda i: ["seed.md", "--merge", "latin.csv", "--rows", f"1-{n}", "-o",
                                       f"{outs[i]}/all.pdf", "-q"], work, n=1 if n == BIG else runs, clean=clean)
            line(f"combined file of {n:,} copies: peak memory",
                 ["failed" if m is None else f"{m[1] / 1024:7.1f} MiB, {m[0]:5.1f} s" for m in ms], tgt)
        # to standard output (a pipe, thrown away here): spooled, or made whole
        ms, _ = measure(lambda i: ["seed.md", "--merge", "latin.csv", "--rows", f"1-{2 * ROWS}", "-o", "-", "-q"],
                        work, clean=clean)
        line(f"combined file of {2 * ROWS:,} copies to stdout: peak",
             ["failed" if m is None else f"{m[1] / 1024:7.1f} MiB, {m[0]:5.1f} s" for m in ms])
        ms, _ = measure(lambda i: ["-q", "petition.md", "-o", f"{outs[i]}/p.pdf"], work, clean=clean)
        line("100,000 signatories: time, peak memory",
             ["refused/failed" if m is None else f"{m[0]:5.2f} s, {m[1] / 1024:6.1f} MiB" for m in ms],
             "<= 10 s, <= 150 MiB")
        # a signatory's memory: the peak's growth from 50,000 to 100,000
        # signatories (tagged, the default), its page's share included
        ms50, _ = measure(lambda i: ["-q", "petition50.md", "-o", f"{outs[i]}/p50.pdf"], work, clean=clean)
        line("  a signatory, tagged (peak 50,000 -> 100,000)",
             ["-" if m is None or h is None else f"{(m[1] - h[1]) * 1024 / 50000:7.0f} bytes" for m, h in zip(ms, ms50)],
             "<= 1 KB a signatory")
        letter = os.path.join(ROOT, "examples", "open-letter.md")
        ms, _ = measure(lambda i: ["-q", letter, "-o", f"{outs[i]}/one.pdf"], work, n=21, clean=None)
        line("one letter, whole command", [f"{m[0] * 1000:7.1f} ms" for m in ms], "<= 12 ms (quiet machine)")
        if len(progs) > 1:
            print(f"({ratio(ms, lambda m: m[0])} for the one letter)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
