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
/* Who loads: the first to take the load, under g_lock: the loader thread
 * (detached: nothing of it is left once it is done, even if no letter is
 * ever shaped), or the first text shaped if the thread has not begun by
 * then. On a busy machine a new thread may wait milliseconds for a core;
 * the text waits only for a load under way, never for the thread to be
 * given a core (measured: 28 ms for a 12 ms letter beside a -j 2 merge). */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_loaded = PTHREAD_COND_INITIALIZER;
enum { NOT_TAKEN, LOADING, LOADED };
static int g_state = NOT_TAKEN;
static char g_failed[320];   /* empty when loaded */

static void load(void) {
#define MKL_ICU_NAME(name) MKL_STR(name),
    static const char *const names[] = {MKL_ICU_FUNCTIONS(MKL_ICU_NAME)};
#undef MKL_ICU_NAME
    mkl__dl_load_table(MKL_LIBICUUC_SONAME, names, sizeof names / sizeof *names, &mkl__icu_fns, sizeof mkl__icu_fns,
                       g_failed, sizeof g_failed);
}

/* Load, unless another thread took the load: then wait for it to be done. */
static void load_or_wait(void) {
    pthread_mutex_lock(&g_lock);
    if (g_state == NOT_TAKEN) {
        g_state = LOADING;
        pthread_mutex_unlock(&g_lock);
        load();
        pthread_mutex_lock(&g_lock);
        g_state = LOADED;
        pthread_cond_broadcast(&g_loaded);
    }
    while (g_state != LOADED) pthread_cond_wait(&g_loaded, &g_lock);
    pthread_mutex_unlock(&g_lock);
}

static void *loader(void *unused) {
    (void)unused;
    load_or_wait();
    return NULL;
}

/* What a text (or a fork) does the first time it needs ICU. */
static void finish(void) { load_or_wait(); }

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
    if (pthread_attr_init(&attr) == 0) {   /* (no thread: the first text shaped loads it) */
        pthread_t thread;
        if (pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0)
            (void)pthread_create(&thread, &attr, loader, NULL);
        pthread_attr_destroy(&attr);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void mkl__icu_prefetch(void) { pthread_once(&g_start, start); }

mkl_status mkl__icu_load(mkl_error *e) {
    if (pthread_once(&g_wait, finish) != 0 && !g_failed[0]) snprintf(g_failed, sizeof g_failed, "cannot run its loader");
    if (!g_failed[0]) return MKL_OK;
    return mkl__err(e, MKL_ERR_FONT, NULL, 0, 0, "text cannot be set without ICU's %s, which cannot be used: %s",
                    MKL_LIBICUUC_SONAME, g_failed);
}
