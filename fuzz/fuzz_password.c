/* fuzz_password.c - libFuzzer target for reading a password file
 * (mkl__password_line in lib/sign.c, what mkl_signer_read_password() does
 * with the file's bytes): the first line, a "\r" before its "\n" dropped,
 * refused when it holds a NUL byte or does not fit. Checks that result
 * against a plain reading of the same rule, for several buffer sizes, and
 * that no message holds the password.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I include -I lib \
 *         fuzz/fuzz_password.c lib/sign.c lib/util.c -lcrypto -o /tmp/fuzz_password
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const size_t sizes[] = {1, 2, 8, 64, 1024};
    size_t line = 0;
    while (line < size && data[line] != '\n') line++;
    size_t want = line && data[line - 1] == '\r' ? line - 1 : line;
    int has_nul = memchr(data, 0, want) != NULL;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t cap = sizes[k];
        char *out = malloc(cap);
        if (!out) return 0;
        memset(out, 'x', cap);
        mkl_error e = {0};
        mkl_status st = mkl__password_line((const char *)data, size, "pw.txt", out, cap, &e);
        if (has_nul || want > cap - 1) {
            if (st != MKL_ERR_INPUT || !e.message[0] || strcmp(e.file, "pw.txt")) abort();
            /* the message never holds the password: it is the same as for
             * another password of the same length (a search for the password
             * in it would find "assw" in the word "password") */
            if (!has_nul) {
                char *other = malloc(size ? size : 1);
                if (!other) abort();
                memcpy(other, data, size);
                memset(other, 'Z', want);
                mkl_error e2 = {0};
                mkl__password_line(other, size, "pw.txt", out, cap, &e2);
                if (strcmp(e.message, e2.message)) abort();
                free(other);
            }
        } else {
            if (st != MKL_OK || strlen(out) != want || memcmp(out, data, want)) abort();
        }
        free(out);
    }
    return 0;
}
