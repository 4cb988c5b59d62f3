/* Unit tests of the mail merge data module: CSV -> table, errors with their
 * line and column, placeholders, a large file, mutations and allocation
 * failures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "merge.h"
#include "util.h"

static mkl_table *parse_len(const char *text, size_t len) {
    mkl_error e = {0};
    mkl_table *t = NULL;
    mkl_status st = mkl__table_parse(text, len, "d.csv", &t, &e);
    CHECK_MSG(st == MKL_OK, "%s:%d:%d: %s", e.file, e.line, e.column, e.message);
    CHECK(st != MKL_OK || t != NULL);
    return t;
}
static mkl_table *parse(const char *text) { return parse_len(text, strlen(text)); }

/* Parse must fail with `code` at `line` and `col` with `needle` in the message. */
static void parse_err_len(const char *text, size_t len, mkl_status code, int line, int col, const char *needle) {
    mkl_error e = {0};
    mkl_table *t = (mkl_table *)1;
    mkl_status st = mkl__table_parse(text, len, "d.csv", &t, &e);
    CHECK_MSG(st == code, "status %d, wanted %d (%s) for: %.60s", st, code, e.message, text);
    CHECK(t == NULL);
    if (st == MKL_OK) mkl__table_free(t);
    CHECK_MSG(e.line == line, "line %d, wanted %d (%s)", e.line, line, e.message);
    CHECK_MSG(e.column == col, "column %d, wanted %d (%s)", e.column, col, e.message);
    CHECK_MSG(strstr(e.message, needle) != NULL, "message '%s' lacks '%s'", e.message, needle);
    CHECK(!strcmp(e.file, "d.csv"));
}
static void parse_err(const char *text, mkl_status code, int line, int col, const char *needle) {
    parse_err_len(text, strlen(text), code, line, col, needle);
}

#define GET_IS(t, r, c, want) CHECK_MSG(!strcmp(mkl__table_get(t, r, c), want), "[%d][%d] = '%s', wanted '%s'", \
                                        (int)(r), (int)(c), mkl__table_get(t, r, c), want)

static void test_basic(void) {
    mkl_table *t = parse("id,name,city\n1,Kim,Seoul\n2,Lee,Busan\n");
    if (!t) return;
    CHECK(mkl__table_rows(t) == 2);
    CHECK(mkl__table_cols(t) == 3);
    CHECK(!strcmp(mkl__table_colname(t, 0), "id"));
    CHECK(!strcmp(mkl__table_colname(t, 2), "city"));
    CHECK(mkl__table_colname(t, 3) == NULL);
    CHECK(mkl__table_col(t, "name") == 1);
    CHECK(mkl__table_col(t, "Name") == -1);
    CHECK(mkl__table_col(t, "nam") == -1);
    CHECK(mkl__table_col(t, "") == -1);
    GET_IS(t, 0, 0, "1");
    GET_IS(t, 1, 2, "Busan");
    GET_IS(t, 2, 0, "");   /* out of range: "" */
    GET_IS(t, 0, 3, "");
    CHECK(mkl__table_row_line(t, 0) == 2);
    CHECK(mkl__table_row_line(t, 1) == 3);
    CHECK(mkl__table_row_line(t, 2) == 0);
    mkl__table_free(t);
    mkl__table_free(NULL);
}

static void test_quotes(void) {
    mkl_table *t = parse("name,note\n"
                         "\"Smith, John\",\"He said \"\"hi\"\"\"\n"
                         "\"multi\nline\",x\n"
                         "\"\",\"a,\"\"b\"\",\nc\"\n"
                         "last,\"\"\"\"\n");
    if (!t) return;
    CHECK(mkl__table_rows(t) == 4);
    GET_IS(t, 0, 0, "Smith, John");
    GET_IS(t, 0, 1, "He said \"hi\"");
    GET_IS(t, 1, 0, "multi\nline");
    GET_IS(t, 1, 1, "x");
    GET_IS(t, 2, 0, "");
    GET_IS(t, 2, 1, "a,\"b\",\nc");
    GET_IS(t, 3, 1, "\"");
    CHECK(mkl__table_row_line(t, 0) == 2);
    CHECK(mkl__table_row_line(t, 1) == 3);
    CHECK(mkl__table_row_line(t, 2) == 5);
    CHECK(mkl__table_row_line(t, 3) == 7);
    mkl__table_free(t);
}

