#!/bin/sh
# Run a command that writes a PDF (mkletter under valgrind), then check the
# PDF it wrote: it must be new and hold each of the given texts (pdftotext,
# lines joined by spaces).
# usage: render_checked.sh OUT.pdf TEXT... -- COMMAND...
set -u
out=$1
shift
want_n=0
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  want_n=$((want_n + 1))
  eval "want_$want_n=\$1"
  shift
done
[ $# -gt 1 ] || { echo "usage: render_checked.sh OUT.pdf TEXT... -- COMMAND..."; exit 2; }
shift
rm -f "$out"
"$@"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL the command exited $rc: $*"
  exit "$rc"
fi
command -v pdftotext >/dev/null || { echo "FAIL pdftotext is missing (poppler-utils): cannot check $out"; exit 1; }
[ -f "$out" ] || { echo "FAIL no $out written"; exit 1; }
text=$(pdftotext "$out" - | tr '\n' ' ')
fail=0 i=1
while [ "$i" -le "$want_n" ]; do
  eval "w=\$want_$i"
  case "$text" in
    *"$w"*) ;;
    *) echo "FAIL $out lacks the text '$w'"; fail=$((fail + 1)) ;;
  esac
  i=$((i + 1))
done
echo "$((want_n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
