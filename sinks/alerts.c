/* Alert decisions (see alerts.h). Kept state per alert, as JSON text in Redis:
 * {"since":ms,"id":"…","clear_since":ms} while firing (clear_since only while the
 * condition is false), {"month":"2026-03","id":"…"} for the last sla_breach. */
#include "alerts.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"
#include "json_out.h"
#include "timeutil.h"
#include "json_fields.h"

const struct cqe_burn_rule cqe_burn_rules_default[4] = {
    {"burn_1h_5m", "page", 3600, 300, 14.4},
    {"burn_6h_30m", "page", 21600, 1800, 6},
    {"burn_1d_2h", "ticket", 86400, 7200, 3},
    {"burn_3d_6h", "ticket", 259200, 21600, 1},
};

void cqe_alert_changes_free(struct cqe_alert_changes *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].field);
        free(c->v[i].before);
        free(c->v[i].after);
        free(c->v[i].key);
        free(c->v[i].record);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}

void cqe_alert_id(const char *rule, const char *service, size_t service_len, int64_t since, char out[17])
{
    char head[96];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_n = 0;
    int n = snprintf(head, sizeof head, "|%lld", (long long)since);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
              EVP_DigestUpdate(ctx, rule, strlen(rule)) && EVP_DigestUpdate(ctx, "|", 1) &&
              EVP_DigestUpdate(ctx, service, service_len) && EVP_DigestUpdate(ctx, head, (size_t)n) &&
              EVP_DigestFinal_ex(ctx, md, &md_n);
    EVP_MD_CTX_free(ctx);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", ok ? md[i] : 0);
}

/* What one pass knows while deciding: the kept states, and the states this pass set
 * (cur: field → owned text, in a map of its own). */
struct pass {
    const struct cqe_view *v;
    const struct cqe_config *cfg;
    int64_t now; /* the step being decided */
    const struct cqe_strmap *kept;
    char *const *states;
    struct cqe_strmap cur;
    char **cur_text; /* by cur index, owned */
    size_t cur_cap;
    struct cqe_alert_changes *out;
};

static const char *kept_state(const struct pass *ps, const char *field, size_t n)
{
    size_t i = cqe_strmap_find(&ps->cur, field, n);
    if (i != SIZE_MAX)
        return ps->cur_text[i];
    i = cqe_strmap_find(ps->kept, field, n);
    return i == SIZE_MAX ? "" : ps->states[i];
}

static struct cqe_alert_change *next_change(struct cqe_alert_changes *c)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        struct cqe_alert_change *v = realloc(c->v, nc * sizeof *v);
        if (!v)
            return NULL;
        c->v = v;
        c->cap = nc;
    }
    struct cqe_alert_change *ch = &c->v[c->n++];
    memset(ch, 0, sizeof *ch);
    return ch;
}

/* Sets the state of field (after NULL: none) and queues the record (may be NULL). */
static int push(struct pass *ps, const char *field, size_t n, json_t *after, const char *key, size_t key_len,
                json_t *record)
{
    int added = 0;
    size_t i = cqe_strmap_intern(&ps->cur, field, n, &added);
    if (i == SIZE_MAX)
        return CQE_ENOMEM;
    if (i >= ps->cur_cap) {
        size_t nc = ps->cur_cap ? ps->cur_cap * 2 : 64;
        while (nc <= i)
            nc *= 2;
        char **t = realloc(ps->cur_text, nc * sizeof *t);
        if (!t)
            return CQE_ENOMEM;
        memset(t + ps->cur_cap, 0, (nc - ps->cur_cap) * sizeof *t);
        ps->cur_text = t;
        ps->cur_cap = nc;
    }
    char *text = after ? cqe_json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : strdup("");
    if (!text)
        return CQE_ENOMEM;
    free(ps->cur_text[i]);
    ps->cur_text[i] = text;
    if (!record)
        return 0;
    struct cqe_alert_change *ch = next_change(ps->out);
    if (!ch)
        return CQE_ENOMEM;
    ps->out->records++;
    ch->key = strndup(key, key_len);
    ch->record = cqe_json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return ch->key && ch->record ? 0 : CQE_ENOMEM;
}

