/*
 * mkletter.h - typeset letters (YAML front matter + CommonMark body) into PDF.
 *
 * # mkletter
 *
 * This header is the whole public interface of libmkletter, and its manual.
 * Read it top to bottom: the one-call interface comes first, then the
 * renderer and letter handles that a program uses to render many letters,
 * then errors.
 *
 * Conventions, true of every function below:
 *
 *  - Every name starts with `mkl_` (functions, types) or `MKL_` (macros,
 *    enum values).
 *  - Handles are opaque. Each `*_new` or `*_parse*` function that gives you
 *    a handle says which function frees it; every free function accepts NULL.
 *  - Fallible functions return an `mkl_status`: `MKL_OK` (0) or a negative
 *    code. The library never calls exit() or abort() and never lets a
 *    longjmp escape. The details of the last failure (message, file, line,
 *    column) are kept on the renderer and read with mkl_renderer_error().
 *  - Strings are UTF-8 and NUL-terminated unless a length is passed. Strings
 *    you pass in are copied; you keep ownership of them.
 *  - The header is valid C99 and C++; no dependency's header is included.
 *
 * The letter file format and the command-line contract are described in
 * README.md and in the project's letter-format specification.
 */
#ifndef MKLETTER_H
#define MKLETTER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MKL_API
#elif defined(__GNUC__)
#define MKL_API __attribute__((visibility("default")))
#else
#define MKL_API
#endif

/* ## Version */

#define MKLETTER_VERSION_MAJOR 0
#define MKLETTER_VERSION_MINOR 1
#define MKLETTER_VERSION_PATCH 0
#define MKLETTER_VERSION_STRING "0.1.0"
/** MAJOR*10000 + MINOR*100 + PATCH, for compile-time comparisons. */
#define MKLETTER_VERSION_NUMBER \
    (MKLETTER_VERSION_MAJOR * 10000 + MKLETTER_VERSION_MINOR * 100 + MKLETTER_VERSION_PATCH)

/** The version of the library actually linked, as "MAJOR.MINOR.PATCH".
 * The string is static; do not free it. */
MKL_API const char *mkl_version(void);

/* ## Status codes */

typedef enum mkl_status {
    MKL_OK = 0,
    MKL_ERR_NOMEM = -1,     /**< an allocation failed */
    MKL_ERR_INPUT = -2,     /**< the letter is not valid (syntax, key, type, value) */
    MKL_ERR_FONT = -3,      /**< a font family cannot be found or used, or no font covers a character */
    MKL_ERR_IMAGE = -4,     /**< an image cannot be read or decoded */
    MKL_ERR_READ = -5,      /**< an input file cannot be read */
    MKL_ERR_WRITE = -6,     /**< the output cannot be written */
    MKL_ERR_ARGUMENT = -7,  /**< a function was called with an invalid argument */
    MKL_ERR_PDF = -8,       /**< the PDF back end failed (an internal error) */
    MKL_ERR_LIMIT = -9      /**< the input exceeds a documented limit */
} mkl_status;

/** A short English text for a status code ("out of memory", ...).
 * The string is static; do not free it. */
MKL_API const char *mkl_status_str(mkl_status status);

/* ## Errors
 *
 * The detail of a failure. `file` is the letter (or image, font, data) file
 * the error is about, `line` and `column` are 1-based positions in it, or 0
 * when the error has no position. `message` is a complete English sentence
 * fragment such as "unknown key 'subjet'". mkl_error_format() joins them as
 * "FILE:LINE:COL: message", the form the command prints.
 */
typedef struct mkl_error {
    mkl_status code;
    int line;
    int column;
    char file[1024];
    char message[1024];
} mkl_error;

/** Write "FILE:LINE:COL: message" (parts that are unknown are left out) into
 * `buf` of `size` bytes, always NUL-terminated when size > 0. Returns the
 * length the full text needs, like snprintf. */
MKL_API int mkl_error_format(const mkl_error *err, char *buf, size_t size);

/* ## Options
 *
 * Options grow over time. Always initialise them with mkl_options_init(),
 * which sets `struct_size`, so a program built against an older header keeps
 * working with a newer library.
 */
