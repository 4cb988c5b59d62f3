#!/usr/bin/env python3
"""The README's recipes for splitting a merge over cores and machines (GNU
parallel, a Slurm array job, a Kubernetes Indexed Job), run as written on a
1,000-row merge: the union of the slices' files is byte-identical to one run.

usage: test_recipes.py MKLETTER REPO_ROOT
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish  # noqa: E402

ROWS = 1000


def recipes(readme):
    """The recipe commands of the README: continuation lines joined."""
    lines, out, cur = open(readme, encoding="utf-8").read().splitlines(), {}, ""
    for ln in lines:
        s = ln.strip()
        if cur:
            cur += " " + s.rstrip("\\").strip()
            if not s.endswith("\\"):
                out["parallel"], cur = cur, ""
        elif s.startswith("parallel mkletter"):
            cur = s.rstrip("\\").strip()
            if not s.endswith("\\"):
                out["parallel"], cur = cur, ""
        elif s.startswith("i=$SLURM_ARRAY_TASK_ID;"):
            out["slurm"] = s
        elif s.startswith("i=$JOB_COMPLETION_INDEX;"):
            out["k8s"] = s
    return out


def digest(folder):
    return {f: hashlib.sha256(open(os.path.join(folder, f), "rb").read()).hexdigest() for f in os.listdir(folder)}


def main():
    mkl, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    found = recipes(os.path.join(root, "README.md"))
    check(set(found) == {"parallel", "slurm", "k8s"}, "the README has the three recipes", sorted(found))
    check(shutil.which("parallel") is not None, "GNU parallel is installed (scripts/deps: parallel)")
    with tempfile.TemporaryDirectory(prefix="mkletter-recipes-") as tmp:
        seed = open(os.path.join(root, "examples", "open-letter.md"), encoding="utf-8").read()
        seed = seed.replace("\n  Moon Jae-in\n  President of the Republic of Korea\n", "\n  {{name}}\n  {{title}}\n")
        seed = seed.replace("opening: President Moon Jae-in,", "opening: Dear {{name}},")
        with open(os.path.join(tmp, "letter.md"), "w", encoding="utf-8") as f:
            f.write(seed)
        with open(os.path.join(tmp, "people.csv"), "w", encoding="utf-8") as f:
            f.write("id,name,title\n" + "".join(f"{i},Recipient {i},Minister {i % 37}\n" for i in range(1, ROWS + 1)))
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        os.symlink(mkl, os.path.join(bindir, "mkletter"))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], SOURCE_DATE_EPOCH="1582243200")
        os.mkdir(os.path.join(tmp, "out"))
        r = subprocess.run(["mkletter", "letter.md", "--merge", "people.csv", "-o", "out/{{id}}.pdf", "-q"], cwd=tmp,
                           env=env, capture_output=True)
        check(r.returncode == 0, "one run of the whole merge", r.stderr)
        one = digest(os.path.join(tmp, "out"))
        check(len(one) == ROWS, f"one run makes {ROWS} files", len(one))
        for name, cmd in sorted(found.items()):
            shutil.rmtree(os.path.join(tmp, "out"))
            os.mkdir(os.path.join(tmp, "out"))
            if name == "parallel":
                runs = [subprocess.run(["bash", "-c", cmd], cwd=tmp, env=env, capture_output=True)]
            else:
                var = "SLURM_ARRAY_TASK_ID" if name == "slurm" else "JOB_COMPLETION_INDEX"
                # the tasks of an array run at once: start them all, then wait
                procs = [subprocess.Popen(["bash", "-c", cmd], cwd=tmp, env=dict(env, **{var: str(i)}),
                                          stderr=subprocess.PIPE) for i in range(4)]
                runs = [subprocess.CompletedProcess(p.args, p.wait(), b"", p.stderr.read()) for p in procs]
            check(all(x.returncode == 0 for x in runs), f"{name}: every slice exits 0",
                  [x.stderr.decode(errors="replace")[:200] for x in runs if x.returncode])
            got = digest(os.path.join(tmp, "out"))
            check(got == one, f"{name}: the slices' files are byte-identical to one run",
                  f"{len(got)} files, {sum(1 for k in got if got[k] != one.get(k))} differ")
            left = [f for f in os.listdir(os.path.join(tmp, "out")) if f.startswith(".")]
            check(left == [], f"{name}: no temporary file left", left[:3])
    finish()


if __name__ == "__main__":
    main()
