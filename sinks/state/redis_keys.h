/* The Redis key layout of docs/state.md, the one place key names are built and parsed:
 * the namespace, the "{p<partition>}" hash tag, the suffix of every state key, the
 * partition's meta keys, and the hash fields and register records stored under them. */
#ifndef CQE_REDIS_KEYS_H
#define CQE_REDIS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "redis_args.h"
#include "state_redis.h"
#include "store.h"

/* Longest namespace accepted (bytes). */
#define CQE_RKEY_NS_MAX 256

/* How the cells of a state key "<ns>:{p<n>}:<store key>:<suffix>" are kept; every
 * state key has a suffix, so a store key holding ':' still parses (last ':'). */
enum cqe_rkey_kind {
    CQE_RKEY_SUM,   /* "sum": hash, the low part of int128 sums */
    CQE_RKEY_SUMHI, /* "sumhi": hash, the high part (only when not 0) */
    CQE_RKEY_MAX,   /* "max": sorted set, scores */
    CQE_RKEY_MIN,   /* "min": sorted set, scores */
    CQE_RKEY_SET,   /* "set": set */
    CQE_RKEY_RMIN,  /* "rmin": hash of register records */
    CQE_RKEY_RMAX,  /* "rmax": hash of register records */
    CQE_RKEY_I64,   /* "i64|<len>|<field>": string, a dense vector (BITFIELD i64 #idx) */
    CQE_RKEY_RUNS   /* "runs|<len>|<field>": hash, a month's days (field "DD") of a vector
                       kept as runs (cqe_rkey_runs); the key names the month */
};

/* The state format this build reads and writes, kept in "<ns>:format" (docs/state.md,
 * "Format marker"). 1 was the format before the marker (vectors as "vec" hashes). */
#define CQE_RKEY_FORMAT "2"

/* A partition's meta keys: "<ns>:{p<n>}:pos" (string), ":dedup" (list of fingerprint
 * chunks), ":count" (hash). */
enum cqe_rkey_meta { CQE_RKEY_POS, CQE_RKEY_DEDUP, CQE_RKEY_COUNT };

/* "<ns>:{p<partition>}:", the start of every key of a partition (one Cluster slot). */
struct cqe_rkey_prefix {
    char s[CQE_RKEY_NS_MAX + 24];
    size_t len;
};

/* Checks a namespace: non-empty, at most CQE_RKEY_NS_MAX bytes, without '{' or '}'.
 * Returns 0 or CQE_EINVAL. */
int cqe_rkey_check_ns(const char *ns, struct cqe_err *err);

/* Fills *p for ns (checked as above) and partition (>= 0). Returns 0 or CQE_EINVAL. */
int cqe_rkey_prefix(struct cqe_rkey_prefix *p, const char *ns, int partition, struct cqe_err *err);

/* The suffix of kind k ("sum", "max", ...; "i64" and "runs" start a vector's suffix),
 * and the kind a cell op is kept in (the high part of a sum is CQE_RKEY_SUMHI, a vector
 * kept as runs CQE_RKEY_RUNS: both chosen by the writer). */
const char *cqe_rkey_suffix(enum cqe_rkey_kind k);
enum cqe_rkey_kind cqe_rkey_kind_of(enum cqe_cell_op op);

/* Appends one argument to a: the state key of store key (key, n) kept as kind k. */
void cqe_rkey_state(struct cqe_rargs *a, const struct cqe_rkey_prefix *p, const char *key, size_t n,
                    enum cqe_rkey_kind k);

/* Appends one argument: the state key of the len-long vector cell (key, field f) kept as
 * k (CQE_RKEY_I64 or CQE_RKEY_RUNS): "<prefix><key>:<suffix>|<len>|<f>". f must hold no
 * ':' (the suffix starts after the key's last ':'). For runs, key is the month key
 * (cqe_rkey_split_day). */
void cqe_rkey_vec_state(struct cqe_rargs *a, const struct cqe_rkey_prefix *p, const char *key, size_t n,
                        enum cqe_rkey_kind k, uint32_t len, const char *f, size_t fn);

/* Appends one argument: the meta key m of the partition of p. */
void cqe_rkey_meta(struct cqe_rargs *a, const struct cqe_rkey_prefix *p, enum cqe_rkey_meta m);

/* Appends one argument: "<ns>:partitions", the namespace's partition count. */
void cqe_rkey_partitions(struct cqe_rargs *a, const char *ns);

/* Appends one argument: "<ns>:format", the namespace's format marker. */
void cqe_rkey_format(struct cqe_rargs *a, const char *ns);
/* Appends one argument: "<ns>:retention", the retention marker (a hash: "before", the
 * first instant still held; "through", the last period archived; one field per period
 * archived). */
void cqe_rkey_retention(struct cqe_rargs *a, const char *ns);

