/* dynload.h - a library loaded when it is first needed, not linked: its
 * functions found by name (icu.c, fc.c). */
#ifndef MKL_DYNLOAD_H
#define MKL_DYNLOAD_H

#include <stddef.h>

/* Open `soname` (the usual search; it stays mapped: RTLD_NODELETE, its
 * functions bound when first called: RTLD_LAZY), find each of the n `names`
 * and copy their addresses, in order, into `table` (a struct of n function
 * pointers, `size` bytes: a function pointer is the size of the void * dlsym
 * gives, as POSIX has it; n at most MKL_DL_MAX_FUNCTIONS), which is left as it was unless all are found.
 * 0, or -1 with why (what cannot be opened, or the first function it lacks)
 * in `why`. */
#define MKL_DL_MAX_FUNCTIONS 64
int mkl__dl_load_table(const char *soname, const char *const *names, size_t n, void *table, size_t size, char *why,
                       size_t whysz);

#define MKL_STR2(x) #x
#define MKL_STR(x) MKL_STR2(x)

#endif
