/* sign.h - the signing key and the CMS signature of a PDF. The only module
 * that knows OpenSSL (public API: mkl_signer_* in mkletter.h).
 *
 * A signer is loaded once (PKCS#12 with its chain, or PEM key and
 * certificates), checked (the password, the key against the certificate,
 * the certificate's validity and key usage) and then only read: threads that
 * render copies share one. The PDF module (pdf_sign.c) asks it for the most
 * bytes a signature can take, leaves that hole in the file, and has the
 * bytes around the hole signed: a detached CMS SignedData, SHA-256, with the
 * signed attributes contentType, messageDigest and signing-certificate-v2 and
 * no signing time (PAdES B-B, ETSI EN 319 142-1: the time is /M in the
 * signature dictionary), with the certificate and its chain. */
#ifndef MKL_SIGN_H
#define MKL_SIGN_H

#include "util.h"

/* The most bytes the DER signature of `s` can take. */
size_t mkl__sign_max_size(const mkl_signer *s);

/* Sign pdf[0..n) but the hole pdf[hole_at..hole_end): write the DER CMS into
 * cms[0..cap) and its length into *len. MKL_ERR_NOMEM, or MKL_ERR_PDF when
 * OpenSSL fails (in `e`, without key material). Safe to call from several
 * threads with one signer. */
mkl_status mkl__sign_pdf(const mkl_signer *s, const unsigned char *pdf, size_t n, size_t hole_at, size_t hole_end,
                         unsigned char *cms, size_t cap, size_t *len, mkl_error *e);

/* The password a password file holds: its first line (up to "\n", a "\r"
 * before it dropped), copied into out[0..size) NUL-terminated. Returns
 * MKL_OK, or MKL_ERR_INPUT (with the reason in `e`, naming `name`) for a line
 * holding a NUL byte or longer than size - 1. Never puts the password in a
 * message. */
mkl_status mkl__password_line(const char *data, size_t n, const char *name, char *out, size_t size, mkl_error *e);

#endif