static void test_crlf_bom_utf8(void) {
    mkl_table *t = parse("a,b\r\n1,2\r\n\"x\r\ny\",4\r\n5,6\r\n");
    if (t) {
        CHECK(mkl__table_rows(t) == 3);
        GET_IS(t, 0, 1, "2");
        GET_IS(t, 1, 0, "x\r\ny");
        GET_IS(t, 2, 1, "6");
        CHECK(mkl__table_row_line(t, 1) == 3);
        CHECK(mkl__table_row_line(t, 2) == 5);
        mkl__table_free(t);
    }
    /* BOM, no final newline */
    t = parse("\xEF\xBB\xBFid,name\n1,a");
    if (t) {
        CHECK(!strcmp(mkl__table_colname(t, 0), "id"));
        CHECK(mkl__table_col(t, "id") == 0);
        CHECK(mkl__table_rows(t) == 1);
        GET_IS(t, 0, 1, "a");
        mkl__table_free(t);
    }
    /* a BOM is skipped only at the very start */
    t = parse("id,name\n1,\xEF\xBB\xBF" "a\n");
    if (t) { GET_IS(t, 0, 1, "\xEF\xBB\xBF" "a"); mkl__table_free(t); }
    /* Hangul in names and values */
    t = parse("이름,도시\n문재인,서울\n\"강경화, 장관\",외교부\n");
    if (t) {
        CHECK(mkl__table_col(t, "도시") == 1);
        GET_IS(t, 0, 0, "문재인");
        GET_IS(t, 1, 0, "강경화, 장관");
        GET_IS(t, 1, 1, "외교부");
        mkl__table_free(t);
    }
    /* lone CR line ends */
    t = parse("a\r1\r2");
    if (t) {
        CHECK(mkl__table_rows(t) == 2);
        GET_IS(t, 1, 0, "2");
        CHECK(mkl__table_row_line(t, 1) == 3);
        mkl__table_free(t);
    }
}

static void test_empty_and_spaces(void) {
    mkl_table *t = parse("a,b,c\n,,\n1,,3\n\"\",\"\",\"\"");
    if (t) {
        CHECK(mkl__table_rows(t) == 3);
        GET_IS(t, 0, 0, "");
        GET_IS(t, 0, 2, "");
        GET_IS(t, 1, 1, "");
        GET_IS(t, 1, 2, "3");
        GET_IS(t, 2, 1, "");
        mkl__table_free(t);
    }
    /* names are trimmed, values are not */
    t = parse(" id ,\tname \n x , y\t\n");
    if (t) {
        CHECK(!strcmp(mkl__table_colname(t, 0), "id"));
        CHECK(!strcmp(mkl__table_colname(t, 1), "name"));
        GET_IS(t, 0, 0, " x ");
        GET_IS(t, 0, 1, " y\t");
        mkl__table_free(t);
    }
    /* trailing empty lines are allowed, as is a header without rows */
    t = parse("a,b\n1,2\n\n\n");
    if (t) { CHECK(mkl__table_rows(t) == 1); mkl__table_free(t); }
    t = parse("a,b\r\n1,2\r\n\r\n");
    if (t) { CHECK(mkl__table_rows(t) == 1); mkl__table_free(t); }
    t = parse("a,b\n");
    if (t) { CHECK(mkl__table_rows(t) == 0); CHECK(mkl__table_cols(t) == 2); mkl__table_free(t); }
    t = parse("a,b");
    if (t) { CHECK(mkl__table_rows(t) == 0); mkl__table_free(t); }
    /* one column: "" is an empty value */
    t = parse("a\n\"\"\nx\n");
    if (t) { CHECK(mkl__table_rows(t) == 2); GET_IS(t, 0, 0, ""); GET_IS(t, 1, 0, "x"); mkl__table_free(t); }
    /* a quoted name may hold a comma */
    t = parse("\"last, first\",x\n1,2\n");
    if (t) { CHECK(mkl__table_col(t, "last, first") == 0); mkl__table_free(t); }
    /* a U+FFFD written in the file is valid UTF-8 */
    t = parse("a\n\xEF\xBF\xBD\n");
    if (t) { mkl__table_free(t); }
}

