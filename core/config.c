/* Loading and validating the configuration file (docs/spec/config.md for the
 * evaluation keys, docs/config.md for cloudqe's own): defaults, every key's type and
 * range with the JSON path of the offender, the service index and the 5x8 calendar. */
#include "config.h"
#include "redis_url.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "timeutil.h"

#define MAX_SAFE_INT 9007199254740992.0 /* 2^53: the largest integer a double holds exactly */
#define MAX_SECONDS 3153600000.0        /* 100 years of 365 days: timestamps span 2000-2101 */
#define MAX_REDIS_DB 999999999.0
#define IDENT_MAX 128                   /* code points, as events.md counts identifiers */
#define TOPIC_MAX 249                   /* Kafka's limit on a topic name */
#define MAX_FILE_BYTES (64u << 20)
#define PATH_KEY_MAX 48                 /* code points of a key shown in a JSON path */

/* ---- defaults ---------------------------------------------------------------- */

/* The default survey dimensions are static; cqe_config_fini frees dims only when
 * they are not this array (a loaded survey_dimensions replaces it). */
static struct cqe_survey_dim default_dims[] = {
    {"服务态度", 1}, {"响应及时性", 1}, {"问题解决", 1}, {"服务能力", 1}, {"信息安全", 1},
};

static const char *const default_input_topics[] = {"cloudqe.events"};

void cqe_config_defaults(struct cqe_config *cfg)
{
    static const int64_t ack[5] = {0, 900, 1800, 7200, 28800};
    static const int64_t fix[5] = {0, 14400, 28800, 86400, 259200};
    static const double levels[5] = {0, 30, 60, 80, 100};

    memset(cfg, 0, sizeof *cfg);
    cfg->utc_offset_min = 480;
    cfg->maintenance_notice_s = 86400;
    cfg->degraded_weight = 0.5;
    memcpy(cfg->ack_s, ack, sizeof ack);
    memcpy(cfg->fix_s, fix, sizeof fix);
    cfg->rpo_target_s = 86400;
    cfg->drill_required[CQE_DRILL_DR] = 1;
    cfg->drill_required[CQE_DRILL_EMERGENCY] = 2;
    cfg->vuln_deadline_s[CQE_VULN_CRITICAL] = 604800;
    cfg->vuln_deadline_s[CQE_VULN_HIGH] = 1296000;
    cfg->vuln_deadline_s[CQE_VULN_MEDIUM] = 2592000;
    cfg->vuln_deadline_s[CQE_VULN_LOW] = 7776000;
    cfg->dims = default_dims;
    cfg->n_dims = sizeof default_dims / sizeof default_dims[0];
    memcpy(cfg->level_scores, levels, sizeof levels);
    cfg->idle_cpu_below = 0.10;
    cfg->idle_cpu_share = 0.95;
    cfg->idle_mem_below = 0.20;
    cfg->max_message_bytes = 1048576;
    cfg->dedup_window = 1000000;
    cfg->clock = CQE_CLOCK_UNSET;
    cfg->redis.db = -1;
    cfg->snapshot_interval_s = 60;
    cfg->resolve_after_s = 300;
    cfg->no_data_after_s = 600;
    cfg->max_pending_events = 1000000;
    cfg->dead_letter_raw_max = 65536;
}

void cqe_config_fini(struct cqe_config *cfg)
{
    for (size_t i = 0; i < cfg->n_services; i++) {
        free(cfg->services[i].id);
        free(cfg->services[i].provider);
        free(cfg->services[i].dept);
    }
    free(cfg->services);
    free(cfg->svc_by_id);
    free(cfg->holidays);
    free(cfg->workdays);
    if (cfg->dims && cfg->dims != default_dims) {
        for (size_t i = 0; i < cfg->n_dims; i++)
            free(cfg->dims[i].name);
        free(cfg->dims);
    }
    free(cfg->redis.url);
    free(cfg->redis.user);
    free(cfg->redis.password_file);
    free(cfg->redis.password_env);
    json_decref((json_t *)cfg->kafka);
    json_decref((json_t *)cfg->topics);
    free(cfg->output_dir);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- the loader: JSON path and error text -------------------------------------- */

struct loader {
    const char *origin;
    struct cqe_err *err;
    char path[256]; /* "$.services[2].target" */
    size_t plen;
};

static void path_putc(struct loader *L, char c)
{
    if (L->plen + 1 < sizeof L->path) {
        L->path[L->plen++] = c;
        L->path[L->plen] = '\0';
    }
}

static void path_puts(struct loader *L, const char *s)
{
    while (*s)
        path_putc(L, *s++);
}

static bool simple_key(const char *k)
{
    if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_'))
        return false;
    for (k++; *k; k++)
        if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
              *k == '_'))
            return false;
    return true;
}

