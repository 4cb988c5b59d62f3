/* icu.h - the ICU functions shape.c and hyph.c call, from libicuuc loaded on
 * a thread of its own while the letter is read (mkl__icu_prefetch), not when
 * the program starts.
 *
 * Mapping libicuuc with the libstdc++ it needs (4,300 symbols bound at load)
 * cost about 0.8 ms of every run of the command, before main: a thirteenth
 * of a one-letter run, measured. A renderer starts loading it on another
 * thread when it is made; the letter is read and its fonts found meanwhile,
 * and the first text shaped waits for what is left (mkl__icu_load). So the
 * library does not link libicuuc; shape.c and hyph.c are compiled against
 * ICU's headers as before, and each function they call is a pointer in
 * mkl__icu_fns, filled through dlopen/dlsym from the library of the ICU
 * version the headers are (its soname, libicuuc.so.72 for ICU 72), once per
 * process. The pointers have the headers' own types (__typeof__), so a call
 * is checked by the compiler exactly as a direct call is.
 *
 * Include this instead of ICU's headers. It defines each name below as its
 * pointer, so the code reads as plain ICU. A name the code calls that is
 * missing here fails the build: the library is not linked with libicuuc, so
 * the symbol is undefined. */
#ifndef MKL_ICU_H
#define MKL_ICU_H

#include <unicode/ubidi.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utypes.h>

#include "util.h"

#define MKL_ICU_FUNCTIONS(X)                                                                          \
    X(u_charDirection) X(u_charType) X(u_errorName) X(u_isalnum) X(u_isalpha) X(u_isdigit)            \
    X(u_isspace) X(u_isupper) X(u_tolower) X(ubidi_close) X(ubidi_getLevels) X(ubidi_open)           \
    X(ubidi_setPara) X(ubrk_close) X(ubrk_first) X(ubrk_getRuleStatus) X(ubrk_next) X(ubrk_open)     \
    X(ubrk_setText) X(uscript_getName) X(uscript_getScript)

typedef struct mkl__icu_api {
#define MKL_ICU_POINTER(name) __typeof__(name) *f_##name;
    MKL_ICU_FUNCTIONS(MKL_ICU_POINTER)
#undef MKL_ICU_POINTER
} mkl__icu_api;

/* The functions, once mkl__icu_load() has returned MKL_OK. */
extern mkl__icu_api mkl__icu_fns;

/* Start loading ICU on a thread of its own, the first time (thread-safe;
 * later calls do nothing). */
void mkl__icu_prefetch(void);

/* Wait for ICU (loading it here if mkl__icu_prefetch was not called, or
 * could not start its thread); later calls return the first's outcome at
 * once. A library that cannot be found or lacks a function is MKL_ERR_FONT
 * on `e` (text cannot be set without it), naming the library and what is
 * wrong. */
mkl_status mkl__icu_load(mkl_error *e);

#ifndef MKL_ICU_LOADER
#undef u_charDirection
#define u_charDirection (mkl__icu_fns.f_u_charDirection)
#undef u_charType
#define u_charType (mkl__icu_fns.f_u_charType)
#undef u_errorName
#define u_errorName (mkl__icu_fns.f_u_errorName)
#undef u_isalnum
#define u_isalnum (mkl__icu_fns.f_u_isalnum)
#undef u_isalpha
#define u_isalpha (mkl__icu_fns.f_u_isalpha)
#undef u_isdigit
#define u_isdigit (mkl__icu_fns.f_u_isdigit)
#undef u_isspace
#define u_isspace (mkl__icu_fns.f_u_isspace)
#undef u_isupper
#define u_isupper (mkl__icu_fns.f_u_isupper)
#undef u_tolower
#define u_tolower (mkl__icu_fns.f_u_tolower)
#undef ubidi_close
#define ubidi_close (mkl__icu_fns.f_ubidi_close)
#undef ubidi_getLevels
#define ubidi_getLevels (mkl__icu_fns.f_ubidi_getLevels)
#undef ubidi_open
#define ubidi_open (mkl__icu_fns.f_ubidi_open)
#undef ubidi_setPara
#define ubidi_setPara (mkl__icu_fns.f_ubidi_setPara)
#undef ubrk_close
#define ubrk_close (mkl__icu_fns.f_ubrk_close)
#undef ubrk_first
#define ubrk_first (mkl__icu_fns.f_ubrk_first)
#undef ubrk_getRuleStatus
#define ubrk_getRuleStatus (mkl__icu_fns.f_ubrk_getRuleStatus)
#undef ubrk_next
#define ubrk_next (mkl__icu_fns.f_ubrk_next)
#undef ubrk_open
#define ubrk_open (mkl__icu_fns.f_ubrk_open)
#undef ubrk_setText
#define ubrk_setText (mkl__icu_fns.f_ubrk_setText)
#undef uscript_getName
#define uscript_getName (mkl__icu_fns.f_uscript_getName)
#undef uscript_getScript
#define uscript_getScript (mkl__icu_fns.f_uscript_getScript)
#endif

#endif