static void test_errors(void) {
    parse_err("a,b,c\n1,2\n", MKL_ERR_INPUT, 2, 0, "row 1 has 2 fields, the header has 3");
    parse_err("a,b\n1,2\n3,4,5\n", MKL_ERR_INPUT, 3, 0, "row 2 has 3 fields, the header has 2");
    parse_err("a,b\n1,2\n3", MKL_ERR_INPUT, 3, 0, "row 2 has 1 field, the header has 2");
    parse_err("a,b\n\"x\ny\",1\n1,2,3\n", MKL_ERR_INPUT, 4, 0, "row 2 has 3 fields, the header has 2");
    parse_err("a,b\r\n1,2\r\n\"x\r\n\r\ny\"\r\n", MKL_ERR_INPUT, 3, 0, "row 2 has 1 field, the header has 2");
    /* lone CRs (old Mac files) and a quoted field over lines count as line breaks too */
    parse_err("a,b\r1,2\r\"x\ry\",4\r5,6,7\r", MKL_ERR_INPUT, 5, 0, "row 3 has 3 fields");
    parse_err("a,b\r1,\"x\ry\"z\r", MKL_ERR_INPUT, 2, 2, "after the closing quote in row 1, field 'b' (on line 3)");
    /* the row count of the brief's example */
    parse_err("a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3\n", MKL_ERR_INPUT, 7, 0,
              "row 6 has 3 fields, the header has 4");

    /* unterminated quotes: the record's line, the field, and where the quote opened */
    parse_err("a,b\n1,2\n3,\"open\nmore\nmore", MKL_ERR_INPUT, 3, 2, "unterminated quoted field (opened on line 3)");
    parse_err("a,b\n\"x\ny\",\"q\nz\n", MKL_ERR_INPUT, 2, 2, "unterminated quoted field (opened on line 3)");
    parse_err("a,b\n\"x\"\"y", MKL_ERR_INPUT, 2, 1, "unterminated quoted field (opened on line 2)");
    parse_err("\"a", MKL_ERR_INPUT, 1, 1, "unterminated quoted field (opened on line 1)");
    {
        /* line 12, as in the brief */
        char buf[256] = "id,name\n";
        for (int i = 2; i < 12; i++) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%d,n%d\n", i, i);
        strcat(buf, "12,\"Kim\n");
        parse_err(buf, MKL_ERR_INPUT, 12, 2, "unterminated quoted field (opened on line 12)");
    }

    /* stray quotes */
    parse_err("a,b\n1,x\"y\n", MKL_ERR_INPUT, 2, 2, "unexpected '\"' in row 1, field 'b'");
    parse_err("a,b\n1, \"b\"\n", MKL_ERR_INPUT, 2, 2, "unexpected '\"' in row 1, field 'b'");
    parse_err("a,b\n\"x\"y,1\n", MKL_ERR_INPUT, 2, 1, "unexpected 'y' after the closing quote in row 1, field 'a'");
    parse_err("a,b\n\"x\" ,1\n", MKL_ERR_INPUT, 2, 1, "unexpected space after the closing quote");
    parse_err("a,b\n1,\"x\ny\"z\n", MKL_ERR_INPUT, 2, 2, "field 'b' (on line 3)");
    parse_err("a,b\"\n", MKL_ERR_INPUT, 1, 2, "unexpected '\"' in the header, field 2");

    /* encoding */
    parse_err("id,name\n1,ok\n2,\xff\n", MKL_ERR_INPUT, 3, 2, "invalid UTF-8 in row 2, field 'name'");
    parse_err("id,name\n1,ok\n\"x\ny\",\"\xc3\"\n", MKL_ERR_INPUT, 3, 2, "invalid UTF-8 in row 2, field 'name'");
    parse_err("\xFF\xFEi\0d\0", MKL_ERR_INPUT, 1, 0, "the file is in UTF-16");
    parse_err("a,\xc3\n", MKL_ERR_INPUT, 1, 2, "invalid UTF-8 in the header, field 2");
    parse_err("a,b\n1,\xed\xa0\x80\n", MKL_ERR_INPUT, 2, 2, "invalid UTF-8");   /* a surrogate */
    parse_err_len("a,b\n1,x\0y\n", 10, MKL_ERR_INPUT, 2, 2, "NUL byte in row 1, field 'b'");

    /* header */
    parse_err("id,name, id\n1,2,3\n", MKL_ERR_INPUT, 1, 3, "duplicate column name 'id' (columns 1 and 3)");
    parse_err("a,,c\n", MKL_ERR_INPUT, 1, 2, "empty column name (column 2)");
    parse_err("a, \t,c\n", MKL_ERR_INPUT, 1, 2, "empty column name (column 2)");
    parse_err("a,b,\n", MKL_ERR_INPUT, 1, 3, "empty column name (column 3)");
    parse_err("", MKL_ERR_INPUT, 1, 0, "the file is empty");
    parse_err("\xEF\xBB\xBF", MKL_ERR_INPUT, 1, 0, "the file is empty");
    parse_err("\na,b\n", MKL_ERR_INPUT, 1, 0, "line 1 is empty");
    parse_err("\r\n\r\n", MKL_ERR_INPUT, 1, 0, "line 1 is empty");

    /* empty lines between records */
    parse_err("a,b\n1,2\n\n3,4\n", MKL_ERR_INPUT, 3, 0, "row 2 is an empty line, the header has 2 fields");
    parse_err("a,b\r\n1,2\r\n\r\n\r\n3,4\r\n", MKL_ERR_INPUT, 3, 0, "row 2 is an empty line");
    parse_err("a\n1\n\n2\n", MKL_ERR_INPUT, 3, 0, "write \"\" for an empty value");

    /* no text, no output */
    mkl_error e = {0};
    CHECK(mkl__table_parse(NULL, 3, "d.csv", NULL, &e) == MKL_ERR_ARGUMENT);
    mkl_table *t = (mkl_table *)1;
    CHECK(mkl__table_parse(NULL, 0, NULL, &t, &e) == MKL_ERR_INPUT && t == NULL);   /* empty, no name */
    CHECK(!strcmp(e.file, ""));
}