/* Appends .key, or ["key"] when the key is not a plain name (cut after PATH_KEY_MAX
 * code points); returns the mark to pop back to. */
static size_t path_push_key(struct loader *L, const char *key)
{
    size_t mark = L->plen;
    if (simple_key(key) && strlen(key) <= PATH_KEY_MAX) {
        path_putc(L, '.');
        path_puts(L, key);
        return mark;
    }
    path_puts(L, "[\"");
    size_t cps = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if ((*p & 0xC0) != 0x80 && ++cps > PATH_KEY_MAX) {
            path_puts(L, "…"); /* a long key is shown by its start */
            break;
        }
        if (*p == '"' || *p == '\\') {
            path_putc(L, '\\');
            path_putc(L, (char)*p);
        } else if (*p < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            path_puts(L, esc);
        } else {
            path_putc(L, (char)*p);
        }
    }
    path_puts(L, "\"]");
    return mark;
}

static size_t path_push_index(struct loader *L, size_t i)
{
    size_t mark = L->plen;
    char buf[32];
    snprintf(buf, sizeof buf, "[%zu]", i);
    path_puts(L, buf);
    return mark;
}

static void path_pop(struct loader *L, size_t mark)
{
    L->plen = mark;
    L->path[mark] = '\0';
}

static int fail(struct loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Every refusal: "ORIGIN: $.path: rule". */
static int fail(struct loader *L, const char *fmt, ...)
{
    char rule[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rule, sizeof rule, fmt, ap);
    va_end(ap);
    return cqe_err_set(L->err, CQE_ECONFIG, "%s: %s: %s", L->origin, L->path, rule);
}

static int oom(struct loader *L)
{
    return cqe_err_set(L->err, CQE_ENOMEM, "%s: %s: out of memory", L->origin, L->path);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Jansson guarantees valid UTF-8: code points are the bytes that do not continue one. */
static size_t code_points(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* ---- typed values --------------------------------------------------------------- */

struct range {
    bool integer;  /* JSON Schema's integer: 1.0 counts, true does not */
    bool min_excl; /* (min, ...] instead of [min, ...] */
    double min, max; /* max >= MAX_SAFE_INT reads "no upper bound" in messages */
};

static void describe(const struct range *r, char *buf, size_t n)
{
    const char *kind = r->integer ? "an integer" : "a number";
    if (r->max >= MAX_SAFE_INT)
        snprintf(buf, n, "%s %s %.15g", kind, r->min_excl ? ">" : ">=", r->min);
    else
        snprintf(buf, n, "%s in %c%.15g, %.15g]", kind, r->min_excl ? '(' : '[', r->min, r->max);
}

static int get_number(struct loader *L, const json_t *v, const struct range *r, double *out)
{
    char want[96];
    describe(r, want, sizeof want);
    if (!json_is_number(v))
        return fail(L, "must be %s; got %s", want, type_name(v));
    double x = json_number_value(v);
    if (r->integer && json_is_integer(v)) { /* beyond 2^53 a double is inexact: judge the integer */
        json_int_t i = json_integer_value(v);
        if (i > (json_int_t)MAX_SAFE_INT || i < -(json_int_t)MAX_SAFE_INT)
            return fail(L, "must be %s%s; got %lld", want, r->max >= MAX_SAFE_INT ? " (at most 2^53)" : "",
                        (long long)i);
    } else if (r->integer && x != floor(x)) {
        return fail(L, "must be %s; got %.15g", want, x);
    }
    bool low = r->min_excl ? !(x > r->min) : !(x >= r->min);
    if (low || x > r->max)
        return fail(L, "must be %s%s; got %.15g", want,
                    r->max >= MAX_SAFE_INT && !low ? " (at most 2^53)" : "", x);
    *out = x;
    return 0;
}

static int get_int(struct loader *L, const json_t *v, const struct range *r, int64_t *out)
{
    double x;
    int rc = get_number(L, v, r, &x);
    if (!rc)
        *out = (int64_t)x;
    return rc;
}

/* A string of 1-128 code points (events.md "identifier"). */
static int get_ident(struct loader *L, const json_t *v, const char **out)
{
    if (!json_is_string(v))
        return fail(L, "must be a string of 1 to %d characters; got %s", IDENT_MAX, type_name(v));
    size_t n = code_points(json_string_value(v));
    if (n < 1 || n > IDENT_MAX)
        return fail(L, "must be a string of 1 to %d characters; got %zu", IDENT_MAX, n);
    *out = json_string_value(v);
    return 0;
}

static int get_nonempty(struct loader *L, const json_t *v, const char **out)
{
    if (!json_is_string(v) || !json_string_length(v))
        return fail(L, "must be a non-empty string; got %s",
                    json_is_string(v) ? "an empty string" : type_name(v));
    *out = json_string_value(v);
    return 0;
}

/* Replaces *slot with a copy of s. */
static int set_str(struct loader *L, char **slot, const char *s)
{
    char *d = dup_str(s);
    if (!d)
        return oom(L);
    free(*slot);
    *slot = d;
    return 0;
}

/* ---- objects as tables of keys ---------------------------------------------------- */

struct key_spec;
typedef int (*load_fn)(struct loader *L, json_t *v, void *base, const struct key_spec *ks);

struct key_spec {
    const char *name;
    load_fn load;
    size_t off;        /* where in base the value goes (generic loaders) */
    struct range range;
    bool required;
    bool hidden;       /* refused with its own message; not listed as a known key */
};

#define INT_RANGE(lo, hi) {true, false, (lo), (hi)}
#define NUM_RANGE(lo, hi) {false, false, (lo), (hi)}
#define POS_RANGE(hi) {false, true, 0, (hi)}

static int load_i64(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    return get_int(L, v, &ks->range, (int64_t *)((char *)base + ks->off));
}

static int load_double(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    return get_number(L, v, &ks->range, (double *)((char *)base + ks->off));
}

static int load_ident(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    const char *s = NULL;
    int rc = get_ident(L, v, &s);
    return rc ? rc : set_str(L, (char **)((char *)base + ks->off), s);
}

static int load_nonempty(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    const char *s = NULL;
    int rc = get_nonempty(L, v, &s);
    return rc ? rc : set_str(L, (char **)((char *)base + ks->off), s);
}

/* Edit distance (insert, delete, substitute, swap neighbours) capped at small keys. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 40 || nb > 40)
        return 99;
    size_t d[41][41];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[na][nb];
}

static int unknown_key(struct loader *L, const char *key, const struct key_spec *ks, size_t n)
{
    char known[400] = "";
    size_t used = 0;
    const char *guess = NULL;
    size_t guess_d = 3; /* suggest only within two edits */
    for (size_t i = 0; i < n; i++) {
        if (ks[i].hidden)
            continue;
        int w = snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", ks[i].name);
        if (w > 0 && (size_t)w < sizeof known - used)
            used += (size_t)w;
        size_t d = edit_distance(key, ks[i].name);
        if (d < guess_d && 2 * d < strlen(ks[i].name)) { /* "0" is not a typo of "1" */
            guess_d = d;
            guess = ks[i].name;
        }
    }
    if (guess)
        return fail(L, "unknown key; did you mean \"%s\"? known keys are %s", guess, known);
    return fail(L, "unknown key; known keys are %s", known);
}

/* Loads every member of obj through the table; absent keys keep what base holds. */
static int load_object(struct loader *L, json_t *obj, const struct key_spec *ks, size_t n, void *base)
{
    if (!json_is_object(obj))
        return fail(L, "must be an object; got %s", type_name(obj));
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const struct key_spec *k = NULL;
        for (size_t i = 0; i < n && !k; i++)
            if (!strcmp(ks[i].name, key))
                k = &ks[i];
        size_t mark = path_push_key(L, key);
        int rc = k ? k->load(L, v, base, k) : unknown_key(L, key, ks, n);
        path_pop(L, mark);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < n; i++)
        if (ks[i].required && !json_object_get(obj, ks[i].name))
            return fail(L, "missing required key \"%s\"", ks[i].name);
    return 0;
}

#define LOAD_TABLE(L, v, table, base)                                                                        \
    load_object((L), (v), (table), sizeof(table) / sizeof((table)[0]), (base))

/* ---- evaluation keys -------------------------------------------------------------- */

static int load_offset(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    int minutes;
    if (!json_is_string(v) || cqe_offset_parse(json_string_value(v), json_string_length(v), &minutes))
        return fail(L, "must be a fixed UTC offset \"+hh:mm\" or \"-hh:mm\" (hh 00-23, mm 00-59) or \"Z\"");
    *(int *)((char *)base + ks->off) = minutes;
    return 0;
}

static int load_calendar(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    const char *s = json_string_value(v);
    enum cqe_calendar *c = (enum cqe_calendar *)((char *)base + ks->off);
    if (s && !strcmp(s, "7x24"))
        *c = CQE_CAL_7X24;
    else if (s && !strcmp(s, "5x8"))
        *c = CQE_CAL_5X8;
    else
        return fail(L, "must be \"7x24\" or \"5x8\"");
    return 0;
}

static int load_clock(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    const char *s = json_string_value(v);
    enum cqe_clock *c = (enum cqe_clock *)((char *)base + ks->off);
    if (s && !strcmp(s, "wall"))
        *c = CQE_CLOCK_WALL;
    else if (s && !strcmp(s, "event"))
        *c = CQE_CLOCK_EVENT;
    else
        return fail(L, "must be \"wall\" or \"event\"");
    return 0;
}

static const struct key_spec service_keys[] = {
    {"id", load_ident, offsetof(struct cqe_service_conf, id), {0}, true, false},
    {"provider", load_ident, offsetof(struct cqe_service_conf, provider), {0}, true, false},
    {"dept", load_ident, offsetof(struct cqe_service_conf, dept), {0}, false, false},
    {"target", load_double, offsetof(struct cqe_service_conf, target), POS_RANGE(1), false, false},
    {"calendar", load_calendar, offsetof(struct cqe_service_conf, calendar), {0}, false, false},
    {"weight", load_double, offsetof(struct cqe_service_conf, weight), POS_RANGE(HUGE_VAL), false, false},
};

static int cmp_service_ptr(const void *a, const void *b)
{
    const struct cqe_service_conf *x = *(const struct cqe_service_conf *const *)a;
    const struct cqe_service_conf *y = *(const struct cqe_service_conf *const *)b;
    return strcmp(x->id, y->id); /* byte order: strcmp compares as unsigned char */
}

static int load_services(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    struct cqe_config *cfg = base;
    json_t *seen = NULL;
    int rc = 0;
    (void)ks;
    if (!json_is_array(v)) {
        rc = fail(L, "must be an array of services; got %s", type_name(v));
        goto out;
    }
    size_t n = json_array_size(v);
    if (!n)
        goto out;
    cfg->services = calloc(n, sizeof *cfg->services);
    cfg->svc_by_id = calloc(n, sizeof *cfg->svc_by_id);
    seen = json_object();
    if (!cfg->services || !cfg->svc_by_id || !seen) {
        rc = oom(L);
        goto out;
    }
    cfg->n_services = n;
    for (size_t i = 0; i < n; i++) {
        struct cqe_service_conf *s = &cfg->services[i];
        s->target = 0.999;
        s->calendar = CQE_CAL_7X24;
        s->weight = 1;
        size_t mark = path_push_index(L, i);
        rc = LOAD_TABLE(L, json_array_get(v, i), service_keys, s);
        if (!rc) {
            json_t *first = json_object_get(seen, s->id);
            if (first) {
                path_puts(L, ".id");
                rc = fail(L, "duplicate service id \"%s\" (first at $.services[%lld]); ids must be unique",
                          s->id, (long long)json_integer_value(first));
            } else if (json_object_set_new(seen, s->id, json_integer((json_int_t)i))) {
                rc = oom(L);
            }
        }
        path_pop(L, mark);
        if (rc)
            goto out;
        cfg->svc_by_id[i] = s;
    }
    qsort(cfg->svc_by_id, n, sizeof *cfg->svc_by_id, cmp_service_ptr);
out:
    json_decref(seen);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* An array of "YYYY-MM-DD" real dates into a sorted array of days without repeats. */
static int load_dates(struct loader *L, json_t *v, int64_t **out, size_t *n_out)
{
    if (!json_is_array(v))
        return fail(L, "must be an array of dates \"YYYY-MM-DD\"; got %s", type_name(v));
    size_t n = json_array_size(v);
    free(*out);
    *out = NULL;
    *n_out = 0;
    if (!n)
        return 0;
    int64_t *days = calloc(n, sizeof *days);
    if (!days)
        return oom(L);
    *out = days;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || cqe_date_parse(json_string_value(e), json_string_length(e), &days[i])) {
            size_t mark = path_push_index(L, i);
            int rc = fail(L, "must be a real calendar date \"YYYY-MM-DD\"%s%s%s",
                          json_is_string(e) ? "; got \"" : "", json_is_string(e) ? json_string_value(e) : "",
                          json_is_string(e) ? "\"" : "");
            path_pop(L, mark);
            return rc;
        }
    }
    qsort(days, n, sizeof *days, cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || days[i] != days[k - 1])
            days[k++] = days[i];
    *n_out = k;
    return 0;
}