/* Appends one argument: the SCAN pattern of every partition's keys, "<ns>:{p*}:*" with
 * glob characters of ns escaped. ns must have passed cqe_rkey_check_ns. */
void cqe_rkey_scan_pattern(struct cqe_rargs *a, const char *ns);

/* A Redis key taken apart (pointers into the parsed bytes). */
struct cqe_rkey_parsed {
    int partition;    /* INT32_MAX when the digits say more */
    const char *skey; /* the store key */
    size_t skey_len;
    const char *sfx; /* the suffix */
    size_t sfx_len;
    int kind; /* enum cqe_rkey_kind, or -1 for an unknown suffix */
};

/* Parses the n bytes at k as a key of namespace ns. Returns 1 for a state key (*out
 * filled; kind -1 when its suffix is unknown), 0 for anything else: a meta key or a key
 * of another shape. */
int cqe_rkey_parse(const char *ns, const char *k, size_t n, struct cqe_rkey_parsed *out);

/* Parses the suffix of a vector state key (pk->kind CQE_RKEY_I64 or CQE_RKEY_RUNS).
 * Returns 0 (*f points into the key), or -1 when malformed (1 <= len <= UINT32_MAX). */
int cqe_rkey_vec_suffix_parse(const struct cqe_rkey_parsed *pk, uint32_t *len, const char **f, size_t *fn);

/* Splits a store key whose last component is a date "YYYY-MM-DD" (after a '|') into
 * its month key, the first *month_len bytes (up to "YYYY-MM"), and its day, the last two
 * bytes (the hash field of a vector kept as runs). Returns 0, or -1 for another shape. */
int cqe_rkey_split_day(const char *key, size_t n, size_t *month_len);

/* Appends one argument: "#<idx>", entry idx of a dense vector as a BITFIELD offset. */
void cqe_rkey_i64_offset(struct cqe_rargs *a, uint32_t idx);

/* Decodes a dense vector's string (big-endian int64 entries, as BITFIELD i64 #idx writes
 * them; entries past its end are 0) into out[0..len). Returns 0, or -1 when n is not a
 * multiple of 8 or holds more than len entries. */
int cqe_rkey_i64_parse(const unsigned char *s, size_t n, int64_t *out, uint32_t len);

/* The largest magnitude of a run entry: the flush script adds runs in Lua's doubles,
 * exact up to 2^53. */
#define CQE_RKEY_RUN_MAX ((int64_t)1 << 53)

/* Appends one argument: v[0..len) as runs of equal tuples of w entries (len a multiple of
 * w, every |v[i]| <= CQE_RKEY_RUN_MAX): "<count>*<e1>,...,<ew>" in decimal, runs joined
 * by ';', from index 0, covering the vector (docs/state.md, "Vectors"). */
void cqe_rkey_runs(struct cqe_rargs *a, const int64_t *v, uint32_t len, uint32_t w);

/* Parses a run form of a len-long vector into out[0..len). Returns 0, or -1 when malformed:
 * a count below 1, runs of different widths, runs not covering exactly len entries, an
 * entry beyond CQE_RKEY_RUN_MAX. */
int cqe_rkey_runs_parse(const char *s, size_t n, int64_t *out, uint32_t len);

/* Appends one argument: a register record "<ts>|<id length>:<id><val>", the value the
 * flush script (flush_partition.lua) compares by (ts, id). */
void cqe_rkey_reg_value(struct cqe_rargs *a, int64_t ts, const char *id, size_t idn, const char *val,
                        size_t valn);

/* Parses a register record. Returns 0 (*id, *val point into v) or -1 when malformed. */
int cqe_rkey_reg_value_parse(const char *v, size_t n, int64_t *ts, const char **id, size_t *idn,
                             const char **val, size_t *valn);

/* The hash fields of a partition's count key, in the order of struct cqe_redis_counts:
 * "read", "applied", "duplicates", "dead_letters". */
#define CQE_RKEY_COUNTS 4
const char *cqe_rkey_count_field(int i);
int64_t cqe_rkey_count_get(const struct cqe_redis_counts *c, int i);

/* Two more fields of the count key: ids forgotten past the window (written with the
 * counts), and the fingerprints the dedup list holds (kept by the flush script). */
#define CQE_RKEY_COUNT_FORGOTTEN "dedup_forgotten"
#define CQE_RKEY_COUNT_DEDUP_IDS "dedup_ids"

/* And one field per dead-letter reason, named as the reason (cqe_reason_name:
 * "json_syntax", …, "incident_pending_limit"), written with the counts when non-zero
 * (cqe_redis_counts.by_reason). */

/* Adds v to the counter named by the fn bytes at f; an unknown field is ignored. */
void cqe_rkey_count_add(struct cqe_redis_counts *c, const char *f, size_t fn, int64_t v);

#endif