static void test_limits(void) {
    mkl_buf b = {0};
    /* 1000 columns are fine, 1001 are not */
    for (int i = 0; i < 1000; i++) mkl__buf_printf(&b, "%sc%d", i ? "," : "", i);
    mkl__buf_adds(&b, "\n");
    mkl_table *t = parse(b.s);
    if (t) { CHECK(mkl__table_cols(t) == 1000); CHECK(mkl__table_col(t, "c999") == 999); mkl__table_free(t); }
    b.n--;
    mkl__buf_adds(&b, ",c1000\n");
    parse_err(b.s, MKL_ERR_LIMIT, 1, 0, "more than 1000 columns");
    mkl__buf_free(&b);

    /* a field of exactly 1 MiB is fine; one byte more is not, quoted or not */
    size_t big = MKL_CSV_MAX_FIELD;
    char *s = malloc(big + 64);
    memcpy(s, "a,b\n1,", 6);
    memset(s + 6, 'x', big);
    memcpy(s + 6 + big, "\n", 2);
    t = parse(s);
    if (t) { CHECK(strlen(mkl__table_get(t, 0, 1)) == big); mkl__table_free(t); }
    memset(s + 6, 'x', big + 1);
    memcpy(s + 7 + big, "\n", 2);
    parse_err(s, MKL_ERR_LIMIT, 2, 2, "longer than 1 MiB");
    memcpy(s, "a,b\n1,\"", 7);
    memset(s + 7, 'y', big + 1);
    memcpy(s + 8 + big, "\"\n", 3);
    parse_err(s, MKL_ERR_LIMIT, 2, 2, "longer than 1 MiB");
    /* a long field spanning many lines: a multi-megabyte one stops early */
    memcpy(s, "a\n\"", 3);
    for (size_t i = 3; i < big + 40; i++) s[i] = (i % 64) ? 'z' : '\n';
    s[big + 40] = 0;
    parse_err(s, MKL_ERR_LIMIT, 2, 1, "longer than 1 MiB");
    free(s);

    /* 1,000,000 rows are fine, one more is not */
    size_t n = MKL_CSV_MAX_ROWS;
    s = malloc(2 * n + 16);
    memcpy(s, "a\n", 2);
    for (size_t i = 0; i < n; i++) memcpy(s + 2 + 2 * i, "x\n", 2);
    s[2 + 2 * n] = 0;
    clock_t c0 = clock();
    t = parse(s);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    CHECK_MSG(secs < 5, "1,000,000 rows took %.2f s", secs);
    if (t) { CHECK(mkl__table_rows(t) == n); CHECK(mkl__table_row_line(t, n - 1) == (int)n + 1); mkl__table_free(t); }
    memcpy(s + 2 + 2 * n, "y\n", 3);
    parse_err(s, MKL_ERR_LIMIT, (int)n + 2, 0, "more than 1000000 rows");
    free(s);
}