/** A loaded signing key and its certificates (see "Digital signatures"). */
typedef struct mkl_signer mkl_signer;

typedef struct mkl_options {
    size_t struct_size;     /**< set by mkl_options_init(); do not change */
    const char *font_dir;   /**< extra folder searched first for fonts, or NULL */
    long long creation_time;/**< document creation date as a Unix time; 0 = now
                                 (or $SOURCE_DATE_EPOCH when set) */
    int page_numbers;       /**< 1 (default): "Page x of y" on every page; 0: none */
    int pdfa;               /**< 1: write PDF/A-1b (PDF 1.4; XMP metadata, sRGB output
                                 intent, fonts with CIDSet); needs an sRGB ICC profile
                                 installed (Debian: icc-profiles-free). 0 (default): PDF
                                 1.5 with object streams, which makes a letter smaller */
    const char *style;      /**< a house style file (YAML of front-matter keys) every
                                 letter parsed with the renderer inherits, in place of
                                 the letter's own `style:`; NULL (default): the
                                 letter's. A relative name is looked up in the current
                                 folder, then $XDG_DATA_HOME/mkletter/styles (default
                                 ~/.local/share/mkletter/styles), then the installed
                                 styles folder (PREFIX/share/mkletter/styles), as
                                 written and with ".yaml" added. The letter's keys
                                 win over the style's; mappings merge key by key;
                                 strings and lists are replaced. The string is copied */
    const mkl_signer *signer; /**< sign every PDF made with it (PAdES B-B), or NULL
                                 (default). The program loads it (mkl_signer_load()),
                                 keeps it until every renderer made with these options
                                 is freed, and frees it; renderers of many threads may
                                 share one */
    int tags;               /**< 1 (default): a tagged PDF: a structure tree in reading
                                 order (headings, paragraphs, lists, links, figures with
                                 alternative text), the letter's language, and page
                                 furniture and marks as artifacts, for screen readers and
                                 reflow; 0: untagged */
    int pdfua;              /**< 1: also declare PDF/UA-1 (ISO 14289-1) in the XMP
                                 metadata; needs tags, a subject (the document's title)
                                 and alternative text for every image (a logo without
                                 logo-alt and without a letterhead name is refused).
                                 With pdfa: PDF/A-1b and PDF/UA-1 both. 0 (default) */
} mkl_options;

/** Fill `opts` with the defaults. A macro: it passes the size of the struct
 * the program was built with, so a library with more fields than the
 * program's header writes only the fields the program has (and the renderer
 * gives the fields the program does not know their defaults). */
#define mkl_options_init(opts) mkl_options_init_size((opts), sizeof *(opts))
/** mkl_options_init() for a struct of `size` bytes (a binding that mirrors
 * mkl_options passes its own size); at most sizeof(mkl_options) is written,
 * and `struct_size` is set to what was written. A size smaller than
 * `struct_size` and `font_dir` writes nothing. */
MKL_API void mkl_options_init_size(mkl_options *opts, size_t size);

/* ## Simple interface */

/** Render the letter file `letter_path` to the PDF file `pdf_path`.
 *
 * `opts` may be NULL for the defaults. On failure the details go to `err`
 * when it is not NULL. The PDF is written to a temporary file in the target
 * folder and renamed into place only when complete, so an existing file is
 * never replaced by a broken one and a failed call leaves no file behind.
 * Returns MKL_OK or the error code. */
MKL_API mkl_status mkl_render_file(const char *letter_path, const char *pdf_path,
                                   const mkl_options *opts, mkl_error *err);

/* ## Renderer
 *
 * A renderer holds what can be reused from one letter to the next: the font
 * database, loaded fonts, shaped paragraphs, decoded images, the last 8
 * subset fonts and the last error. Reuse never changes the output: a letter
 * renders to the same bytes as with a new renderer. Create one per thread; a
 * renderer must not be used by two threads at once.
 */
typedef struct mkl_renderer mkl_renderer;

/** Create a renderer with `opts` (NULL for the defaults) and store it in
 * `*out`. Free it with mkl_renderer_free(). Returns MKL_OK, MKL_ERR_NOMEM
 * or MKL_ERR_ARGUMENT. */
