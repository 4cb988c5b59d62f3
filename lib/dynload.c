/* dynload.c - libraries loaded when first needed. See dynload.h. */
#include "dynload.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int mkl__dl_load_table(const char *soname, const char *const *names, size_t n, void *table, size_t size, char *why,
                       size_t whysz) {
    /* on the stack: the ICU loader runs beside the caller's threads, and the
     * library's allocator (its allocation-failure hook for tests) is not
     * for two threads at once */
    void *at[MKL_DL_MAX_FUNCTIONS];
    if (n > MKL_DL_MAX_FUNCTIONS || size != n * sizeof(void *)) {
        snprintf(why, whysz, "%s: its table is not one pointer a function, or too long", soname);
        return -1;
    }
    /* RTLD_LAZY: a library's own dependencies (libstdc++ for ICU) bind their
     * functions when first called, as at start-up (RTLD_NOW bound all of
     * libstdc++'s: 3 ms more, measured) */
    void *lib = dlopen(soname, RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
    int rc = 0;
    if (!lib) {
        const char *e = dlerror();
        snprintf(why, whysz, "%s", e ? e : "not found");
        rc = -1;
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (!(at[i] = dlsym(lib, names[i]))) {
            /* the library stays mapped (NODELETE): unloading it is not known to be safe */
            snprintf(why, whysz, "%s has no function %s", soname, names[i]);
            rc = -1;
        }
    if (!rc) memcpy(table, at, size);
    return rc;
}
