/* The SHA-256 of a file (see file_digest.h), read in blocks through OpenSSL's EVP. */
#include "file_digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

int cqe_file_sha256(const char *path, char hex[CQE_SHA256_HEX], struct cqe_err *err)
{
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned int n_md = 0;
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cqe_err_set(err, CQE_EIO, "cannot read %s: %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory hashing %s", path);
        goto out;
    }
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (!EVP_DigestUpdate(ctx, buf, n)) {
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory hashing %s", path);
            goto out;
        }
    if (ferror(f)) {
        rc = cqe_err_set(err, CQE_EIO, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
        goto out;
    }
    if (!EVP_DigestFinal_ex(ctx, md, &n_md)) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory hashing %s", path);
        goto out;
    }
    for (unsigned int i = 0; i < n_md && 2 * i + 2 < CQE_SHA256_HEX; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
out:
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return rc;
}