MKL_API mkl_status mkl_renderer_new(const mkl_options *opts, mkl_renderer **out);

/** Free a renderer and everything it caches. NULL is allowed. Letters parsed
 * with it stay valid. */
MKL_API void mkl_renderer_free(mkl_renderer *r);

/** The detail of the last failed call made with `r`. The pointer stays
 * valid until the next call with `r` or until `r` is freed; do not free it. */
MKL_API const mkl_error *mkl_renderer_error(const mkl_renderer *r);

/* ## Letters */

typedef struct mkl_letter mkl_letter;

/** Parse the letter file at `path` and store the letter in `*out`. Paths in
 * the letter (images) are taken relative to the file's folder; paths in a
 * house style it names (`style: FILE`, looked up beside the letter, then as
 * for mkl_options.style) relative to the style's folder. The style files
 * read count as inputs: an output never replaces one. Free the
 * letter with mkl_letter_free(). On failure `*out` is NULL and the error,
 * with the file, line and column, is kept on `r`. */
MKL_API mkl_status mkl_letter_parse_file(mkl_renderer *r, const char *path, mkl_letter **out);

/** Parse a letter from the `len` bytes at `text`. `name` is the file name
 * used in error messages (NULL for "<letter>"), `base_dir` the folder that
 * relative paths are resolved from (NULL for the current folder). The text
 * is copied. Free the letter with mkl_letter_free(). */
MKL_API mkl_status mkl_letter_parse(mkl_renderer *r, const char *text, size_t len,
                                    const char *name, const char *base_dir, mkl_letter **out);

/** Free a letter. NULL is allowed. */
MKL_API void mkl_letter_free(mkl_letter *letter);

/* ## Building a letter in code
 *
 * A letter can also be built field by field, without a letter file, or a
 * parsed letter completed. The calls below copy every string they are given.
 * They are "sticky": after the first failure every later call does nothing
 * and returns the same status, so a program can make all its calls and check
 * mkl_letter_status() once; mkl_letter_error() says what went wrong.
 */

/** The parts of a letter, with the front-matter key each one stands for. */
typedef enum mkl_field {
    MKL_FIELD_LANG,          /**< "lang": "en" or "ko" */
    MKL_FIELD_PAPER,         /**< "paper": "a4", "letter", "legal" */
    MKL_FIELD_LAYOUT,        /**< "layout": "plain", "din5008a", "din5008b", "us-window",
                                  "kr-official" (the Korean official document, in
                                  Korean on A4: setting it sets "lang" to "ko"; its
                                  parts are the MKL_FIELD_OFFICIAL_ fields) */
    MKL_FIELD_DATE,          /**< "date": ISO (formatted per lang) or any text */
    MKL_FIELD_DATE_STYLE,    /**< "date-style": "long" or "official" */
    MKL_FIELD_PLACE,         /**< "place" */
    MKL_FIELD_LETTERHEAD,    /**< letterhead name (set); letterhead lines (add_line) */
    MKL_FIELD_FROM,          /**< sender block, one line a line */
    MKL_FIELD_TO,            /**< addressee block, one line a line */
    MKL_FIELD_SUBJECT,       /**< "subject" */
    MKL_FIELD_OPENING,       /**< "opening" */
    MKL_FIELD_CLOSING,       /**< "closing" */
    MKL_FIELD_ENCLOSURES,    /**< enclosures, one a line */
    MKL_FIELD_PS,            /**< "ps" */
    MKL_FIELD_HANGUL_BREAKS, /**< "hangul-breaks": "auto" (the default), "word" or "syllable" */
    MKL_FIELD_FONT_SIZE,     /**< "fonts: size", e.g. "11pt" */
    MKL_FIELD_FONT_BODY,     /**< body font families in fallback order (add_line) */
    MKL_FIELD_FONT_HEADING,  /**< heading font families in fallback order (add_line) */
    MKL_FIELD_LETTERHEAD_ALIGN,  /**< "letterhead: align": "left", "center", "right" */
    MKL_FIELD_LETTERHEAD_LOGO,   /**< "letterhead: logo": an image path */
    MKL_FIELD_LETTERHEAD_FOOTER, /**< "letterhead: footer": a band at the foot of page 1 (add_line) */
    MKL_FIELD_FONT_LEADING,      /**< "fonts: leading", baseline to baseline: "160%" of the size or "17.5pt";
                                      default 127 %, 150 % in a Korean letter */
    /* The parts of a Korean official document (layout "kr-official"; the
     * README's table says where each is set). Other layouts leave them out. */
    MKL_FIELD_OFFICIAL_NUMBER,     /**< "official: number": 처리과명-일련번호 of the 시행 */
    MKL_FIELD_OFFICIAL_VIA,        /**< "official: via": 경유 */
    MKL_FIELD_OFFICIAL_REFERENCE,  /**< "official: reference": 참조 */
    MKL_FIELD_OFFICIAL_SENDER,     /**< "official: sender": 발신명의 (default: the letterhead name) */
    MKL_FIELD_OFFICIAL_SEAL,       /**< "official: seal": 직인, an image path (as signature images) */
    MKL_FIELD_OFFICIAL_POSTCODE,   /**< "official: postcode" */
    MKL_FIELD_OFFICIAL_ADDRESS,    /**< "official: address" */
    MKL_FIELD_OFFICIAL_HOMEPAGE,   /**< "official: homepage" */
    MKL_FIELD_OFFICIAL_PHONE,      /**< "official: phone": 전화번호 */
    MKL_FIELD_OFFICIAL_FAX,        /**< "official: fax": 전송 */
    MKL_FIELD_OFFICIAL_EMAIL,      /**< "official: email" */
    MKL_FIELD_OFFICIAL_DISCLOSURE  /**< "official: disclosure": 공개, 부분공개(N) or 비공개(N), N from 1 to 8 */
} mkl_field;

