/* dynload.c - libraries loaded when first needed. See dynload.h. */
#include "dynload.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int mkl__dl_load_table(const char *soname, const char *const *names, size_t n, void *table, size_t size, char *why,
                       size_t whysz) {
    void **at = size == n * sizeof(void *) ? mkl__calloc(n ? n : 1, sizeof *at) : NULL;
    if (!at) {
        snprintf(why, whysz, "%s", size == n * sizeof(void *) ? "out of memory" : "its table is not one pointer a function");
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
    mkl__free(at);
    return rc;
}
