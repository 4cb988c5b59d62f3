/* letter-in-code.c - build a letter in code with libmkletter and render it.
 *
 *   cc letter-in-code.c $(pkg-config --cflags --libs mkletter) -o letter-in-code
 *   ./letter-in-code out.pdf
 *
 * Every call returns an mkl_status; on failure the renderer (or the letter)
 * keeps the message. */
#include <mkletter.h>
#include <stdio.h>

static int fail(const mkl_error *err) {
    char msg[2048];
    mkl_error_format(err, msg, sizeof msg);
    fprintf(stderr, "letter-in-code: %s\n", msg);
    return 1;
}

int main(int argc, char **argv) {
    const char *out = argc > 1 ? argv[1] : "letter-in-code.pdf";
    mkl_renderer *r;
    if (mkl_renderer_new(NULL, &r) != MKL_OK) return 1;
    mkl_letter *l;
    if (mkl_letter_new(r, &l) != MKL_OK) return fail(mkl_renderer_error(r));

    mkl_letter_set(l, MKL_FIELD_DATE, "2020-02-21");
    mkl_letter_set(l, MKL_FIELD_PLACE, "Seoul");
    mkl_letter_set(l, MKL_FIELD_LETTERHEAD, "Transitional Justice Working Group");
    mkl_letter_add_line(l, MKL_FIELD_LETTERHEAD, "Jongno-gu, Seoul 03170, Republic of Korea");
    mkl_letter_add_line(l, MKL_FIELD_TO, "Moon Jae-in");
    mkl_letter_add_line(l, MKL_FIELD_TO, "President of the Republic of Korea");
    mkl_letter_add_cc(l, "Foreign Minister Kang Kyung-hwa\nMinistry of Foreign Affairs");
    mkl_letter_set(l, MKL_FIELD_SUBJECT, "Open Letter on South Korea\xE2\x80\x99s Policies");
    mkl_letter_set(l, MKL_FIELD_OPENING, "President Moon Jae-in,");
    mkl_letter_set(l, MKL_FIELD_CLOSING, "Sincerely,");

    mkl_letter_add_paragraph(l);
    mkl_letter_add_text(l, "We are writing on behalf of ", 0, NULL);
    mkl_letter_add_text(l, "69 non-governmental organizations", MKL_TEXT_BOLD, NULL);
    mkl_letter_add_text(l, " to urge you to ", 0, NULL);
    mkl_letter_add_text(l, "clarify and strengthen", MKL_TEXT_ITALIC, NULL);
    mkl_letter_add_text(l, " your position (see ", 0, NULL);
    mkl_letter_add_text(l, "the full text", 0, "https://tjwg.org");
    mkl_letter_add_text(l, ").", 0, NULL);

    mkl_letter_add_signature(l, "Hubert Younghwan Lee", "Executive Director", NULL);
    mkl_letter_add_group(l, "Organizations", 2);
    mkl_letter_add_entry(l, "Amnesty International", NULL);
    mkl_letter_add_entry(l, "Human Rights Watch", NULL);
    mkl_letter_add_entry(l, "Transitional Justice Working Group", "South Korea");

    mkl_status st = mkl_letter_status(l);  /* the first failure of the calls above, if any */
    if (st == MKL_OK) st = mkl_render_to_file(r, l, out);
    int rc = st == MKL_OK ? 0 : fail(st == mkl_letter_status(l) ? mkl_letter_error(l) : mkl_renderer_error(r));
    if (!rc) printf("wrote %s (%d page%s)\n", out, mkl_renderer_page_count(r), mkl_renderer_page_count(r) == 1 ? "" : "s");
    mkl_letter_free(l);
    mkl_renderer_free(r);
    return rc;
}