/** Text styles for mkl_letter_add_text(), or-ed together. */
#define MKL_TEXT_BOLD 1
#define MKL_TEXT_ITALIC 2

/** Create an empty letter (English, A4, plain layout) in `*out`. Free it with
 * mkl_letter_free(). `r` receives the error if this fails (MKL_ERR_NOMEM). */
MKL_API mkl_status mkl_letter_new(mkl_renderer *r, mkl_letter **out);

/** Set a one-string field; for a block field (FROM, TO, ENCLOSURES, the
 * font lists) the value replaces the block, split at newlines. A bad value
 * (an unknown paper, an invalid ISO date, ...) is MKL_ERR_INPUT. */
MKL_API mkl_status mkl_letter_set(mkl_letter *l, mkl_field field, const char *value);

/** Add a line to a block field: MKL_FIELD_LETTERHEAD (a letterhead line),
 * FROM, TO, ENCLOSURES, FONT_BODY, FONT_HEADING. */
MKL_API mkl_status mkl_letter_add_line(mkl_letter *l, mkl_field field, const char *line);

/** Add a CC block, its lines separated by '\n'. */
MKL_API mkl_status mkl_letter_add_cc(mkl_letter *l, const char *block);

/** Start a new body paragraph; text goes to it with mkl_letter_add_text(). */
MKL_API mkl_status mkl_letter_add_paragraph(mkl_letter *l);

/** Add text to the last paragraph (one is started if there is none), in
 * `style` (MKL_TEXT_BOLD | MKL_TEXT_ITALIC), as a link to `url` if not NULL.
 * A '\n' in the text is a line break. */
MKL_API mkl_status mkl_letter_add_text(mkl_letter *l, const char *text, unsigned style, const char *url);

/** Add a signature: a name, an optional title and an optional image (a PNG,
 * transparency kept, or a JPEG) of the signature, set above the name. The
 * image is read when the letter is rendered; a relative path is taken from
 * the letter's folder (the current folder for a letter built in code). */
MKL_API mkl_status mkl_letter_add_signature(mkl_letter *l, const char *name, const char *title, const char *image);

/** Add a 협조자 of a Korean official document (layout "kr-official"): a name
 * and its 직위 (`title`, may be NULL), in order, as `official: cooperation`. */
MKL_API mkl_status mkl_letter_add_cooperation(mkl_letter *l, const char *name, const char *title);

/** Start a group of co-signers, set as a table of `columns` (1 to 4); a NULL
 * heading sets none. */
