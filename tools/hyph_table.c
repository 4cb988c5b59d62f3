/* hyph_table.c - the hyphenation tables compiled into the library, made at
 * build time: for each pattern file given, the table a load of that file
 * makes (liang.h), bytes for bytes, with the file's length and fingerprint
 * that tell the library it has the file's table at hand.
 *
 *     hyph_table OUT.c [PATTERN_FILE ...]
 *
 * A file that is missing or not a plain UTF-8 Liang file is left out (the
 * library reads it at run time, as any other); the same text twice is
 * compiled in once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liang.h"

const mkl_liang_builtin mkl__liang_builtins[] = {{0, 0, {0}}};   /* (this program has none) */

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: hyph_table OUT.c [PATTERN_FILE ...]\n");
        return 2;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", argv[1], (long)getpid());
    FILE *out = fopen(tmp, "w");
    if (!out) {
        perror(tmp);
        return 1;
    }
    fprintf(out, "/* made by tools/hyph_table.c at build time: do not edit */\n#include \"liang.h\"\n\n");
    uint64_t done[64];
    size_t nfiles = 0, nlens[64];
    for (int a = 2; a < argc && nfiles < 64; a++) {
        char *text;
        size_t len;
        mkl_error e;
        if (mkl__read_file(argv[a], MKL_READ_MAX, "pattern file", &text, &len, &e)) {
            fprintf(stderr, "hyph_table: %s not compiled in: %s\n", argv[a], e.message);
            continue;
        }
        uint64_t fp = mkl__liang_fingerprint(text, len);
        int seen = 0;
        for (size_t k = 0; k < nfiles; k++) seen |= done[k] == fp && nlens[k] == len;
        int oom = 0;
        mkl_liang *l = seen ? NULL : mkl__liang_parse(text, len, &oom);
        mkl__free(text);
        if (oom) {
            fprintf(stderr, "hyph_table: out of memory\n");
            return 1;
        }
        if (!l) {
            if (!seen) fprintf(stderr, "hyph_table: %s not compiled in: not a plain UTF-8 Liang file\n", argv[a]);
            continue;
        }
        fprintf(out, "/* %s */\nstatic const mkl_pattern slots%zu[%zu] = {\n", argv[a], nfiles, l->cap);
        for (size_t i = 0; i < l->cap; i++) {
            const mkl_pattern *p = &l->slots[i];
            if (p->hash) fprintf(out, "[%zu] = {%uu, %u, %u, %u},\n", i, p->hash, p->key, p->keylen, p->digits);
        }
        fprintf(out, "};\nstatic const char pool%zu[%zu] = {", nfiles, l->pool_len ? l->pool_len : 1);
        for (size_t i = 0; i < l->pool_len; i++) fprintf(out, "%s%d,", i % 24 ? "" : "\n", (int)(signed char)l->pool[i]);
        fprintf(out, "\n};\n\n");
        done[nfiles] = fp;
        nlens[nfiles] = len;
        fprintf(out, "#define TABLE%zu {%zuu, %lluull, {pool%zu, slots%zu, %zuu, %zuu, %zuu, 0}}\n\n", nfiles, len,
                (unsigned long long)fp, nfiles, nfiles, l->cap, l->maxlen, l->pool_len);
        nfiles++;
        mkl__liang_free(l);
    }
    fprintf(out, "const mkl_liang_builtin mkl__liang_builtins[] = {");
    for (size_t k = 0; k < nfiles; k++) fprintf(out, "TABLE%zu, ", k);
    fprintf(out, "{0, 0, {0}}};\n");
    if (fclose(out)) {
        perror(tmp);
        return 1;
    }
    if (rename(tmp, argv[1])) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