static void test_load(void) {
    char path[] = "/tmp/mkl_test_merge_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    const char *text = "id,name\n7,\"Kim, Y.\"\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    mkl_error e = {0};
    mkl_table *t = NULL;
    CHECK(mkl__table_load(path, &t, &e) == MKL_OK);
    if (t) { GET_IS(t, 0, 1, "Kim, Y."); mkl__table_free(t); }
    /* errors name the file */
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(write(fd, "a,b\n1\n", 6) == 6);
    close(fd);
    t = NULL;
    CHECK(mkl__table_load(path, &t, &e) == MKL_ERR_INPUT);
    CHECK(t == NULL && !strcmp(e.file, path) && e.line == 2);
    unlink(path);
    CHECK(mkl__table_load(path, &t, &e) == MKL_ERR_READ);
    CHECK(t == NULL && !strcmp(e.file, path));
    CHECK(mkl__table_load("/", &t, &e) == MKL_ERR_READ);   /* a directory */
}

static mkl_table *people(void) {
    return parse("id,name,city,이름,First name\n1,Kim,Seoul,김,K\n2,Lee,\"Busan, KR\",이,L\n3,{{name}},x,y,z\n");
}

static void fill_is(const mkl_table *t, size_t row, const char *s, const char *want) {
    mkl_error e = {0};
    char *out = NULL;
    mkl_status st = mkl__fill(s, t, row, &out, &e);
    CHECK_MSG(st == MKL_OK, "%s: %s", s, e.message);
    CHECK_MSG(out && !strcmp(out, want), "'%s' gave '%s', wanted '%s'", s, out ? out : "(null)", want);
    mkl__free(out);
}

static void fill_err(const mkl_table *t, const char *s, mkl_status code, int line, int col, const char *msg) {
    mkl_error e = {0};
    char *out = (char *)1;
    mkl_status st = mkl__fill(s, t, 0, &out, &e);
    CHECK_MSG(st == code, "'%s': status %d, wanted %d", s, st, code);
    CHECK(out == NULL);
    CHECK_MSG(strstr(e.message, msg) != NULL, "message '%s' lacks '%s'", e.message, msg);
    CHECK_MSG(e.line == line && e.column == col, "'%s': at %d:%d, wanted %d:%d", s, e.line, e.column, line, col);
}

static int collect(void *user, const char *name, size_t len) {
    mkl_buf *b = user;
    mkl__buf_add(b, name, len);
    mkl__buf_adds(b, "|");
    return 0;
}
static int stop_at_b(void *user, const char *name, size_t len) {
    (void)user;
    return len == 1 && name[0] == 'b' ? 7 : 0;
}