MKL_API mkl_status mkl_letter_add_group(mkl_letter *l, const char *heading, int columns);

/** Add a co-signer to the last group (one of 1 column is started if there is
 * none); `note` may be NULL. */
MKL_API mkl_status mkl_letter_add_entry(mkl_letter *l, const char *name, const char *note);

/** MKL_OK, or the status of the first building call that failed. */
MKL_API mkl_status mkl_letter_status(const mkl_letter *l);

/** The detail of the first building call that failed (code MKL_OK if none).
 * Valid until the letter is freed; do not free it. */
MKL_API const mkl_error *mkl_letter_error(const mkl_letter *l);

/** A writer callback: consume `len` bytes, return 0 on success or non-zero
 * to stop rendering with MKL_ERR_WRITE. */
typedef int (*mkl_write_fn)(void *user, const unsigned char *data, size_t len);

/* ## Mail merge and batches
 *
 * A letter may hold placeholders, "{{field}}", in any front-matter string and
 * in the body; "{{field?}}" where the value may be empty (a line that comes
 * out empty is dropped). A copy is made with the values of one data row, or
 * of whatever a program supplies.
 */

/** Does the letter hold any placeholder? */
MKL_API int mkl_letter_has_fields(const mkl_letter *l);

/** The value of field `name` for the copy being made, or NULL if there is no
 * such field. The string must stay valid until mkl_letter_fill() returns. */
typedef const char *(*mkl_field_fn)(void *user, const char *name);

/** Make `*out`, a copy of `tmpl` with every placeholder filled through `get`.
 * An unknown field or an empty value for a "{{field}}" is MKL_ERR_INPUT with
 * the placeholder's place in the letter (kept on `r`); a copy that would hold
 * a string or paragraph over 2 MiB, or over 64 MiB in all (the limits of a
 * letter file), is MKL_ERR_LIMIT. Free the copy with
 * mkl_letter_free(); it does not depend on `tmpl`. */
MKL_API mkl_status mkl_letter_fill(mkl_renderer *r, const mkl_letter *tmpl, mkl_field_fn get, void *user,
                                   mkl_letter **out);

/** Data for a merge: a CSV file (RFC 4180, UTF-8), its first row naming the
 * fields. */
typedef struct mkl_data mkl_data;

/** Read the CSV file at `path` into `*out` (free it with mkl_data_free()).
 * Errors (an unterminated quote, a row with the wrong number of fields, ...)
 * carry the CSV file, line and field number. */
MKL_API mkl_status mkl_data_load(mkl_renderer *r, const char *path, mkl_data **out);
MKL_API void mkl_data_free(mkl_data *d);
/** The number of data rows (the header row not counted). */
MKL_API size_t mkl_data_rows(const mkl_data *d);
/** The CSV line (1-based) where data row `row` (0-based) starts, or 0 when
 * there is no such row. Data row 0 is the CSV's row 2, after the header. */
MKL_API int mkl_data_line(const mkl_data *d, size_t row);

/** Make `*out`, the copy of `tmpl` for data row `row` (0-based). Errors name
 * the row as the command's --rows counts it (1 is the first row after the
 * header, so 0-based `row` 6 is "row 7") and the CSV line where it starts:
 * "row 7 (data.csv line 8): ...". Every later error about the copy (a font, an image, the layout, when
 * it is checked, rendered or added to a batch) names the row the same way. */
MKL_API mkl_status mkl_letter_fill_row(mkl_renderer *r, const mkl_letter *tmpl, const mkl_data *d, size_t row,
                                       mkl_letter **out);

/** Fill the placeholders of a string (an output file name, say) with row
 * `row`; the caller frees `*out` with mkl_free(). */
MKL_API mkl_status mkl_data_fill(mkl_renderer *r, const mkl_data *d, size_t row, const char *tmpl, char **out);

/** As mkl_data_fill(), for an output file name: the file stays in the folder
 * the template names. A value holding '/' or a control character, or that is
 * "." or "..", is MKL_ERR_INPUT naming the row, its CSV line and the field. */
MKL_API mkl_status mkl_data_fill_path(mkl_renderer *r, const mkl_data *d, size_t row, const char *tmpl, char **out);