/* The common head of an alert record. */
static json_t *record_head(const struct pass *ps, size_t s, const char *id, const char *state,
                           const char *rule, const char *severity)
{
    const struct cqe_view *v = ps->v;
    const struct cqe_service *sv = &v->svc[s];
    json_t *r = json_object();
    json_object_set_new(r, "kind", json_string("alert"));
    json_object_set_new(r, "v", json_integer(1));
    json_object_set_new(r, "id", json_string(id));
    json_object_set_new(r, "state", json_string(state));
    json_object_set_new(r, "rule", json_string(rule));
    json_object_set_new(r, "severity", json_string(severity));
    json_object_set_new(r, "service", json_stringn(v->services.keys[s], v->services.lens[s]));
    json_object_set_new(r, "provider",
                        sv->provider == CQE_NONE
                            ? json_null()
                            : json_stringn(v->providers.keys[sv->provider], v->providers.lens[sv->provider]));
    json_object_set_new(r, "target", json_real(sv->target));
    return r;
}

/* A firing alert kept as {"since","id"} (+ "clear_since"): parsed, or not firing. */
struct firing {
    bool on;
    int64_t since, clear_since; /* clear_since -1: the condition holds */
    char id[17];
};

static struct firing parse_firing(const char *text)
{
    struct firing f = {false, 0, -1, ""};
    json_t *o = *text ? json_loads(text, 0, NULL) : NULL;
    json_t *since = json_object_get(o, "since"), *id = json_object_get(o, "id"),
           *cl = json_object_get(o, "clear_since");
    if (json_is_integer(since) && json_is_string(id)) {
        f.on = true;
        f.since = json_integer_value(since);
        f.clear_since = json_is_integer(cl) ? json_integer_value(cl) : -1;
        snprintf(f.id, sizeof f.id, "%s", json_string_value(id));
    }
    json_decref(o);
    return f;
}

static json_t *firing_state(const struct firing *f)
{
    json_t *o = json_pack("{s:I,s:s}", "since", (json_int_t)f->since, "id", f->id);
    if (o && f->clear_since >= 0)
        json_object_set_new(o, "clear_since", json_integer(f->clear_since));
    return o;
}

/* One rule's step for a service: cond says whether it holds now; extra adds the rule's
 * own fields to a record. Fires, resolves, or records when the condition began to clear. */
static int step(struct pass *ps, size_t s, const char *rule, const char *severity, bool cond,
                void (*extra)(json_t *r, const void *arg), const void *arg)
{
    char field[400];
    const struct cqe_view *v = ps->v;
    int n = snprintf(field, sizeof field, "%s|%.*s", rule, (int)v->services.lens[s], v->services.keys[s]);
    if (n < 0 || (size_t)n >= sizeof field)
        return 0; /* a service id this long is refused by the contract */
    const char *before = kept_state(ps, field, (size_t)n);
    struct firing f = parse_firing(before);
    json_t *after = NULL, *record = NULL;
    int off = ps->cfg->utc_offset_min;
    if (!f.on && cond) {
        f = (struct firing){true, ps->now, -1, ""};
        cqe_alert_id(rule, v->services.keys[s], v->services.lens[s], f.since, f.id);
        after = firing_state(&f);
        record = record_head(ps, s, f.id, "firing", rule, severity);
    } else if (f.on && cond && f.clear_since >= 0) {
        f.clear_since = -1;
        after = firing_state(&f);
    } else if (f.on && !cond && f.clear_since < 0) {
        f.clear_since = ps->now;
        after = firing_state(&f);
    } else if (f.on && !cond && ps->now - f.clear_since >= ps->cfg->resolve_after_s * 1000) {
        record = record_head(ps, s, f.id, "resolved", rule, severity); /* after NULL: forgotten */
    } else {
        return 0;
    }
    if (record) {
        if (extra)
            extra(record, arg);
        cqe_json_set_time(record, "since", f.since, off);
        cqe_json_set_time(record, "at", ps->now, off);
    }
    int rc = push(ps, field, (size_t)n, after, v->services.keys[s], v->services.lens[s], record);
    json_decref(after);
    json_decref(record);
    return rc;
}

struct burn_fig {
    double lng, shrt, factor;
};

static void burn_extra(json_t *r, const void *arg)
{
    const struct burn_fig *b = arg;
    json_object_set_new(r, "burn_long", json_real(b->lng));
    json_object_set_new(r, "burn_short", json_real(b->shrt));
    json_object_set_new(r, "threshold", json_real(b->factor));
}

