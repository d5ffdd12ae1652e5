/* Internal interface of `cloudqe gen` (tools/gen/gen_*.c): the synthetic province, its
 * seeded random source, the pending-event heap, the planner of sparse events and the
 * NDJSON formatter. Nothing outside the generator includes this header. */
#ifndef CQE_GEN_H
#define CQE_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"

#define CQE_GEN_OFFSET_MIN 480 /* every local time of the province is +08:00 */
#define CQE_GEN_MS_MIN INT64_C(60000)
#define CQE_GEN_MS_HOUR INT64_C(3600000)
#define CQE_GEN_MS_DAY INT64_C(86400000)
#define CQE_GEN_LINE_MAX 4096 /* no formatted line is longer (malformed ones included) */

/* ---- options ---------------------------------------------------------------- */

struct cqe_gen_opts {
    int64_t seed;
    int64_t days;
    int64_t start_day; /* local day (days since 1970-01-01) of --start */
    int64_t providers, depts, services, vms, hosts;
    int64_t metric_interval_s, probe_interval_s;
    double probe_share;
    double late_share, dup_share, bad_share;
    const char *out;
    const char *config_out; /* NULL: none */
};

/* ---- random source (xoshiro256**, seeded by splitmix64) --------------------- */

struct cqe_gen_rng {
    uint64_t s[4];
};

/* Seeds r from (seed, stream): different streams give independent sequences. */
void cqe_gen_rng_seed(struct cqe_gen_rng *r, uint64_t seed, uint64_t stream);
uint64_t cqe_gen_u64(struct cqe_gen_rng *r);
/* Uniform in [0, 1). */
double cqe_gen_unif(struct cqe_gen_rng *r);
/* Uniform integer in [lo, hi] (hi >= lo). */
int64_t cqe_gen_range(struct cqe_gen_rng *r, int64_t lo, int64_t hi);
/* 1 with probability p. */
int cqe_gen_chance(struct cqe_gen_rng *r, double p);
/* Standard normal (Box-Muller). */
double cqe_gen_normal(struct cqe_gen_rng *r);
/* Cheap approximately normal noise, mean 0, sd 1, bounded by +-3.5 (Irwin-Hall of 4). */
double cqe_gen_noise(struct cqe_gen_rng *r);
/* Lognormal with the given median and log-sd. */
double cqe_gen_lognormal(struct cqe_gen_rng *r, double median, double sigma);
/* Pareto with scale xm and shape alpha (heavy tail for alpha < 2). */
double cqe_gen_pareto(struct cqe_gen_rng *r, double xm, double alpha);
/* Poisson count with mean lambda (lambda < 500). */
int64_t cqe_gen_poisson(struct cqe_gen_rng *r, double lambda);
/* Index in [0, n) drawn with the given (unnormalised, non-negative) weights. */
int cqe_gen_pick(struct cqe_gen_rng *r, const double *weights, int n);

/* ---- the province ----------------------------------------------------------- */

enum { CQE_GEN_POOL_GENERAL, CQE_GEN_POOL_DB, CQE_GEN_POOL_BIGDATA, CQE_GEN_POOL_XC, CQE_GEN_POOLS };

struct cqe_gen_provider {
    char id[24];
    double quality;     /* incident-rate multiplier (< 1 better) */
    double domestic[4]; /* domestic share of new assets, by enum cqe_asset_class */
    double traced;      /* share of audit events carrying a ticket_ref */
    char pools[CQE_GEN_POOLS][48];
    int32_t first_svc_ix, n_svc; /* its services in world.prov_svcs */
};

struct cqe_gen_dept {
    char name[64];            /* Chinese name, e.g. 市公安局 */
    char code[24];            /* ASCII code used in service ids */
    double survey_mean;       /* mean answer level */
    int survey_mday;          /* day of month of its survey */
    int32_t first_svc, n_svc; /* services [first_svc, first_svc + n_svc) */
};

/* A span during which probes of a service fail with probability fail_p. */
struct cqe_gen_down {
    int64_t from, to;
    float fail_p, lat_mult;
};

struct cqe_gen_service {
    char id[64];
    int32_t prov, dept;
    double target;
    uint8_t cal_5x8, weight, zone, in_catalog;
    uint8_t probed, n_sites, sites[3];
    uint8_t backups_per_day; /* 0: not backed up */
    int32_t backup_hour_min; /* minute of day of the first backup */
    int32_t latency_ms;      /* probe baseline */
    int32_t rpo_target_s;
    double inc_rate;           /* incidents per day */
    double backup_fail;        /* failure probability of a backup */
    struct cqe_gen_down *down; /* known unavailability, owned */
    size_t n_down, cap_down;
};

enum { CQE_GEN_F_CPU = 1, CQE_GEN_F_MEM = 2, CQE_GEN_F_DISK = 4, CQE_GEN_F_NET = 8 };

