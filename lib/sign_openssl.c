/* sign_openssl.c - libcrypto loaded on first use. See sign_openssl.h. */
#define MKL_OPENSSL_LOADER
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sign_openssl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MKL_STR2(x) #x
#define MKL_STR(x) MKL_STR2(x)
/* The soname of the OpenSSL the library was built against: the same major
 * version keeps the same ABI. */
#ifndef MKL_LIBCRYPTO_SONAME
#define MKL_LIBCRYPTO_SONAME "libcrypto.so." MKL_STR(OPENSSL_VERSION_MAJOR)
#endif

mkl__openssl mkl__ossl;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_failed[320];   /* empty when loaded */

static void load(void) {
    void *lib = dlopen(MKL_LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib) {
        const char *why = dlerror();
        snprintf(g_failed, sizeof g_failed, "%s", why ? why : "not found");
        return;
    }
    mkl__openssl got;
    const char *missing = NULL;
    /* the version first: another major version has other functions */
    void *version_at = dlsym(lib, "OpenSSL_version_num");
    if (!version_at) {
        snprintf(g_failed, sizeof g_failed, "%s is not OpenSSL (it has no OpenSSL_version_num)", MKL_LIBCRYPTO_SONAME);
        return;   /* the library stays mapped (NODELETE): unloading OpenSSL is not safe */
    }
    memcpy(&got.OpenSSL_version_num, &version_at, sizeof got.OpenSSL_version_num);
    unsigned long version = got.OpenSSL_version_num();
    if (version >> 28 != OPENSSL_VERSION_MAJOR) {
        snprintf(g_failed, sizeof g_failed, "%s is OpenSSL %lu, not %d", MKL_LIBCRYPTO_SONAME, version >> 28,
                 OPENSSL_VERSION_MAJOR);
        return;
    }
#define MKL_OPENSSL_SYMBOL(name)                                     \
    if (!missing) {                                                  \
        void *at = dlsym(lib, #name);                                \
        if (at) memcpy(&got.name, &at, sizeof got.name);             \
        else missing = #name;                                        \
    }
    MKL_OPENSSL_FUNCTIONS(MKL_OPENSSL_SYMBOL)
#undef MKL_OPENSSL_SYMBOL
    if (missing) {
        snprintf(g_failed, sizeof g_failed, "%s has no function %s", MKL_LIBCRYPTO_SONAME, missing);
        return;
    }
    mkl__ossl = got;
}

mkl_status mkl__openssl_load(const char *path, mkl_error *e) {
    if (pthread_once(&g_once, load) != 0) snprintf(g_failed, sizeof g_failed, "cannot run its loader");
    if (!g_failed[0]) return MKL_OK;
    return mkl__err(e, MKL_ERR_INPUT, path, 0, 0, "signing needs OpenSSL's %s, which cannot be used: %s",
                    MKL_LIBCRYPTO_SONAME, g_failed);
}
