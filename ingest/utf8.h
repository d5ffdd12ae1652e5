/* Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Shared by the decoder (bad_utf8, string lengths) and the dead-letter writer
 * (raw vs raw_b64). */
#ifndef CQE_UTF8_H
#define CQE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the n bytes at p (borrowed; NULs allowed and accepted, U+0000 is valid
 * UTF-8) are well-formed UTF-8. Pure, thread-safe; ASCII runs are checked 8 at a time. */
bool cqe_utf8_valid(const char *p, size_t n);

/* Length of the longest well-formed prefix of p[0..n): n when valid, otherwise the
 * offset of the first byte of the first ill-formed sequence. Pure, thread-safe. */
size_t cqe_utf8_valid_prefix(const char *p, size_t n);

/* Code points in the valid UTF-8 s[0..n) (what JSON Schema's minLength and maxLength
 * count). Pure, thread-safe. */
size_t cqe_utf8_chars(const char *s, size_t n);

#endif
