/* sign_openssl.h - the OpenSSL functions sign.c calls, from libcrypto loaded
 * when a letter is first signed (mkl__openssl_load), not when the program
 * starts.
 *
 * Mapping libcrypto (4.7 MB, bound at load) cost about 0.8 ms of every run of
 * the command, signed or not: a twentieth of a one-letter run. So the library
 * does not link it; sign.c is compiled against OpenSSL's headers as before,
 * and each function it calls is a pointer in mkl__openssl, filled from the
 * library found by the usual search (its soname, libcrypto.so.3 for OpenSSL
 * 3) through dlopen/dlsym, once per process. The pointers have the headers'
 * own types (__typeof__), so a call is checked by the compiler exactly as a
 * direct call is.
 *
 * Include this after the OpenSSL headers. It defines each name below as its
 * pointer, so sign.c reads as plain OpenSSL; OpenSSL's own macros that call
 * these (OPENSSL_free, sk_X509_num, ...) go through the pointers too. A name
 * sign.c calls that is missing here fails the build: the library is not
 * linked with libcrypto, so the symbol is undefined. */
#ifndef MKL_SIGN_OPENSSL_H
#define MKL_SIGN_OPENSSL_H

#include "util.h"

#define MKL_OPENSSL_FUNCTIONS(X)                                                                         \
    X(OpenSSL_version_num)                                                                               \
    X(ASN1_STRING_set0) X(ASN1_TIME_print) X(ASN1_item_i2d)                                              \
    X(BIO_free) X(BIO_new) X(BIO_new_mem_buf) X(BIO_read) X(BIO_s_mem)                                   \
    X(CMS_ContentInfo_free) X(CMS_SignerInfo_get0_signature) X(CMS_add1_cert) X(CMS_add1_signer)         \
    X(CMS_sign) X(CMS_signed_add1_attr_by_NID) X(CMS_signed_get_attr) X(CMS_signed_get_attr_count)       \
    X(CRYPTO_free) X(CRYPTO_malloc) X(ERR_clear_error) X(ERR_peek_last_error)                            \
    X(EVP_DigestFinal_ex) X(EVP_DigestInit_ex) X(EVP_DigestSign) X(EVP_DigestSignInit)                   \
    X(EVP_DigestUpdate) X(EVP_MD_CTX_free) X(EVP_MD_CTX_new) X(EVP_PKEY_free) X(EVP_PKEY_get_base_id)    \
    X(EVP_PKEY_get_size) X(EVP_sha256) X(OBJ_nid2obj) X(OBJ_nid2sn) X(OPENSSL_cleanse)                   \
    X(OPENSSL_sk_free) X(OPENSSL_sk_new_null) X(OPENSSL_sk_num) X(OPENSSL_sk_pop_free) X(OPENSSL_sk_push) \
    X(OPENSSL_sk_value) X(PEM_read_bio_PrivateKey) X(PEM_read_bio_X509) X(PKCS12_free)                   \
    X(PKCS12_mac_present) X(PKCS12_parse) X(PKCS12_verify_mac) X(PKCS7_ATTR_SIGN_it)                      \
    X(X509_check_private_key) X(X509_check_purpose) X(X509_cmp_current_time) X(X509_free)                \
    X(X509_get0_notAfter) X(X509_get0_notBefore) X(X509_get_extension_flags) X(X509_get_key_usage)       \
    X(d2i_PKCS12) X(i2d_CMS_ContentInfo)

typedef struct mkl__openssl {
#define MKL_OPENSSL_POINTER(name) __typeof__(name) *name;
    MKL_OPENSSL_FUNCTIONS(MKL_OPENSSL_POINTER)
#undef MKL_OPENSSL_POINTER
} mkl__openssl;

/* The functions, once mkl__openssl_load() has returned MKL_OK. */
extern mkl__openssl mkl__ossl;

/* Load libcrypto and every function above, the first time (thread-safe);
 * later calls return the first call's outcome. A library that cannot be
 * found, is not OpenSSL 3, or lacks a function is MKL_ERR_INPUT on `e`,
 * naming `path` (the key file being read) and what is wrong. */
mkl_status mkl__openssl_load(const char *path, mkl_error *e);

