/* JSON text as cloudqe writes it (records, dead letters, reports, summaries): Jansson's
 * serialiser, then every real rewritten in the shortest form that reads back as the same
 * double — 0.99, not 0.98999999999999999 (docs/outputs.md, "Numbers"). */
#ifndef CQE_JSON_OUT_H
#define CQE_JSON_OUT_H

#include <jansson.h>
#include <stddef.h>

#define CQE_JSON_REAL_MAX 32 /* room for any real cqe_json_real writes, with its NUL */

/* Writes the finite double v into buf (cap >= CQE_JSON_REAL_MAX) as a JSON number: the
 * fewest significant digits (the smallest P of %.Pg, 1..17) that strtod reads back as v;
 * plain notation from 1e-4 up to below 1e17, else d.ddde[-]X; a value with no fraction
 * keeps ".0" (86400.0, -0.0), so that it reads back as a real, not an integer. Returns
 * the length (NUL-terminated), or 0 when v is not finite or cap is too small.
 * Thread-safe (needs the "C" numeric locale, which cloudqe never changes). */
size_t cqe_json_real(double v, char *buf, size_t cap);

/* Rewrites, in place, every real number of the JSON text s[0..n) (a token with a '.',
 * 'e' or 'E' outside strings) to cqe_json_real's form when that is not longer; integers,
 * strings and everything else stay byte for byte. Returns the new length (<= n) and
 * NUL-terminates when it is shorter than n. Thread-safe. */
size_t cqe_json_shorten(char *s, size_t n);

/* json_dumps(j, flags) with shortened reals (any JSON_REAL_PRECISION in flags is
 * ignored). Returns malloc'd text the caller frees, or NULL (ENOMEM, or what Jansson
 * refuses). Thread-safe on a json_t no other thread changes. */
char *cqe_json_dumps(const json_t *j, size_t flags);

/* json_dumpb with shortened reals: returns the length written to buf (not
 * NUL-terminated), the size needed when it is more than size (nothing usable is in buf
 * then), or 0 on error. */
size_t cqe_json_dumpb(const json_t *j, char *buf, size_t size, size_t flags);

/* Writes cqe_json_dumps(j, flags) to the file at path (created or truncated). Returns 0,
 * or -1 with errno set. */
int cqe_json_dump_file(const json_t *j, const char *path, size_t flags);

#endif
