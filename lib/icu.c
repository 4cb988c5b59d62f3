/* icu.c - libicuuc loaded on a thread of its own. See icu.h. */
#define MKL_ICU_LOADER
#include "icu.h"

#include "dynload.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* The soname of the ICU the library was built against: its functions carry
 * the version in their names (u_isspace_72), so no other version has them. */
#ifndef MKL_LIBICUUC_SONAME
#define MKL_LIBICUUC_SONAME "libicuuc.so." MKL_STR(U_ICU_VERSION_MAJOR_NUM)
#endif

mkl__icu_api mkl__icu_fns;

static pthread_once_t g_start = PTHREAD_ONCE_INIT, g_wait = PTHREAD_ONCE_INIT;
/* the loader thread is detached (nothing of it is left once it is done, even
 * if no letter is ever shaped): it says it is done under g_lock */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_loaded = PTHREAD_COND_INITIALIZER;
static int g_started, g_done;
static char g_failed[320];   /* empty when loaded */

static void load(void) {
#define MKL_ICU_NAME(name) MKL_STR(name),
    static const char *const names[] = {MKL_ICU_FUNCTIONS(MKL_ICU_NAME)};
#undef MKL_ICU_NAME
    mkl__dl_load_table(MKL_LIBICUUC_SONAME, names, sizeof names / sizeof *names, &mkl__icu_fns, sizeof mkl__icu_fns,
                       g_failed, sizeof g_failed);
}

static void *loader(void *unused) {
    (void)unused;
    load();
    pthread_mutex_lock(&g_lock);
    g_done = 1;
    pthread_cond_broadcast(&g_loaded);
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

static void finish(void);

/* Before a fork: the loader done. A child has only the forking thread, so
 * the loader would never finish there, and one inside dlopen() at the fork
 * would leave the child dlopen's lock held for ever. */
static void before_fork(void) { pthread_once(&g_wait, finish); }

static void start(void) {
    if (pthread_atfork(before_fork, NULL, NULL) != 0) return;   /* (no thread: loaded when first needed) */
    /* the thread takes no signal: they stay the caller's threads' */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) == 0) {
        pthread_t thread;
        g_started = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
                    pthread_create(&thread, &attr, loader, NULL) == 0;
        pthread_attr_destroy(&attr);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void no_thread(void) { g_started = 0; }

static void finish(void) {
    /* the prefetch's thread, or (none was started: none will be) here */
    if (pthread_once(&g_start, no_thread) == 0 && g_started) {
        pthread_mutex_lock(&g_lock);
        while (!g_done) pthread_cond_wait(&g_loaded, &g_lock);
        pthread_mutex_unlock(&g_lock);
    } else {
        load();
    }
}

void mkl__icu_prefetch(void) { pthread_once(&g_start, start); }

mkl_status mkl__icu_load(mkl_error *e) {
    if (pthread_once(&g_wait, finish) != 0 && !g_failed[0]) snprintf(g_failed, sizeof g_failed, "cannot run its loader");
    if (!g_failed[0]) return MKL_OK;
    return mkl__err(e, MKL_ERR_FONT, NULL, 0, 0, "text cannot be set without ICU's %s, which cannot be used: %s",
                    MKL_LIBICUUC_SONAME, g_failed);
}