static int load_holidays(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    struct cqe_config *cfg = base;
    (void)ks;
    return load_dates(L, v, &cfg->holidays, &cfg->n_holidays);
}

static int load_workdays(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    struct cqe_config *cfg = base;
    (void)ks;
    return load_dates(L, v, &cfg->workdays, &cfg->n_workdays);
}

struct deadline {
    int64_t ack_s, fix_s;
};

static const struct key_spec deadline_keys[] = {
    {"ack_s", load_i64, offsetof(struct deadline, ack_s), INT_RANGE(1, MAX_SECONDS), true, false},
    {"fix_s", load_i64, offsetof(struct deadline, fix_s), INT_RANGE(1, MAX_SECONDS), true, false},
};

/* One severity's {ack_s, fix_s}; ks->off is the severity. */
static int load_deadline(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    struct cqe_config *cfg = base;
    struct deadline d = {0, 0};
    int rc = LOAD_TABLE(L, v, deadline_keys, &d);
    if (!rc) {
        cfg->ack_s[ks->off] = d.ack_s;
        cfg->fix_s[ks->off] = d.fix_s;
    }
    return rc;
}

static const struct key_spec severity_keys[] = {
    {"1", load_deadline, 1, {0}, false, false},
    {"2", load_deadline, 2, {0}, false, false},
    {"3", load_deadline, 3, {0}, false, false},
    {"4", load_deadline, 4, {0}, false, false},
};