/* burn = down time in the window / window / (1 - target); a target of 1 burns at any
 * down time (infinitely), none without. */
static double burn(double down_s, int64_t window_s, double target)
{
    double budget = 1.0 - target;
    if (down_s <= 0)
        return 0;
    return budget > 0 ? down_s / (double)window_s / budget : 1e300;
}

static int burn_rules(struct pass *ps, const struct cqe_period_eval *pe, size_t s,
                      const struct cqe_burn_rule *rules, size_t n_rules)
{
    const struct cqe_view *v = ps->v;
    for (size_t k = 0; k < n_rules; k++) {
        const struct cqe_burn_rule *r = &rules[k];
        double dl = 0, ds = 0;
        int rc = cqe_fig_window_down(pe, s, ps->now - r->long_s * 1000, ps->now, &dl);
        if (!rc)
            rc = cqe_fig_window_down(pe, s, ps->now - r->short_s * 1000, ps->now, &ds);
        if (rc)
            return rc;
        struct burn_fig b = {burn(dl, r->long_s, v->svc[s].target), burn(ds, r->short_s, v->svc[s].target),
                             r->factor};
        if ((rc = step(ps, s, r->name, r->severity, b.lng > r->factor && b.shrt > r->factor, burn_extra, &b)))
            return rc;
    }
    return 0;
}

struct no_data_fig {
    int64_t last, off;
};

static void no_data_extra(json_t *r, const void *arg)
{
    const struct no_data_fig *d = arg;
    cqe_json_set_time(r, "last_probe", d->last, (int)d->off);
}

/* sla_breach: the month-to-date availability fell below target; once per service and
 * month, never resolved (the month's snapshot says the rest). */
static int sla_breach(struct pass *ps, const struct cqe_service_figures *sf)
{
    const struct cqe_view *v = ps->v;
    size_t s = sf->service;
    if (!sf->availability.has || sf->sla_met)
        return 0;
    char field[400], month[16];
    struct cqe_period p;
    cqe_period_of(ps->now, CQE_PERIOD_MONTH, ps->cfg->utc_offset_min, &p);
    snprintf(month, sizeof month, "%s", p.id);
    int n = snprintf(field, sizeof field, "sla_breach|%.*s", (int)v->services.lens[s], v->services.keys[s]);
    if (n < 0 || (size_t)n >= sizeof field)
        return 0;
    const char *before = kept_state(ps, field, (size_t)n);
    json_t *o = *before ? json_loads(before, 0, NULL) : NULL;
    bool done = o && json_is_string(json_object_get(o, "month")) &&
                !strcmp(json_string_value(json_object_get(o, "month")), month);
    json_decref(o);
    if (done)
        return 0;
    char id[17];
    cqe_alert_id("sla_breach", v->services.keys[s], v->services.lens[s], p.start_ms, id);
    json_t *after = json_pack("{s:s,s:s}", "month", month, "id", id);
    json_t *r = record_head(ps, s, id, "firing", "sla_breach", "ticket");
    json_object_set_new(r, "period", json_string(month));
    json_object_set_new(r, "availability", json_real(sf->availability.v));
    cqe_json_set_time(r, "since", p.start_ms, ps->cfg->utc_offset_min);
    cqe_json_set_time(r, "at", ps->now, ps->cfg->utc_offset_min);
    int rc = (after && r) ? push(ps, field, (size_t)n, after, v->services.keys[s], v->services.lens[s], r)
                          : CQE_ENOMEM;
    json_decref(after);
    json_decref(r);
    return rc;
}

/* Whether any alert of service s is kept (so it must be stepped whatever its data). */
static bool any_kept(const struct pass *ps, size_t s, const struct cqe_burn_rule *rules, size_t n_rules)
{
    const struct cqe_view *v = ps->v;
    char field[400];
    for (size_t k = 0; k <= n_rules; k++) {
        int n = snprintf(field, sizeof field, "%s|%.*s", k < n_rules ? rules[k].name : "no_data",
                         (int)v->services.lens[s], v->services.keys[s]);
        if (n > 0 && (size_t)n < sizeof field && *kept_state(ps, field, (size_t)n))
            return true;
    }
    return false;
}

