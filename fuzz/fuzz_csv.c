/* fuzz_csv.c - libFuzzer target for the mail merge data module: parse the
 * input as CSV and, when it parses, fill a template naming every column with
 * row 0. Checks the invariants the rest of the library relies on.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I include -I lib \
 *         fuzz/fuzz_csv.c lib/merge.c lib/util.c -lcsv -o /tmp/fuzz_csv
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mkl_error e = {0};
    mkl_table *t = NULL;
    mkl_status st = mkl__table_parse((const char *)data, size, "fuzz.csv", &t, &e);
    if (st != MKL_OK) {
        /* an error: no table, a message, and a line unless the text is fine but memory is not */
        if (t || !e.message[0] || st == MKL_OK) abort();
        if (st == MKL_ERR_INPUT && e.line < 1) abort();
        return 0;
    }
    if (!t) abort();
    size_t rows = mkl__table_rows(t), cols = mkl__table_cols(t);
    mkl_buf tpl = {0};
    int writable = 1;   /* can every name be written as a placeholder? */
    mkl__buf_adds(&tpl, "Dear ");
    for (size_t c = 0; c < cols; c++) {
        const char *name = mkl__table_colname(t, c);
        if (!name || !name[0] || mkl__table_col(t, name) != (int)c) abort();
        if (strstr(name, "}}") || strpbrk(name, "\r\n")) writable = 0;
        /* "{{name?}}" is the optional form of "name": a name ending in '?' is
         * written "{{name??}}" */
        size_t nl = strlen(name);
        mkl__buf_printf(&tpl, nl && name[nl - 1] == '?' ? "{{ %s? }}, " : "{{ %s }}, ", name);
    }
    int prev = 1;
    for (size_t r = 0; r < rows; r++) {
        int line = mkl__table_row_line(t, r);
        if (line <= prev) abort();   /* each row starts on a later line */
        prev = line;
        for (size_t c = 0; c < cols; c++) {
            const char *v = mkl__table_get(t, r, c);
            if (mkl__utf8_invalid(v, strlen(v)) != (size_t)-1) abort();
        }
    }
    if (rows && tpl.s) {
        char *out = NULL;
        st = mkl__fill(tpl.s, t, 0, &out, &e);
        /* a name with "}}" or a line break in it cannot be written as a placeholder */
        if (st != MKL_OK && (st != MKL_ERR_INPUT || writable)) abort();
        if ((st == MKL_OK) != (out != NULL)) abort();
        if (st == MKL_OK && writable) {
            /* each value appears in the result */
            for (size_t c = 0; c < cols; c++)
                if (!strstr(out, mkl__table_get(t, 0, c))) abort();
        }
        mkl__free(out);
    }
    mkl__buf_free(&tpl);
    mkl__table_free(t);
    return 0;
}
