/* fuzz_pack.c - libFuzzer target for pack.c: any bytes are packed or refused;
 * a refusal leaves the output as it was, a packed file is a whole PDF 1.5.
 * The seed corpus holds classic PDFs as libharu writes them.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I include -I lib \
 *         fuzz/fuzz_pack.c lib/pack.c lib/util.c -lz -o /tmp/fuzz_pack
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mkl_buf out = {0};
    mkl__buf_adds(&out, "before");
    mkl_status st = mkl__pdf_pack((const char *)data, size, &out);
    if (st == MKL_OK) {
        if (out.n < 6 + 30 || memcmp(out.s + 6, "%PDF-1.5\n", 9) || memcmp(out.s + out.n - 6, "%%EOF\n", 6)) abort();
    } else {
        if ((st != MKL_ERR_PDF && st != MKL_ERR_NOMEM) || out.n != 6 || strcmp(out.s, "before")) abort();
    }
    mkl__buf_free(&out);
    return 0;
}
