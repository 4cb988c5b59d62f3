/* fake_libcrypto.c - a "libcrypto.so.3" with one function of the many the
 * signing module needs: golden_sign puts it first on LD_LIBRARY_PATH to check
 * that a libcrypto that cannot be used is a clear error, not a crash. Its
 * version is $MKL_FAKE_OPENSSL_VERSION (hex, as OpenSSL_version_num gives
 * it), 3.0.0 if unset. */
#include <stdlib.h>

unsigned long OpenSSL_version_num(void);
unsigned long OpenSSL_version_num(void) {
    const char *v = getenv("MKL_FAKE_OPENSSL_VERSION");
    return v ? strtoul(v, NULL, 16) : 0x30000000UL;
}
