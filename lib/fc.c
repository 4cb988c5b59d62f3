/* fc.c - libfontconfig loaded when first needed. See fc.h. */
#define MKL_FC_LOADER
#include "fc.h"

#include "dynload.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Fontconfig's soname has been libfontconfig.so.1 since Fontconfig 2.0 (its
 * header gives the package's version, not the library's). */
#ifndef MKL_LIBFONTCONFIG_SONAME
#define MKL_LIBFONTCONFIG_SONAME "libfontconfig.so.1"
#endif

mkl__fc_api mkl__fc_fns;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_failed[320];   /* empty when loaded */
static int g_done;           /* load() has run (atomic: read without the once) */

static void load(void) {
#define MKL_FC_NAME(name) #name,
    static const char *const names[] = {MKL_FC_FUNCTIONS(MKL_FC_NAME)};
#undef MKL_FC_NAME
    mkl__dl_load_table(MKL_LIBFONTCONFIG_SONAME, names, sizeof names / sizeof *names, &mkl__fc_fns,
                       sizeof mkl__fc_fns, g_failed, sizeof g_failed);
    __atomic_store_n(&g_done, 1, __ATOMIC_RELEASE);
}

int mkl__fc_load(void) {
    if (pthread_once(&g_once, load) != 0 && !g_failed[0]) snprintf(g_failed, sizeof g_failed, "its loader cannot run");
    return g_failed[0] ? -1 : 0;
}

const char *mkl__fc_trouble(void) {
    return __atomic_load_n(&g_done, __ATOMIC_ACQUIRE) && g_failed[0] ? g_failed : NULL;
}
