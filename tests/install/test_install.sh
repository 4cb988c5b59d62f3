#!/bin/sh
# Install into a temporary prefix, then build programs outside the tree
# against the installed copy: with pkg-config and with CMake's find_package.
# Checks that only mkl_ symbols are exported, that the installed fonts are the
# ones used, and that the man page reads.
# usage: test_install.sh BUILD_DIR SOURCE_DIR
set -u
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; bad "cmake --install"; }
P=$tmp/prefix
so=$(ls "$P"/lib*/libmkletter.so 2>/dev/null | head -n1)
check '[ -n "$so" ] && [ -f "$(dirname "$so")/libmkletter.a" ]' "shared and static libraries installed"
check '[ -f "$P/include/mkletter.h" ] && [ -x "$P/bin/mkletter" ]' "header and command installed"
check '[ -f "$P/share/mkletter/fonts/LiberationSerif-Regular.ttf" ]' "fonts installed"
others=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^mkl_' | grep -v '^_' | tr '\n' ' ')
check '[ -z "$others" ]' "only mkl_ symbols exported (also: $others)"

# pkg-config
export PKG_CONFIG_PATH="$(dirname "$so")/pkgconfig"
if cc -Wall -Werror "$src/examples/letter-in-code.c" $(pkg-config --cflags --libs mkletter) \
     -Wl,-rpath,"$(dirname "$so")" -o "$tmp/lic" 2>"$tmp/cc.log"; then ok; else cat "$tmp/cc.log"; bad "cc with pkg-config"; fi
# move the source tree's fonts out of sight: the installed ones must be found
# (strace shows which font files the program opens; scripts/deps installs it)
if command -v strace >/dev/null; then
  if MKLETTER_FONT_DIR= strace -f -e trace=openat -o "$tmp/strace.log" "$tmp/lic" "$tmp/lic.pdf" >/dev/null; then ok
  else bad "the pkg-config program renders"; fi
  check 'grep "\.ttf" "$tmp/strace.log" | grep -q "$P"' "fonts come from the install prefix"
  check '! grep "\.ttf" "$tmp/strace.log" | grep -v "$P" | grep -q "$src/fonts"' "no font is read from the source tree"
else
  bad "strace is missing (scripts/deps installs it): cannot check that the fonts come from the install prefix"
  if MKLETTER_FONT_DIR= "$tmp/lic" "$tmp/lic.pdf" >/dev/null; then ok; else bad "the pkg-config program renders"; fi
fi
# a render is checked by its text, not by its existence
has_text() { pdftotext "$1" - 2>/dev/null | tr '\n' ' ' | grep -q "$2"; }
check 'has_text "$tmp/lic.pdf" "We are writing on behalf of 69 non-governmental organizations"' "the pkg-config program's letter has its text"
check 'has_text "$tmp/lic.pdf" "Human Rights Watch"' "the pkg-config program's letter has its signatories"

# CMake find_package
mkdir -p "$tmp/consumer"
cat >"$tmp/consumer/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(mkletter REQUIRED)
add_executable(lic "$src/examples/letter-in-code.c")
target_link_libraries(lic PRIVATE mkletter::mkletter)
CM
if cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$P" >"$tmp/c.log" 2>&1 &&
   cmake --build "$tmp/consumer/build" >>"$tmp/c.log" 2>&1; then ok; else cat "$tmp/c.log"; bad "find_package(mkletter) build"; fi
check '"$tmp/consumer/build/lic" "$tmp/lic2.pdf" >/dev/null' "the find_package program renders"
check 'has_text "$tmp/lic2.pdf" "We are writing on behalf of 69 non-governmental organizations"' "the find_package program's letter has its text"

# the installed command and man page
check '"$P/bin/mkletter" "$src/examples/open-letter.md" -o "$tmp/seed.pdf"' "installed mkletter renders the seed letter"
check 'has_text "$tmp/seed.pdf" "Transitional Justice Working Group"' "the seed letter has its letterhead"
check 'has_text "$tmp/seed.pdf" "We are writing on behalf of"' "the seed letter has its body"
check 'has_text "$tmp/seed.pdf" "Page 4 of 4"' "the seed letter has its four pages"
check 'man -l "$P/share/man/man1/mkletter.1" 2>/dev/null | grep -q "EXIT STATUS"' "man -l shows the man page"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