static int load_incident_deadlines(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    (void)ks;
    return LOAD_TABLE(L, v, severity_keys, base);
}

static const struct key_spec drill_keys[] = {
    {"dr", load_i64, CQE_DRILL_DR * sizeof(int64_t), INT_RANGE(0, MAX_SAFE_INT), false, false},
    {"emergency", load_i64, CQE_DRILL_EMERGENCY * sizeof(int64_t), INT_RANGE(0, MAX_SAFE_INT), false, false},
};

static int load_drills(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    (void)ks;
    return LOAD_TABLE(L, v, drill_keys, ((struct cqe_config *)base)->drill_required);
}

static const struct key_spec vuln_keys[] = {
    {"critical", load_i64, CQE_VULN_CRITICAL * sizeof(int64_t), INT_RANGE(1, MAX_SECONDS), false, false},
    {"high", load_i64, CQE_VULN_HIGH * sizeof(int64_t), INT_RANGE(1, MAX_SECONDS), false, false},
    {"medium", load_i64, CQE_VULN_MEDIUM * sizeof(int64_t), INT_RANGE(1, MAX_SECONDS), false, false},
    {"low", load_i64, CQE_VULN_LOW * sizeof(int64_t), INT_RANGE(1, MAX_SECONDS), false, false},
};

