/* sign.c - signing keys and CMS signatures through OpenSSL 3. See sign.h. */
#define _DEFAULT_SOURCE 1 /* explicit_bzero */
#include "sign.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "sign_openssl.h"   /* after OpenSSL's headers: its names become the loaded pointers */

/* A key file is a few KB; more than this is not one. */
#define KEY_FILE_MAX ((size_t)1 << 20)
#define PASSWORD_FILE_MAX ((size_t)4096)

struct mkl_signer {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) *chain;   /* the other certificates, in file order */
    size_t max_size;         /* the most bytes a signature takes */
};

__attribute__((format(printf, 3, 0))) static mkl_status bad(mkl_error *e, const char *path, const char *fmt,
                                                            const char *arg) {
    ERR_clear_error();   /* OpenSSL's queue may hold what it read: never shown */
    return mkl__err(e, MKL_ERR_INPUT, path, 0, 0, fmt, arg);
}

static int password_cb(char *buf, int size, int rwflag, void *user) {
    (void)rwflag;
    const char *pw = user ? user : "";
    size_t n = strlen(pw);
    if (size <= 0 || n > (size_t)size) return -1;
    memcpy(buf, pw, n);
    return (int)n;
}

/* The key and certificates of a PKCS#12 file. */
static mkl_status load_p12(PKCS12 *p12, const char *path, const char *pw, mkl_signer *s, mkl_error *e) {
    if (PKCS12_mac_present(p12)) {
        /* an empty password may have been made as "" or as none */
        int ok = PKCS12_verify_mac(p12, pw, -1) || (!*pw && PKCS12_verify_mac(p12, NULL, 0));
        if (!ok) return bad(e, path, "wrong password for the %s (or the file is damaged)", "PKCS#12 file");
    }
    if (!PKCS12_parse(p12, pw, &s->key, &s->cert, &s->chain)) {
        unsigned long err = ERR_peek_last_error();
        if (ERR_GET_REASON(err) == ERR_R_UNSUPPORTED || ERR_GET_REASON(err) == EVP_R_UNSUPPORTED_ALGORITHM)
            return bad(e, path, "the %s is encrypted with an algorithm OpenSSL 3 does not use by default; "
                                "export it again (openssl pkcs12 -export)", "PKCS#12 file");
        return bad(e, path, "the %s is damaged or the password is wrong", "PKCS#12 file");
    }
    return MKL_OK;
}

/* The certificates of a PEM text: the first is the signer's (when none yet). */
static mkl_status load_pem_certs(const char *data, size_t n, const char *path, mkl_signer *s, mkl_error *e) {
    BIO *bio = BIO_new_mem_buf(data, (int)n);
    if (!bio) return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    mkl_status st = MKL_OK;
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        if (!s->cert) {
            s->cert = x;
            continue;
        }
        if ((!s->chain && !(s->chain = sk_X509_new_null())) || !sk_X509_push(s->chain, x)) {
            X509_free(x);
            st = mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
            break;
        }
    }
    unsigned long err = ERR_peek_last_error();
    if (!st && err && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)
        st = bad(e, path, "a %s in the file is damaged", "certificate");
    ERR_clear_error();
    BIO_free(bio);
    return st;
}

static mkl_status load_pem_key(const char *data, size_t n, const char *path, const char *pw, mkl_signer *s,
                               mkl_error *e) {
    BIO *bio = BIO_new_mem_buf(data, (int)n);
    if (!bio) return mkl__err(e, MKL_ERR_NOMEM, path, 0, 0, "out of memory");
    s->key = PEM_read_bio_PrivateKey(bio, NULL, password_cb, (void *)pw);
    BIO_free(bio);
    if (s->key) return MKL_OK;
    if (strstr(data, "ENCRYPTED")) return bad(e, path, "wrong password for the %s (or the key is damaged)", "PEM key");
    return bad(e, path, "no %s could be read from the file (it is damaged or not a key)", "private key");
}

static void signer_clear(mkl_signer *s) {
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
    sk_X509_pop_free(s->chain, X509_free);
    memset(s, 0, sizeof *s);
}

/* "Jan  1 00:00:00 2020 GMT" */
static void time_text(const ASN1_TIME *t, char *buf, size_t size) {
    buf[0] = 0;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b) return;
    if (ASN1_TIME_print(b, t)) {
        int n = BIO_read(b, buf, (int)size - 1);
        buf[n > 0 ? n : 0] = 0;
    }
    BIO_free(b);
}

