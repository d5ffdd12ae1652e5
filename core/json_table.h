/* Loading a JSON document through tables of keys: each object is a table of
 * {name, loader, offsetof, range, required}, every refusal names the JSON path of the
 * offending value ("$.redis.url", "$.tree[2].weight"), unknown keys get a did-you-mean. */
#ifndef CQE_JSON_TABLE_H
#define CQE_JSON_TABLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CQE_JT_MAX_SAFE_INT 9007199254740992.0 /* 2^53: the largest integer a double holds exactly */
#define CQE_JT_IDENT_MAX 128                   /* code points, as events.md counts identifiers */

/* One load in progress: where the document came from, where errors go, and the JSON
 * path of the value being read. Lives on the caller's stack; owns nothing. */
struct cqe_jt {
    const char *origin; /* borrowed: a file name, "default model", ... */
    struct cqe_err *err;
    const char *note; /* borrowed, NULL = none: appended to refusals as " (note)" */
    char path[256];   /* "$.services[2].target"; a deeper path is cut, never overrun */
    size_t plen;
};

/* Starts a load at the document root "$". */
void cqe_jt_init(struct cqe_jt *L, const char *origin, struct cqe_err *err);

/* Appends .key (or ["key"] when it is not a plain name; a long key is cut after 48 code
 * points) or [i] to the path; returns the mark cqe_jt_pop goes back to. */
size_t cqe_jt_push_key(struct cqe_jt *L, const char *key);
size_t cqe_jt_push_index(struct cqe_jt *L, size_t i);
void cqe_jt_pop(struct cqe_jt *L, size_t mark);

/* Every refusal: "ORIGIN: $.path: rule[ (note)]" with CQE_ECONFIG; returns CQE_ECONFIG.
 * The rule must not quote a value that may be a secret. */
int cqe_jt_fail(struct cqe_jt *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "ORIGIN: $.path: out of memory" with CQE_ENOMEM; returns CQE_ENOMEM. */
int cqe_jt_oom(struct cqe_jt *L);

/* "an object", "a string", ... for messages. */
const char *cqe_jt_type_name(const json_t *v);
/* True when the n bytes at s are [A-Za-z_][A-Za-z0-9_]*: a plain key in a path, an
 * environment variable name. */
bool cqe_jt_plain_name(const char *s, size_t n);
/* Code points of valid UTF-8 (Jansson guarantees it for every string it parsed). */
size_t cqe_jt_code_points(const char *s);
/* A malloc'd copy of s, NULL when out of memory. */
char *cqe_jt_strdup(const char *s);

/* ---- typed getters: a value of the right type and range, or a refusal ---- */

struct cqe_jt_range {
    bool integer;    /* JSON Schema's integer: 1.0 counts, true does not */
    bool min_excl;   /* (min, ...] instead of [min, ...] */
    double min, max; /* max >= 2^53 reads "no upper bound" in messages */
};

#define CQE_JT_INT(lo, hi)                                                                                   \
    {                                                                                                        \
        true, false, (lo), (hi)                                                                              \
    }
#define CQE_JT_NUM(lo, hi)                                                                                   \
    {                                                                                                        \
        false, false, (lo), (hi)                                                                             \
    }
#define CQE_JT_POS(hi)                                                                                       \
    {                                                                                                        \
        false, true, 0, (hi)                                                                                 \
    }

int cqe_jt_number(struct cqe_jt *L, const json_t *v, const struct cqe_jt_range *r, double *out);
int cqe_jt_int(struct cqe_jt *L, const json_t *v, const struct cqe_jt_range *r, int64_t *out);
/* A string of 1 to 128 code points (events.md "identifier"); *out is borrowed from v. */
int cqe_jt_ident(struct cqe_jt *L, const json_t *v, const char **out);
/* A non-empty string; *out is borrowed from v. */
int cqe_jt_nonempty(struct cqe_jt *L, const json_t *v, const char **out);
/* Replaces *slot (owned, freed) with a copy of s. */
int cqe_jt_set_str(struct cqe_jt *L, char **slot, const char *s);

/* ---- objects as tables of keys ---- */

struct cqe_jt_key;
/* Loads value v of key k into base (the struct the table describes). The path names v. */
typedef int (*cqe_jt_load_fn)(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k);

struct cqe_jt_key {
    const char *name;
    cqe_jt_load_fn load;
    size_t off; /* where in base the value goes (generic loaders), or the loader's own number */
    struct cqe_jt_range range;
    bool required;
    bool hidden; /* refused with its own message; not listed as a known key */
};

/* A table, or one part of an object's keys split over several files. */
struct cqe_jt_keys {
    const struct cqe_jt_key *key;
    size_t n;
};

#define CQE_JT_KEYS(table)                                                                                   \
    {                                                                                                        \
        (table), sizeof(table) / sizeof((table)[0])                                                          \
    }

/* Generic loaders: int64_t, double, bool, owned char * (identifier or non-empty). */
int cqe_jt_load_i64(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k);
int cqe_jt_load_double(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k);
int cqe_jt_load_bool(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k);
int cqe_jt_load_ident(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k);
int cqe_jt_load_nonempty(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k);

/* Loads every member of obj through the keys of parts[0..n_parts) in file order; an
 * unknown key is refused listing the known ones (and the nearest within two edits), a
 * missing required key after the members. Absent keys keep what base holds. */
int cqe_jt_object_parts(struct cqe_jt *L, json_t *obj, const struct cqe_jt_keys *parts, size_t n_parts,
                        void *base);

/* The same over one table. */
#define CQE_JT_OBJECT(L, obj, table, base)                                                                   \
    cqe_jt_object_parts((L), (obj), &(const struct cqe_jt_keys)CQE_JT_KEYS(table), 1, (base))

/* Parses text (len bytes; duplicate keys are a syntax error) into *root (owned by the
 * caller). A syntax error reads "ORIGIN: line L column C: invalid JSON: ...". */
int cqe_jt_parse(struct cqe_jt *L, const char *text, size_t len, json_t **root);

/* Reads a whole file of less than max_bytes into *buf (malloc'd, NUL-terminated, owned by
 * the caller), *len its length. Errors name the path: CQE_EIO, CQE_ENOMEM, CQE_ECONFIG
 * when too large ("...; not WHAT", e.g. what = "a configuration file"). */
int cqe_jt_read_file(const char *path, size_t max_bytes, const char *what, char **buf, size_t *len,
                     struct cqe_err *err);

#endif
