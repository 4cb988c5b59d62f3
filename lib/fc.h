/* fc.h - the Fontconfig functions font.c calls, from libfontconfig loaded
 * the first time a letter needs a font that is not in a font folder
 * (mkl__fc_load), not when the program starts.
 *
 * Mapping libfontconfig and the libexpat it needs cost every run of the
 * command about 0.2 ms of its start, measured, though a letter in the bundled
 * fonts never asks Fontconfig. So the library does not link it; font.c is
 * compiled against Fontconfig's header as before, and each function it calls
 * is a pointer in mkl__fc_fns of the header's own type (__typeof__), filled
 * through dlopen/dlsym once per process (dynload.h).
 *
 * Include this instead of <fontconfig/fontconfig.h>. It defines each name
 * below as its pointer, so font.c reads as plain Fontconfig; a name it calls
 * that is missing here fails the build (the symbol is undefined). */
#ifndef MKL_FC_H
#define MKL_FC_H

#include <fontconfig/fontconfig.h>

#define MKL_FC_FUNCTIONS(X)                                                                                \
    X(FcCharSetHasChar) X(FcConfigSubstitute) X(FcDefaultSubstitute) X(FcFontList) X(FcFontSetDestroy)     \
    X(FcFontSort) X(FcInit) X(FcObjectSetBuild) X(FcObjectSetDestroy) X(FcPatternAddBool)                  \
    X(FcPatternAddInteger) X(FcPatternAddString) X(FcPatternCreate) X(FcPatternDestroy) X(FcPatternGetBool) \
    X(FcPatternGetCharSet) X(FcPatternGetInteger) X(FcPatternGetString)

typedef struct mkl__fc_api {
#define MKL_FC_POINTER(name) __typeof__(name) *f_##name;
    MKL_FC_FUNCTIONS(MKL_FC_POINTER)
#undef MKL_FC_POINTER
} mkl__fc_api;

/* The functions, once mkl__fc_load() has returned 0. */
extern mkl__fc_api mkl__fc_fns;

/* Load libfontconfig and every function above, the first time
 * (thread-safe); later calls return the first call's outcome: 0, or -1
 * (mkl__fc_trouble() says why). */
int mkl__fc_load(void);
/* What is wrong with libfontconfig, if it was asked for and could not be
 * loaded; else NULL (not asked yet, or loaded). */
const char *mkl__fc_trouble(void);

#ifndef MKL_FC_LOADER
#define FcCharSetHasChar (mkl__fc_fns.f_FcCharSetHasChar)
#define FcConfigSubstitute (mkl__fc_fns.f_FcConfigSubstitute)
#define FcDefaultSubstitute (mkl__fc_fns.f_FcDefaultSubstitute)
#define FcFontList (mkl__fc_fns.f_FcFontList)
#define FcFontSetDestroy (mkl__fc_fns.f_FcFontSetDestroy)
#define FcFontSort (mkl__fc_fns.f_FcFontSort)
#define FcInit (mkl__fc_fns.f_FcInit)
#define FcObjectSetBuild (mkl__fc_fns.f_FcObjectSetBuild)
#define FcObjectSetDestroy (mkl__fc_fns.f_FcObjectSetDestroy)
#define FcPatternAddBool (mkl__fc_fns.f_FcPatternAddBool)
#define FcPatternAddInteger (mkl__fc_fns.f_FcPatternAddInteger)
#define FcPatternAddString (mkl__fc_fns.f_FcPatternAddString)
#define FcPatternCreate (mkl__fc_fns.f_FcPatternCreate)
#define FcPatternDestroy (mkl__fc_fns.f_FcPatternDestroy)
#define FcPatternGetBool (mkl__fc_fns.f_FcPatternGetBool)
#define FcPatternGetCharSet (mkl__fc_fns.f_FcPatternGetCharSet)
#define FcPatternGetInteger (mkl__fc_fns.f_FcPatternGetInteger)
#define FcPatternGetString (mkl__fc_fns.f_FcPatternGetString)
#endif

#endif