static int load_vulns(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    (void)ks;
    return LOAD_TABLE(L, v, vuln_keys, ((struct cqe_config *)base)->vuln_deadline_s);
}

/* survey_dimensions replaces the default set: name -> weight > 0. */
static int load_dims(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    static const struct range weight = POS_RANGE(HUGE_VAL);
    struct cqe_config *cfg = base;
    (void)ks;
    if (!json_is_object(v))
        return fail(L, "must be an object of dimension name to weight; got %s", type_name(v));
    size_t n = json_object_size(v);
    if (!n)
        return fail(L, "must name at least one dimension");
    struct cqe_survey_dim *dims = calloc(n, sizeof *dims);
    if (!dims)
        return oom(L);
    if (cfg->dims != default_dims) {
        for (size_t i = 0; i < cfg->n_dims; i++)
            free(cfg->dims[i].name);
        free(cfg->dims);
    }
    cfg->dims = dims;
    cfg->n_dims = n;
    size_t i = 0;
    const char *key;
    json_t *w;
    json_object_foreach(v, key, w) {
        size_t mark = path_push_key(L, key);
        size_t len = code_points(key);
        int rc = 0;
        if (len < 1 || len > IDENT_MAX)
            rc = fail(L, "a dimension name must have 1 to %d characters", IDENT_MAX);
        else if (!(rc = get_number(L, w, &weight, &dims[i].weight)) && !(dims[i].name = dup_str(key)))
            rc = oom(L);
        path_pop(L, mark);
        if (rc)
            return rc;
        i++;
    }
    return 0;
}