static void test_placeholders(void) {
    mkl_table *t = people();
    if (!t) return;
    fill_is(t, 0, "Dear {{name}} of {{ city }}.", "Dear Kim of Seoul.");
    fill_is(t, 1, "Dear {{name}} of {{\tcity  }}.", "Dear Lee of Busan, KR.");
    fill_is(t, 1, "{{id}}{{name}}", "2Lee");
    fill_is(t, 0, "{{이름}}님께", "김님께");
    fill_is(t, 0, "{{ First name }}", "K");
    fill_is(t, 0, "no placeholders { } }} {x}", "no placeholders { } }} {x}");
    fill_is(t, 0, "", "");
    fill_is(t, 0, "{{name}}}", "Kim}");
    fill_is(t, 0, "line 1\n{{name}}\n", "line 1\nKim\n");
    fill_is(t, 2, "{{name}}", "{{name}}");   /* values are not expanded again */
    /* "{{name?}}": the value may be empty; spaces around the name and before the '?' go */
    fill_is(t, 0, "{{name?}}", "Kim");
    fill_is(t, 0, "{{ name ? }}", "Kim");
    fill_is(t, 0, "{{\tcity\t?}}!", "Seoul!");

    fill_err(t, "Hi {{nmae}}!", MKL_ERR_INPUT, 1, 4, "unknown field 'nmae' (the CSV has: id, name, city, 이름, First name)");
    fill_err(t, "이름: {{ 성 }}", MKL_ERR_INPUT, 1, 5, "unknown field '성'");
    fill_err(t, "first\nsecond {{x}}", MKL_ERR_INPUT, 2, 8, "unknown field 'x'");
    fill_err(t, "Hi {{name", MKL_ERR_INPUT, 1, 4, "unclosed '{{'");
    fill_err(t, "{{name\n}}", MKL_ERR_INPUT, 1, 1, "unclosed '{{'");
    fill_err(t, "{{name}} {{", MKL_ERR_INPUT, 1, 10, "unclosed '{{'");
    fill_err(t, "{{}}", MKL_ERR_INPUT, 1, 1, "empty placeholder");
    fill_err(t, "a {{  }}", MKL_ERR_INPUT, 1, 3, "empty placeholder");
    fill_err(t, "{{{name}}", MKL_ERR_INPUT, 1, 1, "unknown field '{name'");
    fill_err(t, "{{ nmae ? }}", MKL_ERR_INPUT, 1, 1, "unknown field 'nmae'");
    {   /* a very long unknown name is cut, and says so */
        char longname[400] = "{{";
        for (int i = 0; i < 300; i++) strcat(longname, "x");
        strcat(longname, "}}");
        fill_err(t, longname, MKL_ERR_INPUT, 1, 1, "unknown field 'xxxxxxxxxx");
        mkl_error e2 = {0};
        char *o2 = NULL;
        CHECK(mkl__fill(longname, t, 0, &o2, &e2) == MKL_ERR_INPUT);
        CHECK_MSG(strstr(e2.message, "xxx...'") != NULL && !strstr(e2.message, longname + 2), "not cut: %.120s", e2.message);
    }

    mkl_error e = {0};
    char *out = (char *)1;
    CHECK(mkl__fill("{{id}}", t, 3, &out, &e) == MKL_ERR_ARGUMENT && out == NULL);
    CHECK(mkl__fill(NULL, t, 0, &out, &e) == MKL_ERR_ARGUMENT);

    CHECK(mkl__has_placeholder("a {{b}}"));
    CHECK(mkl__has_placeholder("a {{b"));
    CHECK(!mkl__has_placeholder("a {b} }}"));
    CHECK(!mkl__has_placeholder(NULL));

    mkl_buf b = {0};
    CHECK(mkl__placeholders("x {{a}} {{ b }}{{이름}} y", collect, &b) == 0);
    CHECK(b.s && !strcmp(b.s, "a|b|이름|"));
    mkl__buf_free(&b);
    CHECK(mkl__placeholders("{{a}} {{b}} {{c}}", stop_at_b, NULL) == 7);
    CHECK(mkl__placeholders("{{a}} {{b", collect, &b) == MKL_ERR_INPUT);
    CHECK(b.s && !strcmp(b.s, "a|"));
    mkl__buf_free(&b);
    CHECK(mkl__placeholders("{{ }}", collect, &b) == MKL_ERR_INPUT);
    CHECK(mkl__placeholders("none", collect, &b) == 0 && b.n == 0);
    mkl__table_free(t);

    /* many columns: the list in the message is cut, not overflowed */
    mkl__buf_free(&b);
    for (int i = 0; i < 300; i++) mkl__buf_printf(&b, "%scolumn_number_%d", i ? "," : "", i);
    mkl__buf_adds(&b, "\n");
    for (int i = 0; i < 300; i++) mkl__buf_adds(&b, i ? ",v" : "v");
    t = parse(b.s);
    mkl__buf_free(&b);
    if (t) {
        fill_err(t, "{{nope}}", MKL_ERR_INPUT, 1, 1, ", ...)");
        fill_is(t, 0, "{{column_number_299}}", "v");
        mkl__table_free(t);
    }
}

