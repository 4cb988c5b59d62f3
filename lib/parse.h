/* parse.h - letter file (YAML front matter + CommonMark body) -> document model. */
#ifndef MKL_PARSE_H
#define MKL_PARSE_H

#include "model.h"

/* The largest letter file read or parsed. */
#define MKL_LETTER_MAX ((size_t)64 << 20)

/* Parse `len` bytes of letter text. `name` is used in error messages,
 * `base_dir` for relative paths. On success *out is a new document the caller
 * frees with mkl__doc_free(); on failure *out is NULL and `e` says why and where. */
mkl_status mkl__parse_letter(const char *text, size_t len, const char *name, const char *base_dir,
                             mkl_doc **out, mkl_error *e);

/* As mkl__parse_letter, with a house style in place of the letter's own
 * (opts->style) and a way to find styles (style.h); opts may be NULL. */
struct mkl_parse_opts;
mkl_status mkl__parse_letter_opts(const char *text, size_t len, const char *name, const char *base_dir,
                                  const struct mkl_parse_opts *opts, mkl_doc **out, mkl_error *e);

/* Set a front-matter key that takes one string (lang, paper, layout, date,
 * date-style, hangul-breaks, place, subject, opening, closing, ps, size),
 * checking its value. `value` must live as long as the document (its arena).
 * On a bad value returns MKL_ERR_INPUT with the reason in msg. */
mkl_status mkl__doc_set(mkl_doc *d, const char *key, const char *value, char *msg, size_t msgsz);
/* Whether `s` is an `official: disclosure` value (공개, 부분공개(N), 비공개(N),
 * N from 1 to 8), and the message (one %s: the value) when it is not. */
int mkl__official_disclosure_ok(const char *s);
#define MKL__DISCLOSURE_MSG \
    "'disclosure' must be 공개, 부분공개(N) or 비공개(N) with N the ground (1-8) of 정보공개법 제9조제1항, not '%.100s'"

/* Format an ISO date (YYYY-MM-DD) for `lang`, in the long form ("February 21,
 * 2020", "2020년 2월 21일") or the official one ("21 February 2020",
 * "2020. 2. 21."); returns 0 if `iso` is not a valid ISO date. */
int mkl__format_date(const char *iso, const char *lang, int official, char *out, size_t outsz);

/* Is `url` a link that may become a link action: http:, https:, mailto: or
 * tel: (any case), with no space or control character in it? A relative link
 * or any other scheme (javascript:, file:, data:, ...) is not. */
int mkl__link_allowed(const char *url);
/* The message for a refused link, with the URL for %.200s. */
#define MKL_LINK_REFUSED \
    "link '%.200s': only http:, https:, mailto: and tel: links are allowed (no relative links, no spaces)"

#endif
