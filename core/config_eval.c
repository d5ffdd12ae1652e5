/* The evaluation keys of the configuration (docs/spec/config.md): time zone, service
 * catalog, calendars, deadlines, survey, idle rule, limits and clock, loaded through
 * json_table; and the queries over them (service lookup, the 5x8 working day). */
#include "config_int.h"

#include <math.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "timeutil.h"

#define CFG_OFF(field) offsetof(struct cqe_config, field)

static int load_offset(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    int minutes;
    if (!json_is_string(v) || cqe_offset_parse(json_string_value(v), json_string_length(v), &minutes))
        return cqe_jt_fail(
            L, "must be a fixed UTC offset \"+hh:mm\" or \"-hh:mm\" (hh 00-23, mm 00-59) or \"Z\"");
    *(int *)((char *)base + ks->off) = minutes;
    return 0;
}

static int load_calendar(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    const char *s = json_string_value(v);
    enum cqe_calendar *c = (enum cqe_calendar *)((char *)base + ks->off);
    if (s && !strcmp(s, "7x24"))
        *c = CQE_CAL_7X24;
    else if (s && !strcmp(s, "5x8"))
        *c = CQE_CAL_5X8;
    else
        return cqe_jt_fail(L, "must be \"7x24\" or \"5x8\"");
    return 0;
}

static int load_clock(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    const char *s = json_string_value(v);
    enum cqe_clock *c = (enum cqe_clock *)((char *)base + ks->off);
    if (s && !strcmp(s, "wall"))
        *c = CQE_CLOCK_WALL;
    else if (s && !strcmp(s, "event"))
        *c = CQE_CLOCK_EVENT;
    else
        return cqe_jt_fail(L, "must be \"wall\" or \"event\"");
    return 0;
}

static const struct cqe_jt_key service_keys[] = {
    {"id", cqe_jt_load_ident, offsetof(struct cqe_service_conf, id), {0}, true, false},
    {"provider", cqe_jt_load_ident, offsetof(struct cqe_service_conf, provider), {0}, true, false},
    {"dept", cqe_jt_load_ident, offsetof(struct cqe_service_conf, dept), {0}, false, false},
    {"target", cqe_jt_load_double, offsetof(struct cqe_service_conf, target), CQE_JT_POS(1), false, false},
    {"calendar", load_calendar, offsetof(struct cqe_service_conf, calendar), {0}, false, false},
    {"weight", cqe_jt_load_double, offsetof(struct cqe_service_conf, weight), CQE_JT_POS(HUGE_VAL), false,
     false},
};

static int cmp_service_ptr(const void *a, const void *b)
{
    const struct cqe_service_conf *x = *(const struct cqe_service_conf *const *)a;
    const struct cqe_service_conf *y = *(const struct cqe_service_conf *const *)b;
    return strcmp(x->id, y->id); /* byte order: strcmp compares as unsigned char */
}

static int load_services(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    struct cqe_config *cfg = base;
    json_t *seen = NULL;
    int rc = 0;
    (void)ks;
    if (!json_is_array(v)) {
        rc = cqe_jt_fail(L, "must be an array of services; got %s", cqe_jt_type_name(v));
        goto out;
    }
    size_t n = json_array_size(v);
    if (!n)
        goto out;
    cfg->services = calloc(n, sizeof *cfg->services);
    cfg->svc_by_id = calloc(n, sizeof *cfg->svc_by_id);
    seen = json_object();
    if (!cfg->services || !cfg->svc_by_id || !seen) {
        rc = cqe_jt_oom(L);
        goto out;
    }
    cfg->n_services = n;
    for (size_t i = 0; i < n; i++) {
        struct cqe_service_conf *s = &cfg->services[i];
        s->target = 0.999;
        s->calendar = CQE_CAL_7X24;
        s->weight = 1;
        size_t mark = cqe_jt_push_index(L, i);
        rc = CQE_JT_OBJECT(L, json_array_get(v, i), service_keys, s);
        if (!rc) {
            json_t *first = json_object_get(seen, s->id);
            if (first) {
                cqe_jt_push_key(L, "id");
                rc = cqe_jt_fail(
                    L, "duplicate service id \"%s\" (first at $.services[%lld]); ids must be unique", s->id,
                    (long long)json_integer_value(first));
            } else if (json_object_set_new(seen, s->id, json_integer((json_int_t)i))) {
                rc = cqe_jt_oom(L);
            }
        }
        cqe_jt_pop(L, mark);
        if (rc)
            goto out;
        cfg->svc_by_id[i] = s;
    }
    qsort(cfg->svc_by_id, n, sizeof *cfg->svc_by_id, cmp_service_ptr);
out:
    json_decref(seen);
    return rc;
}

