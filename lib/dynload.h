/* dynload.h - a library loaded when it is first needed, not linked: its
 * functions found by name (icu.c, fc.c). */
#ifndef MKL_DYNLOAD_H
#define MKL_DYNLOAD_H

#include <stddef.h>

/* Open `soname` (the usual search; it stays mapped: RTLD_NODELETE, its
 * functions bound when first called: RTLD_LAZY) and find each of the n
 * `names`, at[i]. 0, or -1 with why (what cannot be opened, or the first
 * function it lacks) in `why`. */
int mkl__dl_open_all(const char *soname, const char *const *names, size_t n, void **at, char *why, size_t whysz);

#define MKL_STR2(x) #x
#define MKL_STR(x) MKL_STR2(x)

#endif
