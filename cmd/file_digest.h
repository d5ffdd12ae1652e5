/* The SHA-256 of a file, as the reports name the model and configuration they were made
 * with (an authority can check the files it holds against the report). */
#ifndef CQE_FILE_DIGEST_H
#define CQE_FILE_DIGEST_H

#include <stddef.h>

#include "err.h"

#define CQE_SHA256_HEX 65 /* 64 hex digits and the NUL */

/* Writes the lowercase hex SHA-256 of the file at path into hex. Returns 0, CQE_EIO
 * with err naming the file and the system's reason, or CQE_ENOMEM. Thread-safe. */
int cqe_file_sha256(const char *path, char hex[CQE_SHA256_HEX], struct cqe_err *err);

#endif