/* "providers": {id: {"name": text}}; only the names are kept, for reports. */
static int load_providers(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    struct cqe_config *cfg = base;
    (void)ks;
    if (!json_is_object(v))
        return cqe_jt_fail(L, "must be an object of provider id to {\"name\": ...}; got %s",
                           cqe_jt_type_name(v));
    json_t *names = json_object();
    if (!names)
        return cqe_jt_oom(L);
    json_decref(cfg->provider_names);
    cfg->provider_names = names;
    const char *id;
    json_t *p;
    json_object_foreach(v, id, p)
    {
        size_t mark = cqe_jt_push_key(L, id);
        int rc = 0;
        json_t *name = json_object_get(p, "name");
        if (!*id)
            rc = cqe_jt_fail(L, "a provider id must not be empty");
        else if (!json_is_object(p) || json_object_size(p) != 1 || !json_is_string(name) ||
                 !json_string_length(name))
            rc = cqe_jt_fail(L, "must be {\"name\": a non-empty string}; the only key is name");
        else if (json_object_set(names, id, name))
            rc = cqe_jt_oom(L);
        cqe_jt_pop(L, mark);
        if (rc)
            return rc;
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* An array of "YYYY-MM-DD" real dates into a sorted array of days without repeats. */
static int load_dates(struct cqe_jt *L, json_t *v, int64_t **out, size_t *n_out)
{
    if (!json_is_array(v))
        return cqe_jt_fail(L, "must be an array of dates \"YYYY-MM-DD\"; got %s", cqe_jt_type_name(v));
    size_t n = json_array_size(v);
    free(*out);
    *out = NULL;
    *n_out = 0;
    if (!n)
        return 0;
    int64_t *days = calloc(n, sizeof *days);
    if (!days)
        return cqe_jt_oom(L);
    *out = days;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || cqe_date_parse(json_string_value(e), json_string_length(e), &days[i])) {
            size_t mark = cqe_jt_push_index(L, i);
            int rc = cqe_jt_fail(
                L, "must be a real calendar date \"YYYY-MM-DD\"%s%s%s", json_is_string(e) ? "; got \"" : "",
                json_is_string(e) ? json_string_value(e) : "", json_is_string(e) ? "\"" : "");
            cqe_jt_pop(L, mark);
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

static int load_holidays(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    struct cqe_config *cfg = base;
    (void)ks;
    return load_dates(L, v, &cfg->holidays, &cfg->n_holidays);
}

static int load_workdays(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    struct cqe_config *cfg = base;
    (void)ks;
    return load_dates(L, v, &cfg->workdays, &cfg->n_workdays);
}

struct deadline {
    int64_t ack_s, fix_s;
};

static const struct cqe_jt_key deadline_keys[] = {
    {"ack_s", cqe_jt_load_i64, offsetof(struct deadline, ack_s), CQE_JT_INT(1, CQE_MAX_SECONDS), true, false},
    {"fix_s", cqe_jt_load_i64, offsetof(struct deadline, fix_s), CQE_JT_INT(1, CQE_MAX_SECONDS), true, false},
};

/* One severity's {ack_s, fix_s}; ks->off is the severity. */
static int load_deadline(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    struct cqe_config *cfg = base;
    struct deadline d = {0, 0};
    int rc = CQE_JT_OBJECT(L, v, deadline_keys, &d);
    if (!rc) {
        cfg->ack_s[ks->off] = d.ack_s;
        cfg->fix_s[ks->off] = d.fix_s;
    }
    return rc;
}

static const struct cqe_jt_key severity_keys[] = {
    {"1", load_deadline, 1, {0}, false, false},
    {"2", load_deadline, 2, {0}, false, false},
    {"3", load_deadline, 3, {0}, false, false},
    {"4", load_deadline, 4, {0}, false, false},
};

static int load_incident_deadlines(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    (void)ks;
    return CQE_JT_OBJECT(L, v, severity_keys, base);
}

static const struct cqe_jt_key drill_keys[] = {
    {"dr", cqe_jt_load_i64, CQE_DRILL_DR * sizeof(int64_t), CQE_JT_INT(0, CQE_JT_MAX_SAFE_INT), false, false},
    {"emergency", cqe_jt_load_i64, CQE_DRILL_EMERGENCY * sizeof(int64_t), CQE_JT_INT(0, CQE_JT_MAX_SAFE_INT),
     false, false},
};

static int load_drills(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    (void)ks;
    return CQE_JT_OBJECT(L, v, drill_keys, ((struct cqe_config *)base)->drill_required);
}

static const struct cqe_jt_key vuln_keys[] = {
    {"critical", cqe_jt_load_i64, CQE_VULN_CRITICAL * sizeof(int64_t), CQE_JT_INT(1, CQE_MAX_SECONDS), false,
     false},
    {"high", cqe_jt_load_i64, CQE_VULN_HIGH * sizeof(int64_t), CQE_JT_INT(1, CQE_MAX_SECONDS), false, false},
    {"medium", cqe_jt_load_i64, CQE_VULN_MEDIUM * sizeof(int64_t), CQE_JT_INT(1, CQE_MAX_SECONDS), false,
     false},
    {"low", cqe_jt_load_i64, CQE_VULN_LOW * sizeof(int64_t), CQE_JT_INT(1, CQE_MAX_SECONDS), false, false},
};

static int load_vulns(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    (void)ks;
    return CQE_JT_OBJECT(L, v, vuln_keys, ((struct cqe_config *)base)->vuln_deadline_s);
}

/* survey_dimensions replaces the default set: name -> weight > 0. */
static int load_dims(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    static const struct cqe_jt_range weight = CQE_JT_POS(HUGE_VAL);
    struct cqe_config *cfg = base;
    (void)ks;
    if (!json_is_object(v))
        return cqe_jt_fail(L, "must be an object of dimension name to weight; got %s", cqe_jt_type_name(v));
    size_t n = json_object_size(v);
    if (!n)
        return cqe_jt_fail(L, "must name at least one dimension");
    struct cqe_survey_dim *dims = calloc(n, sizeof *dims);
    if (!dims)
        return cqe_jt_oom(L);
    cqe_config_dims_free(cfg);
    cfg->dims = dims;
    cfg->n_dims = n;
    size_t i = 0;
    const char *key;
    json_t *w;
    json_object_foreach(v, key, w)
    {
        size_t mark = cqe_jt_push_key(L, key);
        size_t len = cqe_jt_code_points(key);
        int rc = 0;
        if (len < 1 || len > CQE_JT_IDENT_MAX)
            rc = cqe_jt_fail(L, "a dimension name must have 1 to %d characters", CQE_JT_IDENT_MAX);
        else if (!(rc = cqe_jt_number(L, w, &weight, &dims[i].weight)) &&
                 !(dims[i].name = cqe_jt_strdup(key)))
            rc = cqe_jt_oom(L);
        cqe_jt_pop(L, mark);
        if (rc)
            return rc;
        i++;
    }
    return 0;
}

static int load_levels(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    static const struct cqe_jt_range score = CQE_JT_NUM(0, 100);
    struct cqe_config *cfg = base;
    (void)ks;
    if (!json_is_array(v) || json_array_size(v) != 5)
        return cqe_jt_fail(L, "must be an array of exactly 5 numbers (points of levels 1 to 5); got %s",
                           json_is_array(v) ? "an array of another length" : cqe_jt_type_name(v));
    for (size_t i = 0; i < 5; i++) {
        size_t mark = cqe_jt_push_index(L, i);
        int rc = cqe_jt_number(L, json_array_get(v, i), &score, &cfg->level_scores[i]);
        cqe_jt_pop(L, mark);
        if (rc)
            return rc;
    }
    return 0;
}

static const struct cqe_jt_key eval_keys[] = {
    {"utc_offset", load_offset, CFG_OFF(utc_offset_min), {0}, false, false},
    {"services", load_services, 0, {0}, false, false},
    {"providers", load_providers, 0, {0}, false, false},
    {"holidays", load_holidays, 0, {0}, false, false},
    {"workdays", load_workdays, 0, {0}, false, false},
    {"maintenance_notice_s", cqe_jt_load_i64, CFG_OFF(maintenance_notice_s), CQE_JT_INT(0, CQE_MAX_SECONDS),
     false, false},
    {"degraded_weight", cqe_jt_load_double, CFG_OFF(degraded_weight), CQE_JT_NUM(0, 1), false, false},
    {"incident_deadlines", load_incident_deadlines, 0, {0}, false, false},
    {"rpo_target_s", cqe_jt_load_i64, CFG_OFF(rpo_target_s), CQE_JT_INT(1, CQE_MAX_SECONDS), false, false},
    {"drill_required_per_year", load_drills, 0, {0}, false, false},
    {"vuln_deadlines_s", load_vulns, 0, {0}, false, false},
    {"survey_dimensions", load_dims, 0, {0}, false, false},
    {"survey_level_scores", load_levels, 0, {0}, false, false},
    {"idle_cpu_below", cqe_jt_load_double, CFG_OFF(idle_cpu_below), CQE_JT_NUM(0, 1), false, false},
    {"idle_cpu_share", cqe_jt_load_double, CFG_OFF(idle_cpu_share), CQE_JT_NUM(0, 1), false, false},
    {"idle_mem_below", cqe_jt_load_double, CFG_OFF(idle_mem_below), CQE_JT_NUM(0, 1), false, false},
    {"max_message_bytes", cqe_jt_load_i64, CFG_OFF(max_message_bytes), CQE_JT_INT(1024, CQE_JT_MAX_SAFE_INT),
     false, false},
    {"dedup_window", cqe_jt_load_i64, CFG_OFF(dedup_window), CQE_JT_INT(0, CQE_JT_MAX_SAFE_INT), false,
     false},
    {"clock", load_clock, CFG_OFF(clock), {0}, false, false},
};

const struct cqe_jt_keys cqe_config_eval_keys = CQE_JT_KEYS(eval_keys);

/* ---- queries ---- */

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
