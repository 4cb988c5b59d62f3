/* dynload.c - libraries loaded when first needed. See dynload.h. */
#include "dynload.h"

#include <dlfcn.h>
#include <stdio.h>

int mkl__dl_open_all(const char *soname, const char *const *names, size_t n, void **at, char *why, size_t whysz) {
    /* RTLD_LAZY: a library's own dependencies (libstdc++ for ICU) bind their
     * functions when first called, as at start-up (RTLD_NOW bound all of
     * libstdc++'s: 3 ms more, measured) */
    void *lib = dlopen(soname, RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib) {
        const char *e = dlerror();
        snprintf(why, whysz, "%s", e ? e : "not found");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!(at[i] = dlsym(lib, names[i]))) {
            snprintf(why, whysz, "%s has no function %s", soname, names[i]);
            return -1;   /* the library stays mapped (NODELETE): unloading it is not known to be safe */
        }
    return 0;
}
