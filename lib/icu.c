/* icu.c - libicuuc loaded on a thread of its own. See icu.h. */
#define MKL_ICU_LOADER
#include "icu.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define MKL_STR2(x) #x
#define MKL_STR(x) MKL_STR2(x)
/* The soname of the ICU the library was built against: its functions carry
 * the version in their names (u_isspace_72), so no other version has them. */
#ifndef MKL_LIBICUUC_SONAME
#define MKL_LIBICUUC_SONAME "libicuuc.so." MKL_STR(U_ICU_VERSION_MAJOR_NUM)
#endif

mkl__icu_api mkl__icu_fns;

static pthread_once_t g_start = PTHREAD_ONCE_INIT, g_wait = PTHREAD_ONCE_INIT;
static pthread_t g_thread;
static int g_started;
static char g_failed[320];   /* empty when loaded */

static void load(void) {
    /* RTLD_LAZY: libstdc++'s functions are bound when first called, as at
     * start-up (RTLD_NOW binds all of them: 3 ms more, measured) */
    void *lib = dlopen(MKL_LIBICUUC_SONAME, RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib) {
        const char *why = dlerror();
        snprintf(g_failed, sizeof g_failed, "%s", why ? why : "not found");
        return;
    }
    mkl__icu_api got;
    const char *missing = NULL;
#define MKL_ICU_SYMBOL(name)                                         \
    if (!missing) {                                                  \
        void *at = dlsym(lib, MKL_STR(name));                        \
        if (at) memcpy(&got.f_##name, &at, sizeof got.f_##name);     \
        else missing = MKL_STR(name);                                \
    }
    MKL_ICU_FUNCTIONS(MKL_ICU_SYMBOL)
#undef MKL_ICU_SYMBOL
    if (missing) {
        snprintf(g_failed, sizeof g_failed, "%s has no function %s", MKL_LIBICUUC_SONAME, missing);
        return;   /* the library stays mapped (NODELETE): ICU keeps caches of its own */
    }
    mkl__icu_fns = got;
}

static void *loader(void *unused) {
    (void)unused;
    load();
    return NULL;
}

static void start(void) {
    /* the thread takes no signal: they stay the caller's threads' */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    g_started = pthread_create(&g_thread, NULL, loader, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void no_thread(void) { g_started = 0; }

static void finish(void) {
    /* the prefetch's thread, or (none was started: none will be) here */
    if (pthread_once(&g_start, no_thread) == 0 && g_started) pthread_join(g_thread, NULL);
    else load();
}

void mkl__icu_prefetch(void) { pthread_once(&g_start, start); }

mkl_status mkl__icu_load(mkl_error *e) {
    if (pthread_once(&g_wait, finish) != 0 && !g_failed[0]) snprintf(g_failed, sizeof g_failed, "cannot run its loader");
    if (!g_failed[0]) return MKL_OK;
    return mkl__err(e, MKL_ERR_FONT, NULL, 0, 0, "text cannot be set without ICU's %s, which cannot be used: %s",
                    MKL_LIBICUUC_SONAME, g_failed);
}