struct cqe_gen_resource {
    char id[48];
    int32_t prov, dept, svc; /* dept and svc -1 for hosts */
    uint8_t host, idle, fields, pool;
    int32_t phase_ms; /* sample instant within the interval */
    float cpu_base, cpu_amp, mem_base, mem_amp, disk_base, disk_per_day, net_base, net_amp;
    int64_t from, to; /* reports samples with ts in [from, to) */
};

/* One probe series: a service seen from one site. */
struct cqe_gen_probe {
    int32_t svc;
    uint8_t site;
    int32_t phase_ms;
};

/* A CMDB asset (for later removals). */
struct cqe_gen_asset {
    int64_t added; /* ts of its add event */
    uint32_t no;
    int32_t prov;
    uint8_t cls, domestic, vendor, arch, active;
};

struct cqe_gen_world {
    struct cqe_gen_opts opts;
    int64_t start_ms, end_ms; /* [start, end) of the generated span */
    struct cqe_gen_provider *provs;
    size_t n_provs;
    struct cqe_gen_dept *depts;
    size_t n_depts;
    struct cqe_gen_service *svcs;
    size_t n_svcs;
    int32_t *prov_svcs; /* services grouped by provider */
    struct cqe_gen_resource *res;
    size_t n_res;
    int32_t *res_order;           /* resources by phase */
    struct cqe_gen_probe *probes; /* by phase */
    size_t n_probes;
    struct cqe_gen_asset *assets;
    size_t n_assets, cap_assets;
    float diurnal[2][1440];         /* [weekend][minute of day] load shape in [0, 1] */
    int64_t first_drill_day[64][2]; /* per provider and drill kind: day index of a sure plan */
    /* entity counters: the next number of each kind */
    uint32_t next_incident, next_window, next_ticket, next_job, next_drill, next_vuln, next_migration,
        next_op, next_response, next_asset, next_change;
};

/* Builds the province from opts (copied) and r. Returns 0 or CQE_ENOMEM. */
int cqe_gen_world_build(struct cqe_gen_world *w, const struct cqe_gen_opts *opts, struct cqe_gen_rng *r,
                        struct cqe_err *err);
/* Frees what the world owns; safe on a zeroed world. */
void cqe_gen_world_free(struct cqe_gen_world *w);
/* Records that probes of service s fail with probability fail_p in [from, to). */
int cqe_gen_world_add_down(struct cqe_gen_world *w, int32_t s, int64_t from, int64_t to, double fail_p,
                           double lat_mult, struct cqe_err *err);
/* Appends an asset; *out_ix is its index. */
int cqe_gen_world_add_asset(struct cqe_gen_world *w, const struct cqe_gen_asset *a, size_t *out_ix,
                            struct cqe_err *err);

/* Name tables shared by the planner and the formatter. */
extern const char *const cqe_gen_sites[];
extern const size_t cqe_gen_n_sites;
extern const char *const cqe_gen_zones[];
extern const char *const cqe_gen_actors[];
extern const size_t cqe_gen_n_actors;
extern const char *const cqe_gen_categories[];
extern const size_t cqe_gen_n_categories;
extern const char *const cqe_gen_vendors[4][2][6]; /* [class][domestic][k], NULL-terminated */
extern const char *const cqe_gen_archs[];
extern const size_t cqe_gen_n_archs;
extern const char *const cqe_gen_dims[5];
extern const char *const cqe_gen_extra_dims[];
extern const size_t cqe_gen_n_extra_dims;

/* Writes the configuration JSON (config.md) describing the world's catalog. */
int cqe_gen_write_config(const struct cqe_gen_world *w, const char *path, struct cqe_err *err);

/* ---- events ----------------------------------------------------------------- */

enum { CQE_GEN_TS_LOCAL, CQE_GEN_TS_LOCAL_MS, CQE_GEN_TS_UTC, CQE_GEN_TS_EPOCH };
enum {
    CQE_GEN_EV_DEFERRED = 1, /* late decision taken; key may exceed ts */
    CQE_GEN_EV_LATE = 2,     /* written later than its ts on purpose */
    CQE_GEN_EV_RAW = 4       /* a duplicate: write raw verbatim */
};

/* incident field presence */
enum {
    CQE_GEN_I_SERVICE = 1,
    CQE_GEN_I_SEVERITY = 2,
    CQE_GEN_I_IMPACT = 4,
    CQE_GEN_I_SCOPE = 8,
    CQE_GEN_I_CAUSE = 16,
    CQE_GEN_I_CATEGORY = 32,
    CQE_GEN_I_DATA_LOSS = 64
};

