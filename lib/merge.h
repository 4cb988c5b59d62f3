/* merge.h - mail merge data: a CSV file parsed into a table, and "{{field}}"
 * placeholders filled from one of its rows. Internal to libmkletter.
 *
 * The CSV dialect is RFC 4180: fields separated by ',', records by CRLF, LF
 * (or a lone CR); a field holding ',', '"' or a line break is quoted, with
 * each '"' inside doubled. Spaces are part of a field (they are not trimmed,
 * except around the header's names), so `a, "b"` is an error: the second
 * field starts with a space and then holds a quote. Text is UTF-8; a leading
 * byte order mark is skipped; a NUL byte is an error.
 *
 * The first record is the header: it names the fields. Names are trimmed of
 * ASCII white space; an empty or repeated name is an error. Every other record
 * must have as many fields as the header. Empty lines are allowed only at the
 * end of the file (an empty line between records is an error, because for a
 * one-column file it is ambiguous; write "" for an empty value). A file with a
 * header and no data row is valid and has 0 rows.
 *
 * Rows in messages are numbered as a spreadsheet shows them: the header is
 * row 1, data row i (0-based, as in mkl__table_get) is row i + 2. Lines are
 * physical lines of the file (a quoted field may span several).
 */
#ifndef MKL_MERGE_H
#define MKL_MERGE_H

#include <stddef.h>

#include "mkletter.h"
#include "util.h"

/* Limits (exceeding one is MKL_ERR_LIMIT). */
#define MKL_CSV_MAX_ROWS 1000000u          /* data rows, header excluded */
#define MKL_CSV_MAX_COLS 1000u
#define MKL_CSV_MAX_FIELD (1024u * 1024u)  /* bytes in one field */

typedef struct mkl_table mkl_table;   /* a parsed CSV file: header + rows */

/* Parse CSV `text` of `len` bytes (it need not be NUL-terminated). `name` is
 * the file name used in errors (may be NULL). On success *out is a table to
 * free with mkl__table_free(); on failure *out is NULL and `e` says why:
 *  - MKL_ERR_INPUT: bad data. e->file = name, e->line = the physical line
 *    where the bad record starts, e->column = the 1-based field number when
 *    the error is about one field, else 0. Messages:
 *      "row 7 has 3 fields, the header has 4"
 *      "row 5 is an empty line, the header has 4 fields"
 *      "unterminated quoted field (opened on line 12)"
 *      "unexpected '\"' in row 3, field 'name': ..."           (quote inside an unquoted field)
 *      "unexpected 'x' after the closing quote in row 3, field 'name': ..."
 *      "invalid UTF-8 in row 3, field 'name' (save the file as UTF-8)"
 *      "NUL byte in row 3, field 'name'", "the file is in UTF-16: ..."
 *      "empty column name (column 3)" / "duplicate column name 'id' (columns 1 and 4)"
 *      "the file is empty: its first line must name the fields"
 *  - MKL_ERR_LIMIT: more than MKL_CSV_MAX_ROWS rows, MKL_CSV_MAX_COLS columns,
 *    or a field longer than MKL_CSV_MAX_FIELD bytes.
 *  - MKL_ERR_NOMEM.
 * Memory is linear in `len`. */
mkl_status mkl__table_parse(const char *text, size_t len, const char *name, mkl_table **out, mkl_error *e);
/* Read the file at `path` (MKL_ERR_READ when it cannot be read) and parse it. */
mkl_status mkl__table_load(const char *path, mkl_table **out, mkl_error *e);
void mkl__table_free(mkl_table *t);                  /* NULL is allowed */
size_t mkl__table_rows(const mkl_table *t);          /* data rows, header excluded */
size_t mkl__table_cols(const mkl_table *t);
/* The trimmed name of column `col`, or NULL when col is out of range. */
const char *mkl__table_colname(const mkl_table *t, size_t col);
int mkl__table_col(const mkl_table *t, const char *name);   /* index or -1 (exact, case-sensitive) */
/* The value of data row `row` (0-based), column `col`, NUL-terminated, never
 * NULL ("" when out of range). Values are exactly as in the file (not trimmed). */