/** A combined print file: many letters in one PDF, every copy starting on a
 * new page, on a new sheet with `duplex` (a blank page after a copy with an
 * odd number of pages). Each font and image is stored once. */
typedef struct mkl_batch mkl_batch;

/** Start a batch rendered with `r` (which must outlive it). Free with mkl_batch_free(). */
MKL_API mkl_status mkl_batch_new(mkl_renderer *r, int duplex, mkl_batch **out);
/** The most threads mkl_batch_set_jobs() takes. */
#define MKL_BATCH_MAX_JOBS 256
/** Let the batch `b`, before its first copy is added, use `jobs` threads (1
 * to MKL_BATCH_MAX_JOBS; 1, the default, is the calling thread alone) for a
 * file streamed with mkl_fileset_stream_batch(): the calling thread makes
 * each copy's content and objects (and, with mkl_batch_add_row(), a thread
 * of the batch's lays the rows out ahead), and `jobs` - 1 threads the batch
 * starts (named "mkl-deflate") deflate its page content and object streams
 * meanwhile (a fifth of a combined file's time), the calling thread too
 * when they lag behind. The file is the same, byte for byte, for every
 * `jobs`: every stream is deflated at the same level and written in its
 * place. Errors stay those of the copy being added (a stream of an earlier
 * copy that runs out of memory as it is deflated fails the batch at a later
 * call, and the batch leaves no file). A batch made whole (PDF/A, signed,
 * or written by mkl_batch_write) uses the calling thread only. The threads
 * take no signal, and are joined when the file is finished or the batch
 * freed. MKL_ERR_ARGUMENT for a `jobs` out of range or a batch that has
 * copies already. */
MKL_API mkl_status mkl_batch_set_jobs(mkl_batch *b, int jobs);
/** Lay out `l` and add its pages; `l` may be freed afterwards. */
MKL_API mkl_status mkl_batch_add(mkl_batch *b, const mkl_letter *l);
/** Add the copy of `tmpl` for data row `row` of `d`, as mkl_letter_fill_row()
 * makes it and mkl_batch_add() adds it. With mkl_batch_set_jobs() above 1
 * and a file streamed with mkl_fileset_stream_batch() (not PDF/A, not
 * signed), the rows are filled and laid out ahead, up to 4 of them, on a
 * thread the batch starts ("mkl-layout"), with the batch's renderer, while
 * the calling thread writes those laid out before: the file is the same,
 * byte for byte, as with one thread. The copies come in the order of the
 * calls. An error is returned by the call that meets it (this one, a later
 * one, or mkl_fileset_add_batch()): the first failing row's, in the order
 * of the calls, naming the row, on the renderer as mkl_renderer_error()
 * reads it; after it the batch takes no more rows. Until the batch is
 * written or freed, `tmpl` and `d` must stay as they are, every call must
 * pass the same ones (else MKL_ERR_ARGUMENT), mkl_batch_add() is
 * MKL_ERR_ARGUMENT, and the renderer must not be used but through the
 * batch and mkl_renderer_error() after a failed call. */
MKL_API mkl_status mkl_batch_add_row(mkl_batch *b, const mkl_letter *tmpl, const mkl_data *d, size_t row);
/** The number of pages so far, blank ones included. */
MKL_API int mkl_batch_page_count(const mkl_batch *b);
/** Finish the PDF and write it to `path` atomically, or hand it to `write`.
 * A batch is written once. */
MKL_API mkl_status mkl_batch_write_file(mkl_batch *b, const char *path);
MKL_API mkl_status mkl_batch_write(mkl_batch *b, mkl_write_fn write, void *user);
/** Before the first copy: let mkl_batch_write() keep the batch flat in
 * memory. Each copy's pages go, as the copy is added, to an unnamed
 * temporary file in $TMPDIR (an absolute path; else /tmp), which is gone
 * when the batch is freed, even if the program is killed; mkl_batch_write()
 * still hands the file over only once it is whole, in pieces of up to
 * 1 MiB, and mkl_batch_set_jobs() applies as for mkl_fileset_stream_batch()
 * (the file is byte for byte that of mkl_batch_write_file()). A PDF/A or
 * signed batch is made whole in memory all the same. MKL_ERR_WRITE (on the
 * renderer, naming the folder) when no temporary file can be made there;
 * MKL_ERR_ARGUMENT when `b` has copies or a file already. A write to the
 * temporary file that fails (a full disk) fails the copy being added. */