/* One event to write, generated ahead or on the fly. */
struct cqe_gen_ev {
    int64_t key;  /* instant at which it is written (= ts unless late or a duplicate) */
    uint64_t seq; /* push order, breaks ties on key */
    int64_t ts;
    uint8_t type, action, tsfmt, flags; /* enum cqe_type, enum cqe_action */
    uint16_t sub;                       /* n-th occurrence of this action (id suffix) */
    int32_t prov, dept, svc, res;       /* world indexes, -1 = absent */
    uint32_t no;                        /* entity number, or sample slot */
    union {
        struct {
            float cpu, mem, disk, net;
        } metric;
        struct {
            uint8_t site, ok;
            int32_t latency_ms; /* < 0: absent */
        } probe;
        struct {
            uint8_t has, severity, impact, cause, category, data_loss;
            float scope;
        } inc;
        struct {
            int64_t start, end;
        } maint;
        struct {
            int64_t due;
            uint8_t complaint; /* 0 absent, 1 true, 2 false */
            uint8_t satisfied;
        } ticket;
        struct {
            uint8_t ok;
            int32_t rpo_target_s; /* 0: absent */
        } backup;
        struct {
            uint8_t kind, ok, has_rto, has_rpo;
            int32_t rto_s, rto_target_s, rpo_s, rpo_target_s;
        } drill;
        struct {
            uint8_t level;
        } vuln;
        struct {
            int64_t planned_end;
            uint8_t ok, verified; /* verified: 0 false, 1 true, 2 absent */
        } mig;
        struct {
            uint16_t actor;
            uint8_t target_kind; /* 0 absent, 1 resource, 2 service, 3 empty */
            uint8_t ref_kind;    /* 0 absent, 1 change, 2 ticket, 3 empty */
            int32_t target;
            uint32_t ref;
        } audit;
        struct {
            uint8_t levels[5]; /* 0: dimension not answered */
            uint8_t extra_dim; /* 0 none, else 1 + index in cqe_gen_extra_dims */
            uint8_t extra_level;
        } survey;
        struct {
            uint8_t cls, domestic, vendor, arch; /* vendor/arch 255: absent */
        } asset;
    } u;
    char *raw; /* CQE_GEN_EV_RAW: owned copy of a written line */
    size_t raw_n;
};

/* Writes ev as one NDJSON line (with '\n') into buf (>= CQE_GEN_LINE_MAX bytes);
 * returns its length. */
size_t cqe_gen_format(const struct cqe_gen_world *w, const struct cqe_gen_ev *ev, char *buf);

/* Malformed-line kinds, named after the dead-letter reason they should produce. */
enum {
    CQE_GEN_BAD_JSON_SYNTAX,
    CQE_GEN_BAD_MISSING_FIELD,
    CQE_GEN_BAD_TYPE,
    CQE_GEN_BAD_VALUE,
    CQE_GEN_BAD_UNKNOWN_TYPE,
    CQE_GEN_BAD_VERSION,
    CQE_GEN_BAD_UTF8,
    CQE_GEN_BAD__COUNT
};
extern const char *const cqe_gen_bad_names[CQE_GEN_BAD__COUNT];

/* Turns the valid line (n bytes with '\n', of event type `type`) into a line the
 * contract rejects; writes it into out (>= CQE_GEN_LINE_MAX bytes), returns its length
 * and sets *kind. */
size_t cqe_gen_malform(struct cqe_gen_rng *r, int type, const char *line, size_t n, char *out, int *kind);

/* ---- pending events --------------------------------------------------------- */

/* Min-heap on (key, seq). */
struct cqe_gen_heap {
    struct cqe_gen_ev *v;
    size_t n, cap;
    uint64_t seq;
};

/* Copies ev in, stamping its seq. Returns 0 or CQE_ENOMEM. */
int cqe_gen_heap_push(struct cqe_gen_heap *h, const struct cqe_gen_ev *ev, struct cqe_err *err);
/* Removes the smallest into *out; returns 0, or -1 when empty. */
int cqe_gen_heap_pop(struct cqe_gen_heap *h, struct cqe_gen_ev *out);
/* Smallest key, INT64_MAX when empty. */
int64_t cqe_gen_heap_top_key(const struct cqe_gen_heap *h);
/* Frees the heap and the raw copies it still owns. */
void cqe_gen_heap_free(struct cqe_gen_heap *h);

/* ---- planning and running --------------------------------------------------- */

/* Plans every sparse entity (incidents, maintenance, tickets, backups, surveys, drills,
 * vulnerabilities, migrations, audits, assets) starting on day index `day` of the span
 * and pushes all of their events (ts < end) into h; registers outages with the world so
 * that probes fail during them. */
int cqe_gen_plan_day(struct cqe_gen_world *w, struct cqe_gen_rng *r, struct cqe_gen_heap *h, int64_t day,
                     struct cqe_err *err);

struct cqe_gen_stats {
    uint64_t by_type[CQE_T__COUNT]; /* valid lines written, duplicates excluded */
    uint64_t lines, bytes, late, duplicates, malformed;
    uint64_t bad_by_kind[CQE_GEN_BAD__COUNT];
};

/* Generates the whole span into the writer (a struct cqe_file_writer *). progress
 * (NULL: none), started with end_ms - start_ms as its total, shows the lines written and
 * the event time reached. */
struct cqe_file_writer;
struct cqe_progress_line;
int cqe_gen_run(struct cqe_gen_world *w, uint64_t seed, struct cqe_file_writer *fw, struct cqe_gen_stats *st,
                struct cqe_progress_line *progress, struct cqe_err *err);

#endif