const char *mkl__table_get(const mkl_table *t, size_t row, size_t col);
/* The physical line (1-based) where data row `row` (0-based) starts, or 0 when out of range. */
int mkl__table_row_line(const mkl_table *t, size_t row);

/* Placeholders.
 *
 * "{{" always opens a placeholder; there is no escape for a literal "{{".
 * A placeholder is "{{", the field name (spaces and tabs around it are
 * ignored: "{{ name }}" is "{{name}}"), then "}}" on the same line. The name
 * is taken as written, up to the first "}}", and must name a column of the
 * CSV exactly (so a column "First name" is written "{{First name}}"). A
 * "{{" with no "}}" after it on its line is an unclosed placeholder; "{{ }}"
 * is an empty one. Both are errors. A single '{' or '}' is ordinary text. */

/* Call `fn` for each placeholder in `s`, in order, with the name's bytes
 * [name, name + len) (trimmed, not NUL-terminated). Returns 0 when all were
 * seen, fn's value as soon as it returns non-zero, or MKL_ERR_INPUT when an
 * unclosed or empty placeholder is reached (fn has been called for the ones
 * before it). Give fn positive return values to tell them apart. */
int mkl__placeholders(const char *s, int (*fn)(void *user, const char *name, size_t len), void *user);
/* Does `s` contain "{{" (a placeholder, possibly malformed: mkl__fill reports those)? */
int mkl__has_placeholder(const char *s);
/* Replace every placeholder in `s` by data row `row`'s value of that column;
 * *out is the result, to free with mkl__free() (a copy of `s` when it holds no
 * placeholder). Values are inserted as they are: a "{{" in a value is not
 * expanded again. Errors (*out is NULL):
 *  - MKL_ERR_INPUT "unknown field 'x' (the CSV has: a, b, c)",
 *    "unclosed '{{'", "empty placeholder '{{ }}'". e->file is left empty;
 *    e->line and e->column give the position of the "{{" inside `s`
 *    (1-based line, and column in characters), for the caller to map to
 *    the letter file.
 *  - MKL_ERR_ARGUMENT when `row` is out of range, MKL_ERR_NOMEM. */
mkl_status mkl__fill(const char *s, const mkl_table *t, size_t row, char **out, mkl_error *e);

/* Where placeholder values come from: get() gives the value of a field (NULL:
 * no such field); unknown(), if set, makes the error for a field get() does
 * not know; required: a "{{field}}" whose value is empty is an error (write
 * "{{field?}}" where a value may be empty). */
typedef struct mkl_lookup {
    const char *(*get)(void *user, const char *name, size_t len);
    mkl_status (*unknown)(void *user, const char *s, const char *open, const char *name, size_t len, mkl_error *e);
    void *user;
    int required;
    int smart;   /* values get smart punctuation (mkl__smart_append): the body's, whose text cmark made smart */
} mkl_lookup;

/* The most one filled string may hold (a front-matter value, or a body
 * paragraph filled piece by piece into one buffer), and a whole filled
 * letter: the limits the parser puts on a letter file (docs/errors.md). */
#define MKL_FILLED_MAX ((size_t)2 << 20)
#define MKL_FILLED_LETTER_MAX ((size_t)64 << 20)

/* Line and column (from 1, in characters) of `at` inside `s`. */
void mkl__text_pos(const char *s, const char *at, int *line, int *col);

/* Append `s` with its placeholders replaced to `out`. Errors as mkl__fill(),
 * with e->line/column inside `s`; MKL_ERR_LIMIT (at the placeholder) when
 * `out` would hold more than MKL_FILLED_MAX bytes. */
mkl_status mkl__fill_with(const char *s, const mkl_lookup *lk, mkl_buf *out, mkl_error *e);

#endif