#ifndef MKL_OPENSSL_LOADER
#define OpenSSL_version_num (mkl__ossl.OpenSSL_version_num)
#define ASN1_STRING_set0 (mkl__ossl.ASN1_STRING_set0)
#define ASN1_TIME_print (mkl__ossl.ASN1_TIME_print)
#define ASN1_item_i2d (mkl__ossl.ASN1_item_i2d)
#define BIO_free (mkl__ossl.BIO_free)
#define BIO_new (mkl__ossl.BIO_new)
#define BIO_new_mem_buf (mkl__ossl.BIO_new_mem_buf)
#define BIO_read (mkl__ossl.BIO_read)
#define BIO_s_mem (mkl__ossl.BIO_s_mem)
#define CMS_ContentInfo_free (mkl__ossl.CMS_ContentInfo_free)
#define CMS_SignerInfo_get0_signature (mkl__ossl.CMS_SignerInfo_get0_signature)
#define CMS_add1_cert (mkl__ossl.CMS_add1_cert)
#define CMS_add1_signer (mkl__ossl.CMS_add1_signer)
#define CMS_sign (mkl__ossl.CMS_sign)
#define CMS_signed_add1_attr_by_NID (mkl__ossl.CMS_signed_add1_attr_by_NID)
#define CMS_signed_get_attr (mkl__ossl.CMS_signed_get_attr)
#define CMS_signed_get_attr_count (mkl__ossl.CMS_signed_get_attr_count)
#define CRYPTO_free (mkl__ossl.CRYPTO_free)
#define CRYPTO_malloc (mkl__ossl.CRYPTO_malloc)
#define ERR_clear_error (mkl__ossl.ERR_clear_error)
#define ERR_peek_last_error (mkl__ossl.ERR_peek_last_error)
#define EVP_DigestFinal_ex (mkl__ossl.EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (mkl__ossl.EVP_DigestInit_ex)
#define EVP_DigestSign (mkl__ossl.EVP_DigestSign)
#define EVP_DigestSignInit (mkl__ossl.EVP_DigestSignInit)
#define EVP_DigestUpdate (mkl__ossl.EVP_DigestUpdate)
#define EVP_MD_CTX_free (mkl__ossl.EVP_MD_CTX_free)
#define EVP_MD_CTX_new (mkl__ossl.EVP_MD_CTX_new)
#define EVP_PKEY_free (mkl__ossl.EVP_PKEY_free)
#define EVP_PKEY_get_base_id (mkl__ossl.EVP_PKEY_get_base_id)
#define EVP_PKEY_get_size (mkl__ossl.EVP_PKEY_get_size)
#define EVP_sha256 (mkl__ossl.EVP_sha256)
#define OBJ_nid2obj (mkl__ossl.OBJ_nid2obj)
#define OBJ_nid2sn (mkl__ossl.OBJ_nid2sn)
#define OPENSSL_cleanse (mkl__ossl.OPENSSL_cleanse)
#define OPENSSL_sk_free (mkl__ossl.OPENSSL_sk_free)
#define OPENSSL_sk_new_null (mkl__ossl.OPENSSL_sk_new_null)
#define OPENSSL_sk_num (mkl__ossl.OPENSSL_sk_num)
#define OPENSSL_sk_pop_free (mkl__ossl.OPENSSL_sk_pop_free)
#define OPENSSL_sk_push (mkl__ossl.OPENSSL_sk_push)
#define OPENSSL_sk_value (mkl__ossl.OPENSSL_sk_value)
#define PEM_read_bio_PrivateKey (mkl__ossl.PEM_read_bio_PrivateKey)
#define PEM_read_bio_X509 (mkl__ossl.PEM_read_bio_X509)
#define PKCS12_free (mkl__ossl.PKCS12_free)
#define PKCS12_mac_present (mkl__ossl.PKCS12_mac_present)
#define PKCS12_parse (mkl__ossl.PKCS12_parse)
#define PKCS12_verify_mac (mkl__ossl.PKCS12_verify_mac)
#define PKCS7_ATTR_SIGN_it (mkl__ossl.PKCS7_ATTR_SIGN_it)
#define X509_check_private_key (mkl__ossl.X509_check_private_key)
#define X509_check_purpose (mkl__ossl.X509_check_purpose)
#define X509_cmp_current_time (mkl__ossl.X509_cmp_current_time)
#define X509_free (mkl__ossl.X509_free)
#define X509_get0_notAfter (mkl__ossl.X509_get0_notAfter)
#define X509_get0_notBefore (mkl__ossl.X509_get0_notBefore)
#define X509_get_extension_flags (mkl__ossl.X509_get_extension_flags)
#define X509_get_key_usage (mkl__ossl.X509_get_key_usage)
#define d2i_PKCS12 (mkl__ossl.d2i_PKCS12)
#define i2d_CMS_ContentInfo (mkl__ossl.i2d_CMS_ContentInfo)
#endif

#endif