MKL_API mkl_status mkl_batch_spool(mkl_batch *b);
MKL_API void mkl_batch_free(mkl_batch *b);

/* ## Rendering */

/** Render `letter` to the PDF file `path`, atomically (temporary file, then
 * rename; nothing is left behind on failure). */
MKL_API mkl_status mkl_render_to_file(mkl_renderer *r, const mkl_letter *letter, const char *path);

/** Render `letter` into a new buffer stored in `*data` (length `*len`).
 * The caller frees the buffer with mkl_free(). */
MKL_API mkl_status mkl_render_to_memory(mkl_renderer *r, const mkl_letter *letter,
                                        unsigned char **data, size_t *len);


/** Render `letter` and hand the PDF bytes, in order, to `write`. The bytes
 * are only handed over once the whole PDF has been made, so an error in the
 * letter never leads to a partial output. */
MKL_API mkl_status mkl_render_to_writer(mkl_renderer *r, const mkl_letter *letter,
                                        mkl_write_fn write, void *user);

/** Check `letter` as rendering it would, without making a PDF: every font,
 * every character's glyph, every image, and the layout of every page. Much
 * faster than rendering (no subset fonts, no compression), for validating a
 * letter and its data before a long run. Returns MKL_OK or the first error
 * (kept on `r`, with its file, line and column); on success
 * mkl_renderer_page_count() gives the letter's pages. */
MKL_API mkl_status mkl_letter_check(mkl_renderer *r, const mkl_letter *letter);

/* ## Output files
 *
 * Every PDF file the library writes goes through a file set: it is written
 * to a temporary file beside its target (".mkletter-PID-XXXXXX.tmp", which
 * fits beside any name) and renamed into place only when the set is
 * committed, so a set of many copies is written all or nothing. A target
 * that is a symlink stays one (the file it names is replaced); a replaced
 * file keeps its permission bits, a new one gets 0666 & ~umask. An existing
 * character device or FIFO (/dev/null, a shell's >(lpr)) is written through
 * at commit, never renamed over; a folder, socket or block device is
 * refused (MKL_ERR_WRITE). Temporary files left by a killed process (gone,
 * same user) are removed from a folder the first time the renderer writes
 * there. A set of more than four files is synced with one syncfs() before the
 * renames (a single file with fsync()).
 */
typedef struct mkl_fileset mkl_fileset;

/** Start a set of output files written with `r`. Free with mkl_fileset_free(). */
MKL_API mkl_status mkl_fileset_new(mkl_renderer *r, mkl_fileset **out);
/** Render `letter` into a temporary file for `path`. Two targets that are one
 * file (by their resolved paths) are MKL_ERR_ARGUMENT. */
MKL_API mkl_status mkl_fileset_add(mkl_fileset *s, const mkl_letter *letter, const char *path);
/** Add a PDF made already (mkl_render_to_memory, perhaps by another thread's
 * renderer) as a temporary file for `path`. */
MKL_API mkl_status mkl_fileset_add_pdf(mkl_fileset *s, const unsigned char *pdf, size_t len, const char *path);
/** Finish the batch `b` (as mkl_batch_write_file would) into a temporary file for `path`. */
MKL_API mkl_status mkl_fileset_add_batch(mkl_fileset *s, mkl_batch *b, const char *path);
/** Stream the batch `b`, before its first copy is added, to a temporary
 * file for `path`: each copy's pages go to the file as the copy is added, so
 * memory stays flat however many copies the batch has; then
 * mkl_fileset_add_batch(s, b, path) writes the rest (the fonts, the page
 * tree, the cross-reference) and closes the file, which the commit puts in
 * place as any other. A PDF/A or signed batch is still made whole and
 * written at the end (its file ID and signature cover all of it). For a
 * device or FIFO the file goes to an unnamed temporary file, as with
 * mkl_batch_spool(), written through at commit. A batch that fails (a copy that cannot be added)
 * leaves no file. MKL_ERR_ARGUMENT when `b` has copies already. */