/* Is the signer usable: a key that matches, a certificate that signs, now? */
static mkl_status check_signer(mkl_signer *s, const char *key_path, const char *cert_path, mkl_error *e) {
    const char *cpath = cert_path ? cert_path : key_path;
    if (!s->key) return bad(e, key_path, "the file holds no %s", "private key");
    if (!s->cert) return bad(e, cpath, "the file holds no %s", "certificate");
    int type = EVP_PKEY_get_base_id(s->key);
    if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC)
        return bad(e, key_path, "the key is of type %s; only RSA and ECDSA keys can sign", OBJ_nid2sn(type));
    if (X509_check_private_key(s->cert, s->key) != 1)
        return bad(e, cpath, "the certificate is not the one of the %s", "private key");
    /* caches the certificate's extensions now, so signing threads only read it */
    X509_check_purpose(s->cert, -1, -1);
    if ((X509_get_extension_flags(s->cert) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(s->cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
        return bad(e, cpath, "the certificate's key usage allows neither %s", "digitalSignature nor nonRepudiation");
    char when[64];
    if (X509_cmp_current_time(X509_get0_notBefore(s->cert)) >= 0) {
        time_text(X509_get0_notBefore(s->cert), when, sizeof when);
        return bad(e, cpath, "the certificate is not valid before %s", when);
    }
    if (X509_cmp_current_time(X509_get0_notAfter(s->cert)) <= 0) {
        time_text(X509_get0_notAfter(s->cert), when, sizeof when);
        return bad(e, cpath, "the certificate expired on %s", when);
    }
    return MKL_OK;
}

/* The CMS SignedData for a SHA-256 `digest` of the content, DER, in a
 * buffer of OpenSSL's (free with OPENSSL_free). CMS_SignerInfo_sign() would
 * add a signing time: the signed attributes are encoded (as CMS does, a DER
 * SET OF) and signed here instead. */
static int build_cms(const mkl_signer *s, const unsigned char digest[32], unsigned char **der) {
    int len = -1;
    unsigned char *attrs = NULL, *sig = NULL;
    EVP_MD_CTX *md = NULL;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_DETACHED | CMS_BINARY | CMS_PARTIAL);
    if (!cms) goto out;
    CMS_SignerInfo *si =
        CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | CMS_CADES);
    if (!si) goto out;
    for (int i = 0; i < sk_X509_num(s->chain); i++)
        if (CMS_add1_cert(cms, sk_X509_value(s->chain, i)) <= 0) goto out;
    if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1) <= 0 ||
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, digest, 32) <= 0)
        goto out;
    STACK_OF(X509_ATTRIBUTE) *set = sk_X509_ATTRIBUTE_new_null();
    if (!set) goto out;
    int ok = 1;
    for (int i = 0; i < CMS_signed_get_attr_count(si) && ok; i++)
        ok = sk_X509_ATTRIBUTE_push(set, CMS_signed_get_attr(si, i)) > 0;
    int alen = ok ? ASN1_item_i2d((ASN1_VALUE *)set, &attrs, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN)) : -1;
    sk_X509_ATTRIBUTE_free(set);   /* the attributes stay the signer info's */
    if (alen <= 0) goto out;
    size_t siglen = 0;
    if (!(md = EVP_MD_CTX_new()) || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->key) <= 0 ||
        EVP_DigestSign(md, NULL, &siglen, attrs, (size_t)alen) <= 0 || !(sig = OPENSSL_malloc(siglen)) ||
        EVP_DigestSign(md, sig, &siglen, attrs, (size_t)alen) <= 0)
        goto out;
    ASN1_STRING_set0(CMS_SignerInfo_get0_signature(si), sig, (int)siglen);
    sig = NULL;
    len = i2d_CMS_ContentInfo(cms, der);
out:
    OPENSSL_free(attrs);
    OPENSSL_free(sig);
    EVP_MD_CTX_free(md);
    CMS_ContentInfo_free(cms);
    return len;
}

mkl_status mkl_signer_load(const char *key_path, const char *cert_path, const char *password, mkl_signer **out,
                           mkl_error *err) {
    mkl_error local;
    mkl_error *e = err ? err : &local;
    if (!out || !key_path) return mkl__err(e, MKL_ERR_ARGUMENT, NULL, 0, 0, "no key file");
    *out = NULL;
    mkl_status loaded = mkl__openssl_load(key_path, e);
    if (loaded) return loaded;
    const char *pw = password ? password : "";
    mkl_signer *s = mkl__calloc(1, sizeof *s);
    if (!s) return mkl__err(e, MKL_ERR_NOMEM, key_path, 0, 0, "out of memory");
    char *data = NULL, *cdata = NULL;
    size_t n = 0, cn = 0;
    mkl_status st = mkl__read_file(key_path, KEY_FILE_MAX, "key file", &data, &n, e);
    if (!st && cert_path) st = mkl__read_file(cert_path, KEY_FILE_MAX, "certificate file", &cdata, &cn, e);
    if (!st) {
        const unsigned char *p = (const unsigned char *)data;
        PKCS12 *p12 = n < (size_t)1 << 30 ? d2i_PKCS12(NULL, &p, (long)n) : NULL;
        ERR_clear_error();
        if (p12) {
            st = load_p12(p12, key_path, pw, s, e);
            PKCS12_free(p12);
            if (!st && cert_path && !s->cert) st = load_pem_certs(cdata, cn, cert_path, s, e);
        } else if (strstr(data, "-----BEGIN ")) {
            st = load_pem_key(data, n, key_path, pw, s, e);
            if (!st) st = cert_path ? load_pem_certs(cdata, cn, cert_path, s, e) : load_pem_certs(data, n, key_path, s, e);
        } else if (n && (unsigned char)data[0] == 0x30) {   /* DER, as PKCS#12 is, but not readable */
            st = bad(e, key_path, "the %s is damaged (it cannot be read)", "PKCS#12 file");
        } else {
            st = bad(e, key_path, "the file is neither %s", "a PKCS#12 file nor a PEM key");
        }
    }
    if (data) OPENSSL_cleanse(data, n);
    if (cdata) OPENSSL_cleanse(cdata, cn);
    mkl__free(data);
    mkl__free(cdata);
    if (!st) st = check_signer(s, key_path, cert_path, e);
    if (!st) {
        /* the size of a signature: a trial one, with room for a longer ECDSA
         * value and the DER lengths that grow with it */
        unsigned char zero[32] = {0}, *der = NULL;
        int len = build_cms(s, zero, &der);
        OPENSSL_free(der);
        if (len <= 0) st = bad(e, key_path, "OpenSSL could not sign with the %s", "key");
        else s->max_size = (size_t)len + (size_t)EVP_PKEY_get_size(s->key) / 8 + 16;
    }
    ERR_clear_error();
    if (st) {
        signer_clear(s);
        mkl__free(s);
        return st;
    }
    *out = s;
    return MKL_OK;
}