static void test_large(void) {
    mkl_buf b = {0};
    mkl__buf_adds(&b, "id,name,city,note\r\n");
    for (int i = 0; i < 10000; i++)
        mkl__buf_printf(&b, "%d,Name %d,\"City, %d\",\"line one\nline \"\"%d\"\"\"\r\n", i, i, i, i);
    CHECK(!b.oom);
    clock_t c0 = clock();
    mkl_table *t = parse_len(b.s, b.n);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    CHECK_MSG(secs < 0.5, "10,000 rows took %.3f s", secs);
    if (t) {
        CHECK(mkl__table_rows(t) == 10000);
        GET_IS(t, 0, 0, "0");
        GET_IS(t, 1234, 1, "Name 1234");
        GET_IS(t, 9999, 2, "City, 9999");
        GET_IS(t, 5000, 3, "line one\nline \"5000\"");
        CHECK(mkl__table_row_line(t, 0) == 2);
        CHECK(mkl__table_row_line(t, 9999) == 2 + 2 * 9999);
        char *out = NULL;
        mkl_error e = {0};
        c0 = clock();
        for (size_t r = 0; r < mkl__table_rows(t); r++) {
            CHECK(mkl__fill("{{name}} / {{city}} / {{note}}", t, r, &out, &e) == MKL_OK);
            if (r == 9998) CHECK(out && !strcmp(out, "Name 9998 / City, 9998 / line one\nline \"9998\""));
            mkl__free(out);
        }
        secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
        CHECK_MSG(secs < 0.5, "10,000 fills took %.3f s", secs);
        mkl__table_free(t);
    }
    mkl__buf_free(&b);
}