MKL_API mkl_status mkl_fileset_stream_batch(mkl_fileset *s, mkl_batch *b, const char *path);
/** Put every file in place. A target that is a file the renderer read (the
 * letter, the data, an image, a font in use) is MKL_ERR_ARGUMENT, checked for
 * all before any is renamed. */
MKL_API mkl_status mkl_fileset_commit(mkl_fileset *s);
/** Remove the set's temporary files, and nothing else. Async-signal-safe (it
 * only calls unlink()): for a SIGINT/SIGTERM handler, which then ends the
 * process. The set must still be freed if the process goes on. */
MKL_API void mkl_fileset_abort(mkl_fileset *s);
/** Free the set; temporary files not committed are removed. NULL is allowed. */
MKL_API void mkl_fileset_free(mkl_fileset *s);

/* ## Digital signatures
 *
 * With `mkl_options.signer` set, every PDF the renderer makes (a letter, each
 * copy of a merge, a combined print file) carries a PAdES B-B signature
 * (ETSI EN 319 142-1): a signature dictionary (/Type /Sig, /Filter
 * /Adobe.PPKLite, /SubFilter /ETSI.CAdES.detached, /M the document's
 * creation time, so it follows SOURCE_DATE_EPOCH) whose /ByteRange covers the
 * whole file but the /Contents hole, which holds a detached CMS SignedData
 * (SHA-256; signed attributes contentType, messageDigest and
 * signing-certificate-v2, no signing time) with the signer's certificate and
 * chain. The signature field is in /AcroForm (/SigFlags 3) with an invisible
 * widget on page 1 (printable, locked, an empty appearance: PDF/A-1b holds).
 * The file is written once with the hole and then signed in place: no
 * incremental update. An RSA key gives the same bytes for the same letter
 * and time; an ECDSA signature holds a random number, so it differs from
 * run to run (the rest of the file does not).
 */

/** Load the signing key at `key_path` and store it in `*out` (free it with
 * mkl_signer_free()). The key file is either
 *  - PKCS#12 (.p12/.pfx) holding the key, its certificate and the chain
 *    (`cert_path` NULL), or
 *  - PEM: a private key (encrypted or not), then, in the same file or in the
 *    PEM file `cert_path`, the signer's certificate first and its chain after.
 * RSA and ECDSA keys are accepted. `password` (NULL or "" for none) opens the
 * file; the library wipes its own copies of it and of the key file, and never
 * puts either in a message. Refused, with MKL_ERR_INPUT and a message naming
 * the file: a wrong password, a damaged or unknown file, no key or no
 * certificate, a key that does not match the certificate, a certificate
 * without the digitalSignature or nonRepudiation key usage, one that has
 * expired or is not valid yet (at the time of loading), another kind of key.
 * A file that cannot be read is MKL_ERR_READ. */
MKL_API mkl_status mkl_signer_load(const char *key_path, const char *cert_path, const char *password, mkl_signer **out,
                                   mkl_error *err);

/** Does the key file at `path` need a password: a PKCS#12 file that does not
 * open without one, or a PEM file with an encrypted key? 0 also when the file
 * cannot be read (mkl_signer_load() then says why). For a program that asks
 * for the password only when there is one. */
MKL_API int mkl_signer_needs_password(const char *path);

/** Free a signer, its key wiped. NULL is allowed. */
MKL_API void mkl_signer_free(mkl_signer *s);

/** Read a password file: its first line (without "\n" or "\r\n"), at most
 * `size` - 1 bytes, into `buf`. MKL_ERR_READ when it cannot be read,
 * MKL_ERR_INPUT when the line is too long or holds a NUL byte. The library's
 * copy of the file is wiped; wipe `buf` when done. */
MKL_API mkl_status mkl_signer_read_password(const char *path, char *buf, size_t size, mkl_error *err);

/** The number of pages of the last letter rendered with `r` (0 before). */
MKL_API int mkl_renderer_page_count(const mkl_renderer *r);

/** Free memory the library handed to the caller (mkl_render_to_memory). */
MKL_API void mkl_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* MKLETTER_H */