static int load_levels(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    static const struct range score = NUM_RANGE(0, 100);
    struct cqe_config *cfg = base;
    (void)ks;
    if (!json_is_array(v) || json_array_size(v) != 5)
        return fail(L, "must be an array of exactly 5 numbers (points of levels 1 to 5); got %s",
                    json_is_array(v) ? "an array of another length" : type_name(v));
    for (size_t i = 0; i < 5; i++) {
        size_t mark = path_push_index(L, i);
        int rc = get_number(L, json_array_get(v, i), &score, &cfg->level_scores[i]);
        path_pop(L, mark);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- cloudqe's own keys ------------------------------------------------------------ */

static int load_redis_url(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    const char *s = json_string_value(v);
    struct cqe_redis_url u;
    struct cqe_err e = {0};
    if (!s)
        return fail(L, "must be a string \"redis://[USER@]HOST[:PORT][/DB]\"; got %s", type_name(v));
    if (cqe_redis_url_parse(s, &u, &e))
        return fail(L, "%s", e.msg);
    return set_str(L, (char **)((char *)base + ks->off), s);
}

static int load_redis_db(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    static const struct range db = INT_RANGE(0, MAX_REDIS_DB);
    int64_t x;
    int rc = get_int(L, v, &db, &x);
    if (!rc)
        *(int *)((char *)base + ks->off) = (int)x;
    return rc;
}

static int load_env_name(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    const char *s = json_string_value(v);
    bool ok = s && simple_key(s);
    if (!ok)
        return fail(L, "must name an environment variable: letters, digits and _, not starting with a digit");
    return set_str(L, (char **)((char *)base + ks->off), s);
}

static int refuse_secret(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    (void)v;
    (void)base;
    (void)ks;
    return fail(L, "refused: secrets come from password_file or password_env, never the config or "
                   "command line");
}

static const struct key_spec redis_keys[] = {
    {"url", load_redis_url, offsetof(struct cqe_redis_conf, url), {0}, false, false},
    {"user", load_nonempty, offsetof(struct cqe_redis_conf, user), {0}, false, false},
    {"password_file", load_nonempty, offsetof(struct cqe_redis_conf, password_file), {0}, false, false},
    {"password_env", load_env_name, offsetof(struct cqe_redis_conf, password_env), {0}, false, false},
    {"db", load_redis_db, offsetof(struct cqe_redis_conf, db), {0}, false, false},
    {"password", refuse_secret, 0, {0}, false, true},
};

static int load_redis(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    struct cqe_redis_conf *r = &((struct cqe_config *)base)->redis;
    (void)ks;
    int rc = LOAD_TABLE(L, v, redis_keys, r);
    if (rc)
        return rc;
    if (r->password_file && r->password_env)
        return fail(L, "give password_file or password_env, not both");
    struct cqe_redis_url u = {.db = -1};
    if (r->url && cqe_redis_url_parse(r->url, &u, NULL))
        return fail(L, "bad url");
    long url_db = u.db;
    if (url_db >= 0 && r->db >= 0 && url_db != r->db) {
        size_t mark = path_push_key(L, "db");
        rc = fail(L, "%d conflicts with database %ld of $.redis.url; give it once", r->db, url_db);
        path_pop(L, mark);
        return rc;
    }
    if (url_db >= 0)
        r->db = (int)url_db;
    return 0;
}

static int load_kafka(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    struct cqe_config *cfg = base;
    (void)ks;
    if (!json_is_object(v))
        return fail(L, "must be an object of librdkafka properties; got %s", type_name(v));
    const char *key;
    json_t *p;
    json_object_foreach(v, key, p) {
        size_t mark = path_push_key(L, key);
        int rc = 0;
        if (!*key)
            rc = fail(L, "a librdkafka property name must not be empty");
        else if (!json_is_string(p) && !json_is_number(p) && !json_is_boolean(p))
            rc = fail(L, "must be a string, number or boolean (a librdkafka property); got %s", type_name(p));
        path_pop(L, mark);
        if (rc)
            return rc;
    }
    json_decref((json_t *)cfg->kafka);
    cfg->kafka = json_incref(v);
    return 0;
}

static bool topic_ok(const char *s, size_t n)
{
    if (n < 1 || n > TOPIC_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static int check_topic(struct loader *L, json_t *v)
{
    if (!json_is_string(v) || !topic_ok(json_string_value(v), json_string_length(v)))
        return fail(L, "must be a Kafka topic name: 1 to %d of letters, digits, '.', '_' and '-', "
                       "not \".\" or \"..\"",
                    TOPIC_MAX);
    return 0;
}

static int load_topic(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    (void)base;
    (void)ks;
    return check_topic(L, v);
}

static int load_input_topics(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    (void)base;
    (void)ks;
    if (!json_is_array(v) || !json_array_size(v))
        return fail(L, "must be a non-empty array of topic names; got %s",
                    json_is_array(v) ? "an empty array" : type_name(v));
    for (size_t i = 0; i < json_array_size(v); i++) {
        size_t mark = path_push_index(L, i);
        int rc = check_topic(L, json_array_get(v, i));
        for (size_t j = 0; !rc && j < i; j++)
            if (json_equal(json_array_get(v, j), json_array_get(v, i)))
                rc = fail(L, "topic \"%s\" is listed twice (also at [%zu])",
                          json_string_value(json_array_get(v, i)), j);
        path_pop(L, mark);
        if (rc)
            return rc;
    }
    return 0;
}

/* Topics are checked here and kept as the JSON object (cqe_config_topic reads it). */
static const struct key_spec topic_keys[] = {
    {"input", load_input_topics, 0, {0}, false, false},
    {"snapshots", load_topic, 0, {0}, false, false},
    {"alerts", load_topic, 0, {0}, false, false},
    {"dead_letters", load_topic, 0, {0}, false, false},
};

static int load_topics(struct loader *L, json_t *v, void *base, const struct key_spec *ks)
{
    struct cqe_config *cfg = base;
    (void)ks;
    int rc = LOAD_TABLE(L, v, topic_keys, NULL);
    if (rc)
        return rc;
    json_decref((json_t *)cfg->topics);
    cfg->topics = json_incref(v);
    return 0;
}

#define CFG_OFF(field) offsetof(struct cqe_config, field)

static const struct key_spec top_keys[] = {
    {"utc_offset", load_offset, CFG_OFF(utc_offset_min), {0}, false, false},
    {"services", load_services, 0, {0}, false, false},
    {"holidays", load_holidays, 0, {0}, false, false},
    {"workdays", load_workdays, 0, {0}, false, false},
    {"maintenance_notice_s", load_i64, CFG_OFF(maintenance_notice_s), INT_RANGE(0, MAX_SECONDS), false,
     false},
    {"degraded_weight", load_double, CFG_OFF(degraded_weight), NUM_RANGE(0, 1), false, false},
    {"incident_deadlines", load_incident_deadlines, 0, {0}, false, false},
    {"rpo_target_s", load_i64, CFG_OFF(rpo_target_s), INT_RANGE(1, MAX_SECONDS), false, false},
    {"drill_required_per_year", load_drills, 0, {0}, false, false},
    {"vuln_deadlines_s", load_vulns, 0, {0}, false, false},
    {"survey_dimensions", load_dims, 0, {0}, false, false},
    {"survey_level_scores", load_levels, 0, {0}, false, false},
    {"idle_cpu_below", load_double, CFG_OFF(idle_cpu_below), NUM_RANGE(0, 1), false, false},
    {"idle_cpu_share", load_double, CFG_OFF(idle_cpu_share), NUM_RANGE(0, 1), false, false},
    {"idle_mem_below", load_double, CFG_OFF(idle_mem_below), NUM_RANGE(0, 1), false, false},
    {"max_message_bytes", load_i64, CFG_OFF(max_message_bytes), INT_RANGE(1024, MAX_SAFE_INT), false, false},
    {"dedup_window", load_i64, CFG_OFF(dedup_window), INT_RANGE(0, MAX_SAFE_INT), false, false},
    {"clock", load_clock, CFG_OFF(clock), {0}, false, false},
    {"redis", load_redis, 0, {0}, false, false},
    {"kafka", load_kafka, 0, {0}, false, false},
    {"topics", load_topics, 0, {0}, false, false},
    {"output_dir", load_nonempty, CFG_OFF(output_dir), {0}, false, false},
    {"snapshot_interval_s", load_i64, CFG_OFF(snapshot_interval_s), INT_RANGE(1, MAX_SECONDS), false, false},
    {"resolve_after_s", load_i64, CFG_OFF(resolve_after_s), INT_RANGE(1, MAX_SECONDS), false, false},
    {"no_data_after_s", load_i64, CFG_OFF(no_data_after_s), INT_RANGE(1, MAX_SECONDS), false, false},
    {"max_pending_events", load_i64, CFG_OFF(max_pending_events), INT_RANGE(1, MAX_SAFE_INT), false, false},
    {"dead_letter_raw_max", load_i64, CFG_OFF(dead_letter_raw_max), INT_RANGE(1024, MAX_SAFE_INT), false, false},
};

/* ---- entry points ------------------------------------------------------------------ */

static int load_buffer(struct cqe_config *cfg, const char *buf, size_t len, const char *origin,
                       struct cqe_err *err)
{
    struct cqe_config tmp;
    struct loader L = {origin, err, "$", 1};
    json_error_t je;
    json_t *root = NULL;
    int rc = 0;

    cqe_config_defaults(&tmp);
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        rc = cqe_err_set(err, CQE_ECONFIG, "%s: line %d column %d: invalid JSON: %s", origin, je.line,
                         je.column, je.text);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = fail(&L, "the configuration must be a JSON object; got %s", type_name(root));
        goto out;
    }
    rc = LOAD_TABLE(&L, root, top_keys, &tmp);
out:
    json_decref(root);
    cqe_config_fini(cfg);
    if (rc) {
        cqe_config_fini(&tmp);
        cqe_config_defaults(cfg);
    } else {
        *cfg = tmp;
    }
    return rc;
}

int cqe_config_load_string(struct cqe_config *cfg, const char *json, const char *origin,
                           struct cqe_err *err)
{
    return load_buffer(cfg, json, strlen(json), origin, err);
}

int cqe_config_load(struct cqe_config *cfg, const char *path, struct cqe_err *err)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;

    if (!(f = fopen(path, "rb"))) {
        rc = cqe_err_set(err, CQE_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE_BYTES) {
                rc = cqe_err_set(err, CQE_ECONFIG, "%s: larger than %u MiB; not a configuration file", path,
                                 MAX_FILE_BYTES >> 20);
                goto out;
            }
            size_t ncap = cap ? cap * 2 : 8192;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                rc = cqe_err_set(err, CQE_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rc = cqe_err_set(err, CQE_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    /* load_buffer leaves cfg loaded, or holding defaults on error */
    rc = load_buffer(cfg, buf, len, path, err);
    fclose(f);
    f = NULL;
    free(buf);
    return rc;
out:
    if (f)
        fclose(f);
    free(buf);
    cqe_config_fini(cfg);
    cqe_config_defaults(cfg);
    return rc;
}

/* ---- queries -------------------------------------------------------------------------- */

static int cmp_id(const char *id, size_t n, const char *s)
{
    size_t m = strlen(s);
    int c = memcmp(id, s, n < m ? n : m);
    if (c)
        return c;
    return (n > m) - (n < m);
}

const struct cqe_service_conf *cqe_config_service(const struct cqe_config *cfg, const char *id, size_t n)
{
    if (!cfg->svc_by_id) { /* a hand-built cfg without the index */
        for (size_t i = 0; i < cfg->n_services; i++)
            if (!cmp_id(id, n, cfg->services[i].id))
                return &cfg->services[i];
        return NULL;
    }
    size_t lo = 0, hi = cfg->n_services;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_id(id, n, cfg->svc_by_id[mid]->id);
        if (!c)
            return cfg->svc_by_id[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static bool has_day(const int64_t *days, size_t n, int64_t day)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (days[mid] == day)
            return true;
        if (days[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool cqe_config_is_workday(const struct cqe_config *cfg, int64_t days)
{
    if (cqe_weekday(days) < 5)
        return !has_day(cfg->holidays, cfg->n_holidays, days);
    return has_day(cfg->workdays, cfg->n_workdays, days);
}

const char *cqe_config_topic(const struct cqe_config *cfg, const char *role)
{
    const char *t = json_string_value(json_object_get((const json_t *)cfg->topics, role));
    if (t)
        return t;
    if (!strcmp(role, "snapshots"))
        return "cloudqe.snapshots";
    if (!strcmp(role, "alerts"))
        return "cloudqe.alerts";
    if (!strcmp(role, "dead_letters"))
        return "cloudqe.dead_letters";
    return NULL;
}

const char *cqe_config_input_topic(const struct cqe_config *cfg, size_t i)
{
    json_t *in = json_object_get((const json_t *)cfg->topics, "input");
    if (in)
        return json_string_value(json_array_get(in, i));
    return i < sizeof default_input_topics / sizeof default_input_topics[0] ? default_input_topics[i] : NULL;
}
