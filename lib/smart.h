/* smart.h - smart punctuation for text outside the body (front-matter
 * strings, merged values), as cmark's CMARK_OPT_SMART gives the body:
 * ' -> ’ or ‘, " -> “ or ”, -- -> –, --- -> —, ... -> …. A backslash before
 * ' " - or . keeps that character as written (the body's CommonMark escape);
 * any other character, backslashes included, is taken literally. */
#ifndef MKL_SMART_H
#define MKL_SMART_H

#include <stddef.h>

#include "util.h"

/* Append `s` (n bytes, UTF-8, lines separated by '\n') to `out` with smart
 * punctuation. Running out of memory sets out->oom. */
void mkl__smart_append(mkl_buf *out, const char *s, size_t n);

/* Could smart punctuation change `s` (n bytes)? 0: mkl__smart_append
 * appends it as it is. */
int mkl__smart_changes(const char *s, size_t n);

#endif