static uint32_t rng = 12345;
static uint32_t next_rand(void) {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* Random byte flips, insertions of CSV syntax and truncations of a valid
 * file: OK or an error, never a crash (valgrind checks leaks). */
static void test_mutations(void) {
    const char *good = "\xEF\xBB\xBFid,name,city,note\r\n"
                       "1,Kim,Seoul,\"He said \"\"hi\"\"\"\r\n"
                       "2,\"Lee, J\",\"Busan\nKR\",\r\n"
                       "3,문재인,서울,\"\"\n"
                       "4,x,y,z\n";
    size_t glen = strlen(good);
    char buf[512];
    static const char syntax[] = {'"', ',', '\n', '\r', '\0', '\xff', '\xc3', '{', ' '};
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 300; iter++) {
        memcpy(buf, good, glen);
        size_t len = glen;
        int edits = 1 + (int)(next_rand() % 4);
        for (int k = 0; k < edits; k++) {
            uint32_t r = next_rand();
            size_t at = len ? next_rand() % len : 0;
            switch (r % 4) {
            case 0: buf[at] = (char)(next_rand() & 0xFF); break;                              /* flip */
            case 1: if (len) buf[at] = syntax[next_rand() % sizeof syntax]; break;           /* syntax */
            case 2: if (len < sizeof buf - 1) {                                               /* insert */
                        memmove(buf + at + 1, buf + at, len - at);
                        buf[at] = syntax[next_rand() % sizeof syntax];
                        len++;
                    }
                    break;
            case 3: len = at; break;                                                          /* truncate */
            }
        }
        mkl_error e = {0};
        mkl_table *t = NULL;
        mkl_status st = mkl__table_parse(buf, len, "m.csv", &t, &e);
        if (st == MKL_OK) {
            ok++;
            CHECK(t != NULL);
            /* every value is valid UTF-8 without NUL; a fill of every column works */
            mkl_buf tpl = {0};
            for (size_t c = 0; c < mkl__table_cols(t); c++) {
                mkl__buf_printf(&tpl, "[{{%s}}]", mkl__table_colname(t, c));
                for (size_t r = 0; r < mkl__table_rows(t); r++) {
                    const char *v = mkl__table_get(t, r, c);
                    CHECK(mkl__utf8_invalid(v, strlen(v)) == (size_t)-1);
                }
            }
            if (mkl__table_rows(t) && tpl.s) {
                char *out = NULL;
                st = mkl__fill(tpl.s, t, 0, &out, &e);
                /* a name holding "}}", a line break or only spaces cannot be written as a placeholder */
                CHECK(st == MKL_OK || st == MKL_ERR_INPUT);
                mkl__free(out);
            }
            mkl__buf_free(&tpl);
            mkl__table_free(t);
        } else {
            bad++;
            CHECK_MSG(st == MKL_ERR_INPUT, "mutation %d: status %d (%s)", iter, st, e.message);
            CHECK(t == NULL);
            CHECK(e.message[0] != 0);
            CHECK(e.line >= 1);
        }
    }
    CHECK(ok > 10 && bad > 10);
}

/* Every allocation failing in turn: NOMEM or OK, and nothing leaks. The
 * second text makes every buffer grow (a 5000-byte field, 300 rows). */
static void alloc_failures(const char *text, const char *tpl, const char *want) {
    int n, done = 0;
    for (n = 0; n < 1000 && !done; n++) {
        mkl_error e = {0};
        mkl_table *t = NULL;
        mkl__fail_alloc_after(n);
        mkl_status st = mkl__table_parse(text, strlen(text), "a.csv", &t, &e);
        char *out = NULL;
        mkl_status st2 = st == MKL_OK ? mkl__fill(tpl, t, 0, &out, &e) : MKL_OK;
        mkl__fail_alloc_after(-1);
        CHECK_MSG(st == MKL_OK || st == MKL_ERR_NOMEM, "after %d: %d", n, st);
        CHECK(st2 == MKL_OK || st2 == MKL_ERR_NOMEM);
        CHECK((st == MKL_OK) == (t != NULL));
        CHECK((st2 == MKL_OK) == (out != NULL || st != MKL_OK));
        if (st == MKL_OK && st2 == MKL_OK) {
            done = 1;
            CHECK(out && !strcmp(out, want));
        }
        mkl__free(out);
        mkl__table_free(t);
    }
    CHECK_MSG(done, "no success after %d allocations", n);
}

static void test_alloc_failures(void) {
    alloc_failures("id,name\n1,\"Kim, Y.\"\n2,Lee\n", "{{name}} {{id}}", "Kim, Y. 1");
    mkl_buf b = {0};
    mkl__buf_adds(&b, "id,name\n1,\"");
    for (int i = 0; i < 5000; i++) mkl__buf_adds(&b, i % 100 ? "x" : "\n");
    mkl__buf_adds(&b, "\"\n");
    for (int i = 2; i < 300; i++) mkl__buf_printf(&b, "%d,n%d\n", i, i);
    alloc_failures(b.s, "{{id}}", "1");
    mkl__buf_free(&b);
}

int main(void) {
    test_basic();
    test_quotes();
    test_crlf_bom_utf8();
    test_empty_and_spaces();
    test_errors();
    test_limits();
    test_load();
    test_placeholders();
    test_large();
    test_mutations();
    test_alloc_failures();
    return check_done();
}