/* The end of the last probe minute of s that starts before t, or -1. */
static int64_t last_probe_before(const struct cqe_service *sv, int64_t t)
{
    size_t lo = 0, hi = sv->n_pm;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sv->pm[mid].minute * 60000 < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? (sv->pm[lo - 1].minute + 1) * 60000 : -1;
}

int64_t cqe_alerts_first_probe(const struct cqe_view *v)
{
    int64_t first = -1;
    for (size_t s = 0; s < v->services.n; s++)
        if (v->svc[s].n_pm && (first < 0 || v->svc[s].pm[0].minute * 60000 < first))
            first = v->svc[s].pm[0].minute * 60000;
    return first;
}

/* The state changes of the pass (cur against kept), after its records. */
static int emit_states(struct pass *ps)
{
    for (size_t i = 0; i < ps->cur.n; i++) {
        size_t k = cqe_strmap_find(ps->kept, ps->cur.keys[i], ps->cur.lens[i]);
        const char *before = k == SIZE_MAX ? "" : ps->states[k];
        if (!strcmp(before, ps->cur_text[i]))
            continue;
        struct cqe_alert_change *ch = next_change(ps->out);
        if (!ch)
            return CQE_ENOMEM;
        ch->field = strndup(ps->cur.keys[i], ps->cur.lens[i]);
        ch->before = strdup(before);
        ch->after = strdup(ps->cur_text[i]);
        if (!ch->field || !ch->before || !ch->after)
            return CQE_ENOMEM;
    }
    return 0;
}

int cqe_alerts_decide(const struct cqe_view *v, const struct cqe_config *cfg,
                      const struct cqe_burn_rule *rules, size_t n_rules, int64_t from, int64_t now,
                      const struct cqe_strmap *kept, char *const *states, struct cqe_alert_changes *out,
                      struct cqe_err *err)
{
    struct pass ps = {v, cfg, now, kept, states, {0}, NULL, 0, out};
    struct cqe_period month;
    struct cqe_period_eval pe;
    int64_t longest = 0, stride = 60000;
    for (size_t k = 0; k < n_rules; k++)
        longest = rules[k].long_s > longest ? rules[k].long_s : longest;
    if (from >= now)
        from = now - 1;
    if ((now - from) / CQE_ALERT_STEPS > stride)
        stride = (now - from) / CQE_ALERT_STEPS;
    cqe_period_of(now, CQE_PERIOD_MONTH, cfg->utc_offset_min, &month);
    int rc = cqe_period_eval_init(&pe, v, &month, now);
    for (size_t s = 0; !rc && s < v->services.n; s++) {
        const struct cqe_service *sv = &v->svc[s];
        if (sv->provider == CQE_NONE)
            continue; /* a service never attributed to a provider is out of scope */
        bool burn_steps = any_kept(&ps, s, rules, n_rules) ||
                          cqe_fig_window_may_be_down(&pe, s, from - longest * 1000, now);
        if (!burn_steps && !sv->has_probe)
            continue;
        /* steps on multiples of the stride (whole minutes), then now itself */
        int64_t first = (from >= 0 ? from / stride : -((-from + stride - 1) / stride)) * stride + stride;
        for (int64_t t = first;; t += stride) {
            ps.now = t < now ? t : now;
            if (burn_steps)
                rc = burn_rules(&ps, &pe, s, rules, n_rules);
            if (!rc && sv->has_probe) {
                struct no_data_fig d = {last_probe_before(sv, ps.now), cfg->utc_offset_min};
                rc = step(&ps, s, "no_data", "ticket",
                          d.last >= 0 && ps.now - d.last >= cfg->no_data_after_s * 1000, no_data_extra, &d);
            }
            if (rc || t >= now)
                break;
        }
    }
    ps.now = now;
    for (size_t i = 0; !rc && i < pe.n_svc; i++)
        rc = sla_breach(&ps, &pe.svc[i]);
    cqe_period_eval_fini(&pe);
    if (!rc)
        rc = emit_states(&ps);
    for (size_t i = 0; i < ps.cur.n; i++)
        free(ps.cur_text[i]);
    free(ps.cur_text);
    cqe_strmap_free(&ps.cur);
    if (rc)
        cqe_err_set(err, rc, "out of memory deciding alerts");
    return rc;
}