int mkl_signer_needs_password(const char *path) {
    if (!path) return 0;
    mkl_error e;
    if (mkl__openssl_load(path, &e)) return 0;   /* mkl_signer_load() says why */
    char *data = NULL;
    size_t n = 0;
    if (mkl__read_file(path, KEY_FILE_MAX, "key file", &data, &n, &e)) return 0;
    const unsigned char *p = (const unsigned char *)data;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)n);
    int needs = p12 ? PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, "", 0) && !PKCS12_verify_mac(p12, NULL, 0)
                    : strstr(data, "ENCRYPTED") != NULL;
    PKCS12_free(p12);
    ERR_clear_error();
    OPENSSL_cleanse(data, n);
    mkl__free(data);
    return needs;
}

void mkl_signer_free(mkl_signer *s) {
    if (!s) return;
    signer_clear(s);   /* OpenSSL wipes the key's numbers as it frees them */
    mkl__free(s);
}

size_t mkl__sign_max_size(const mkl_signer *s) { return s->max_size; }

mkl_status mkl__sign_pdf(const mkl_signer *s, const unsigned char *pdf, size_t n, size_t hole_at, size_t hole_end,
                         unsigned char *cms, size_t cap, size_t *len, mkl_error *e) {
    unsigned char digest[32];
    unsigned int dlen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) > 0 && EVP_DigestUpdate(md, pdf, hole_at) > 0 &&
             EVP_DigestUpdate(md, pdf + hole_end, n - hole_end) > 0 && EVP_DigestFinal_ex(md, digest, &dlen) > 0;
    EVP_MD_CTX_free(md);
    unsigned char *der = NULL;
    int dn = ok ? build_cms(s, digest, &der) : -1;
    ERR_clear_error();
    if (dn <= 0) return mkl__err(e, MKL_ERR_PDF, NULL, 0, 0, "OpenSSL could not make the signature");
    if ((size_t)dn > cap) {
        OPENSSL_free(der);
        return mkl__err(e, MKL_ERR_PDF, NULL, 0, 0, "internal error: the signature (%d bytes) is larger than its place", dn);
    }
    memcpy(cms, der, (size_t)dn);
    OPENSSL_free(der);
    *len = (size_t)dn;
    return MKL_OK;
}

mkl_status mkl__password_line(const char *data, size_t n, const char *name, char *out, size_t size, mkl_error *e) {
    const char *nl = memchr(data, '\n', n);
    size_t len = nl ? (size_t)(nl - data) : n;
    if (len && data[len - 1] == '\r') len--;
    if (memchr(data, 0, len)) return mkl__err(e, MKL_ERR_INPUT, name, 0, 0, "the password holds a NUL byte");
    if (!size || len > size - 1)
        return mkl__err(e, MKL_ERR_INPUT, name, 0, 0, "the password is longer than %zu bytes", size ? size - 1 : 0);
    memcpy(out, data, len);
    out[len] = 0;
    return MKL_OK;
}

mkl_status mkl_signer_read_password(const char *path, char *buf, size_t size, mkl_error *err) {
    mkl_error local;
    mkl_error *e = err ? err : &local;
    if (!path || !buf || !size) return mkl__err(e, MKL_ERR_ARGUMENT, NULL, 0, 0, "no password file or buffer");
    buf[0] = 0;
    char *data = NULL;
    size_t n = 0;
    mkl_status st = mkl__read_file(path, PASSWORD_FILE_MAX, "password file", &data, &n, e);
    if (st) return st;
    st = mkl__password_line(data, n, path, buf, size, e);
    explicit_bzero(data, n);   /* as OPENSSL_cleanse, without loading libcrypto for a password */
    mkl__free(data);
    return st;
}
