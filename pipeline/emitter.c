/* The output role (see emitter.h). Its keys, under "<ns>:{out}:" (docs/outputs.md):
 * lease, meta (tick, first_month, alert_now, late_from, late_before, token), rev ("<target>|<period>" →
 * "<revision> <hash>"), alert ("<rule>|<service>" → kept state), snapshot:<target>:<period> (the latest
 * record), the streams snapshots, services, depts and alerts (entries r=<record>, k=<Kafka key>) and cursor
 * ("kafka:<stream>", "lake:<stream>" → last delivered id). */
#include "emitter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "apply.h"
#include "family.h"
#include "clock.h"
#include "lake_files.h"
#include "output_kafka.h"
#include "replay_load.h"
#include "state_redis.h"
#include "store.h"
#include "tick.h"
#include "view.h"

#define LEASE_TTL_MS 10000
#define LEASE_RENEW_MS 2000
#define RETRY_MS 2000
#define DELIVER_BATCH 500 /* stream entries read per XRANGE */
#define KAFKA_WAIT_MS 5000
#define N_STREAMS 4
#define ID_MAX 48

static const char *const stream_names[N_STREAMS] = {"snapshots", "services", "depts", "alerts"};

struct emitter_stream {
    char kafka[ID_MAX];   /* last id Kafka acknowledged (as in Redis) */
    char lake[ID_MAX];    /* last id in a closed lake file (as in Redis) */
    char queued[ID_MAX];  /* last id appended to the open lake file */
    int64_t open_records; /* appended since the last closed file */
    struct cqe_lake *files;
};

struct cqe_emitter {
    const struct cqe_config *cfg;
    const struct cqe_model *model;
    const char *ns;
    struct cqe_redis *r;
    struct cqe_output_kafka *k;
    struct emitter_stream s[N_STREAMS];
    char holder[96];
    bool held, cursors_loaded;
    int64_t lease_at, next_pass, pass_ms, retry_at;
    int n_parts;
    char **pos; /* positions seen at the last pass */
    bool have_pos;
    int64_t token_seq;
    atomic_bool blocked;
    bool failing_kafka, failing_files;
    bool out_failed; /* set by a delivery when Kafka or the files (not Redis) failed */
    bool redis_out;  /* the last step failed on Redis: closing does not wait for it */
    pthread_mutex_t mu;
    struct cqe_emitter_stats st;
    /* the thread */
    pthread_t thread;
    bool running;
    atomic_int stop;         /* 1: stop; 2: stop after a last tick */
    atomic_bool thread_done; /* the thread stopped by itself (thread_rc) */
    int thread_rc;
    struct cqe_err thread_err;
};

/* ---------------------------------------------------------------- helpers */

static int hgetall(struct cqe_emitter *e, const char *name, struct cqe_redis_strs *out, struct cqe_err *err)
{
    const char *argv[] = {"HGETALL", name};
    return cqe_redis_out_command(e->r, e->ns, 2, argv, NULL, 1u << 1, out, err);
}

static int hset(struct cqe_emitter *e, const char *name, const char *field, const char *value,
                struct cqe_err *err)
{
    const char *argv[] = {"HSET", name, field, value};
    return cqe_redis_out_command(e->r, e->ns, 4, argv, NULL, 1u << 1, NULL, err);
}

static const char *field_of(const struct cqe_redis_strs *h, const char *f)
{
    for (size_t i = 0; i + 1 < h->n; i += 2)
        if (h->v[i] && !strcmp(h->v[i], f))
            return h->v[i + 1];
    return NULL;
}

/* A hash's fields as a map (keys) and its values (vals[i] borrowed from h). */
static int hash_map(const struct cqe_redis_strs *h, struct cqe_strmap *keys, char ***vals)
{
    *vals = calloc(h->n / 2 + 1, sizeof **vals);
    if (!*vals)
        return CQE_ENOMEM;
    for (size_t i = 0; i + 1 < h->n; i += 2) {
        int added = 0;
        size_t k = cqe_strmap_intern(keys, h->v[i] ? h->v[i] : "", h->len[i], &added);
        if (k == SIZE_MAX)
            return CQE_ENOMEM;
        (*vals)[k] = h->v[i + 1] ? h->v[i + 1] : "";
    }
    return 0;
}

static void say_once(bool *flag, bool failing, const char *what, const struct cqe_err *err)
{
    if (failing && !*flag)
        fprintf(stderr, "run: output: %s failed, retrying (nothing decided is lost): %s\n", what, err->msg);
    else if (!failing && *flag)
        fprintf(stderr, "run: output: %s delivered again\n", what);
    *flag = failing;
}

/* ---------------------------------------------------------------- the decision */

struct ops {
    struct cqe_redis_out_op *v;
    size_t n, cap;
    char **owned; /* strings the ops point into */
    size_t n_owned, cap_owned;
};

static void ops_free(struct ops *o)
{
    for (size_t i = 0; i < o->n_owned; i++)
        free(o->owned[i]);
    free(o->owned);
    free(o->v);
    memset(o, 0, sizeof *o);
}

static char *ops_keep(struct ops *o, char *s)
{
    if (!s)
        return NULL;
    if (o->n_owned == o->cap_owned) {
        size_t nc = o->cap_owned ? o->cap_owned * 2 : 64;
        char **v = realloc(o->owned, nc * sizeof *v);
        if (!v) {
            free(s);
            return NULL;
        }
        o->owned = v;
        o->cap_owned = nc;
    }
    return o->owned[o->n_owned++] = s;
}

static int ops_add(struct ops *o, const char *op, const char *a, const char *b, size_t b_len, const char *c,
                   size_t c_len)
{
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        struct cqe_redis_out_op *v = realloc(o->v, nc * sizeof *v);
        if (!v)
            return CQE_ENOMEM;
        o->v = v;
        o->cap = nc;
    }
    o->v[o->n++] = (struct cqe_redis_out_op){op, a, b, c, b_len, c_len};
    return 0;
}

/* "before\0after" for a cas op (kept by o). */
static const char *cas_value(struct ops *o, const char *before, const char *after, size_t *len)
{
    size_t nb = strlen(before), na = strlen(after);
    char *v = malloc(nb + na + 2);
    if (!v)
        return NULL;
    memcpy(v, before, nb);
    v[nb] = '\0';
    memcpy(v + nb + 1, after, na + 1);
    *len = nb + 1 + na;
    return ops_keep(o, v);
}

static int add_cas(struct ops *o, const char *hash, const char *field, const char *before, const char *after)
{
    size_t len = 0;
    const char *c = cas_value(o, before, after, &len);
    return c ? ops_add(o, "cas", hash, field, strlen(field), c, len) : CQE_ENOMEM;
}

static int add_xadd(struct ops *o, const char *stream, const char *record, const char *key)
{
    return ops_add(o, "xadd", stream, record, strlen(record), key, strlen(key));
}

/* The alert decisions of the pass: stepping from the event time the last pass reached
 * (meta alert_now; the first pass starts at the earliest probe, at most a day back). */
static int alert_ops(struct cqe_emitter *e, const struct cqe_view *v, int64_t from, int64_t now,
                     struct ops *o, struct cqe_alert_changes *ch, struct cqe_err *err)
{
    struct cqe_redis_strs kept = {0};
    struct cqe_strmap keys = {0};
    char **vals = NULL;
    int rc = hgetall(e, "alert", &kept, err);
    if (!rc && (rc = hash_map(&kept, &keys, &vals)))
        cqe_err_set(err, rc, "out of memory");
    if (!rc)
        rc = cqe_alerts_decide(v, e->cfg, cqe_burn_rules_default, 4, from, now, &keys, vals, ch, err);
    for (size_t i = 0; !rc && i < ch->n; i++) {
        struct cqe_alert_change *c = &ch->v[i];
        rc = c->field ? add_cas(o, "alert", c->field, c->before, c->after)
                      : add_xadd(o, "alerts", c->record, c->key);
    }
    char *now_text = malloc(24);
    if (now_text)
        snprintf(now_text, 24, "%lld", (long long)now);
    if (!rc &&
        (!ops_keep(o, now_text) || ops_add(o, "hset", "meta", "alert_now", 9, now_text, strlen(now_text))))
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
    cqe_strmap_free(&keys);
    free(vals);
    cqe_redis_strs_free(&kept);
    return rc;
}

/* The periods of a tick at as_of: the current month, quarter and year, and every earlier
 * month since first_month with its quarter and year (not current). */
static size_t tick_periods(const struct cqe_config *cfg, int64_t as_of, int64_t first_month,
                           struct cqe_tick_period *out, size_t cap)
{
    int off = cfg->utc_offset_min;
    size_t n = 0;
    struct cqe_period cur[3];
    cqe_period_of(as_of, CQE_PERIOD_MONTH, off, &cur[0]);
    cqe_period_of(as_of, CQE_PERIOD_QUARTER, off, &cur[1]);
    cqe_period_of(as_of, CQE_PERIOD_YEAR, off, &cur[2]);
    for (int i = 0; i < 3; i++)
        out[n++] = (struct cqe_tick_period){cur[i], true};
    int64_t cur_month = cqe_month_index(as_of, off);
    if (first_month < cur_month - (int64_t)(cap / 3) + 2)
        first_month = cur_month - (int64_t)(cap / 3) + 2; /* bounded: older ones were decided */
    for (int64_t m = first_month; m < cur_month && n + 3 <= cap; m++) {
        char id[48];
        snprintf(id, sizeof id, "%04lld-%02lld", (long long)(m / 12), (long long)(m % 12 + 1));
        struct cqe_period p[3];
        cqe_period_parse(id, off, &p[0]);
        cqe_period_of(p[0].start_ms, CQE_PERIOD_QUARTER, off, &p[1]);
        cqe_period_of(p[0].start_ms, CQE_PERIOD_YEAR, off, &p[2]);
        for (int k = 0; k < 3; k++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = !strcmp(out[j].p.id, p[k].id);
            if (!seen)
                out[n++] = (struct cqe_tick_period){p[k], false};
        }
    }
    return n;
}

/* The counters of a target and period from the loaded state (apply.h, cqe_count). */
struct count_src {
    const struct cqe_store *store;
    const struct cqe_view *view;
};

static void counters_of(void *arg, const char *target, const struct cqe_period *p, struct cqe_counters *out)
{
    const struct count_src *src = arg;
    int64_t first, sum[CQE_COUNT__N] = {0};
    int count;
    bool platform = !strcmp(target, "platform");
    cqe_period_months(p, &first, &count);
    for (int64_t m = first; m < first + count; m++) {
        if (!platform) {
            cqe_apply_counts_read(src->store, m, target, strlen(target), sum);
            continue;
        }
        cqe_apply_counts_read(src->store, m, "", 0, sum); /* dead letters: no provider */
        for (size_t i = 0; i < src->view->providers.n; i++)
            cqe_apply_counts_read(src->store, m, src->view->providers.keys[i], src->view->providers.lens[i],
                                  sum);
    }
    *out = (struct cqe_counters){sum[CQE_COUNT_EVENTS], sum[CQE_COUNT_DEAD_LETTERS],
                                 sum[CQE_COUNT_DUPLICATES], sum[CQE_COUNT_LATE]};
}

static int tick_ops(struct cqe_emitter *e, const struct cqe_view *v, const struct cqe_store *store,
                    int64_t as_of, int64_t first_month, struct ops *o, struct cqe_tick_out *t,
                    struct cqe_err *err)
{
    struct cqe_redis_strs kept = {0};
    struct cqe_strmap keys = {0};
    char **vals = NULL;
    struct cqe_tick_period periods[3 * 40];
    size_t np = tick_periods(e->cfg, as_of, first_month, periods, sizeof periods / sizeof *periods);
    int rc = hgetall(e, "rev", &kept, err);
    if (!rc && (rc = hash_map(&kept, &keys, &vals)))
        cqe_err_set(err, rc, "out of memory");
    if (!rc)
        rc = cqe_tick_decide(v, e->model, periods, np, as_of, counters_of, &(struct count_src){store, v},
                             &keys, vals, t, err);
    for (size_t i = 0; !rc && i < t->n; i++) {
        struct cqe_tick_record *r = &t->v[i];
        if (r->rev_field)
            rc = add_cas(o, "rev", r->rev_field, r->rev_before, r->rev_after);
        if (!rc && r->latest)
            rc = ops_add(o, "set", r->latest, r->text, strlen(r->text), NULL, 0);
        if (!rc)
            rc = add_xadd(o, r->stream, r->text, r->key);
    }
    cqe_strmap_free(&keys);
    free(vals);
    cqe_redis_strs_free(&kept);
    return rc;
}

/* Whether the partitions' positions moved since the last pass (one round trip). */
static int positions_moved(struct cqe_emitter *e, bool *moved, struct cqe_err *err)
{
    char **pos = calloc((size_t)e->n_parts + 1, sizeof *pos);
    if (!pos)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    int rc = cqe_redis_load_positions(e->r, e->ns, e->n_parts, pos, err);
    *moved = !e->have_pos;
    for (int i = 0; !rc && i < e->n_parts && !*moved; i++) {
        const char *a = pos[i] ? pos[i] : "", *b = e->pos[i] ? e->pos[i] : "";
        *moved = strcmp(a, b) != 0;
    }
    if (rc) {
        for (int i = 0; i < e->n_parts; i++)
            free(pos[i]);
        free(pos);
        return rc;
    }
    for (int i = 0; e->pos && i < e->n_parts; i++)
        free(e->pos[i]);
    free(e->pos);
    e->pos = pos;
    e->have_pos = true;
    return 0;
}

/* The key prefixes alerts read: probes, incidents, maintenance windows and the
 * registry (providers, event times, counters); the rest (metrics, tickets, ...) is read
 * only when a tick falls. Filled once (a NULL-terminated list of static strings). */
static const char *const *alert_prefixes(void)
{
    static const char *list[32];
    static atomic_int filled;
    if (atomic_load(&filled))
        return list;
    size_t n = 0;
    for (size_t i = 0; i < cqe_family_count(); i++) {
        const struct cqe_family *f = cqe_family_at(i);
        if (f->type != CQE_T_PROBE && f->type != CQE_T_INCIDENT && f->type != CQE_T_MAINTENANCE &&
            f->type != CQE_T__COUNT)
            continue;
        for (size_t k = 0; f->prefixes[k] && n + 1 < sizeof list / sizeof *list; k++)
            list[n++] = f->prefixes[k];
    }
    list[n] = NULL;
    atomic_store(&filled, 1);
    return list;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* One pass: reads the merged state when it moved (or a tick is due by the wall clock),
 * decides alerts and, when one falls, a tick; commits the decision. */
static int run_pass(struct cqe_emitter *e, bool final, struct cqe_err *err)
{
    int64_t t0 = cqe_mono_ms(), interval = e->cfg->snapshot_interval_s * 1000;
    bool moved = false, wall = e->cfg->clock != CQE_CLOCK_EVENT;
    struct cqe_redis_strs meta = {0};
    struct cqe_store *store = NULL;
    struct cqe_view *view = NULL;
    struct ops o = {0};
    struct cqe_alert_changes ch = {0};
    struct cqe_tick_out t = {0};
    int rc = positions_moved(e, &moved, err);
    if (!rc)
        rc = hgetall(e, "meta", &meta, err);
    if (rc)
        goto out;
    const char *tick_text = field_of(&meta, "tick"), *first_text = field_of(&meta, "first_month");
    int64_t last_tick = tick_text ? strtoll(tick_text, NULL, 10) : INT64_MIN;
    int64_t wall_now = cqe_wall_ms();
    if (!moved && !final && !(wall && floor_div(wall_now, interval) > last_tick))
        goto out;
    if (!(store = cqe_store_new())) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    /* what alerts need first; the rest only when a tick falls */
    if ((rc = cqe_redis_load_state_part(e->r, e->ns, store, alert_prefixes(), true, err)))
        goto out;
    const struct cqe_cell *ts = cqe_store_get(store, cqe_key_max_ts, strlen(cqe_key_max_ts), CQE_FIELD_MAX_TS,
                                              strlen(CQE_FIELD_MAX_TS), CQE_OP_MAX);
    if (!ts)
        goto out; /* no event yet: nothing to say */
    int64_t now_ev = (int64_t)ts->d, as_of = wall ? wall_now : now_ev;
    int64_t idx = floor_div(as_of, interval);
    bool tick = final || idx > last_tick;
    if (tick && (rc = cqe_redis_load_state_part(e->r, e->ns, store, alert_prefixes(), false, err)))
        goto out;
    if (!(view = cqe_view_build(store, e->cfg, err))) {
        rc = err->code ? err->code : CQE_ENOMEM;
        goto out;
    }
    const char *alert_text = field_of(&meta, "alert_now");
    int64_t from = alert_text ? strtoll(alert_text, NULL, 10) : cqe_alerts_first_probe(view) - 1;
    if (!alert_text && (from < 0 || from < now_ev - 86400000))
        from = now_ev - 86400000;
    /* at least at now: events may arrive for event times a pass already stepped through */
    if ((rc = alert_ops(e, view, from < now_ev ? from : now_ev - 1, now_ev, &o, &ch, err)))
        goto out;
    if (tick) {
        const struct cqe_cell *min_ts = cqe_store_get(store, cqe_key_max_ts, strlen(cqe_key_max_ts),
                                                      CQE_FIELD_MIN_TS, strlen(CQE_FIELD_MIN_TS), CQE_OP_MIN);
        int64_t first = cqe_month_index(min_ts ? (int64_t)min_ts->d : as_of, e->cfg->utc_offset_min);
        int64_t archived_before = 0; /* retention deleted what lies before: never revisited */
        if ((rc = cqe_redis_retention_before(e->r, e->ns, &archived_before, err)))
            goto out;
        if (first_text && strtoll(first_text, NULL, 10) < first)
            first = strtoll(first_text, NULL, 10);
        if (archived_before > 0 && first < cqe_month_index(archived_before, e->cfg->utc_offset_min))
            first = cqe_month_index(archived_before, e->cfg->utc_offset_min);
        if ((rc = tick_ops(e, view, store, as_of, first, &o, &t, err)))
            goto out;
        struct cqe_period cur_month, first_p;
        char first_id[48];
        cqe_period_of(as_of, CQE_PERIOD_MONTH, e->cfg->utc_offset_min, &cur_month);
        snprintf(first_id, sizeof first_id, "%04lld-%02lld", (long long)(first / 12),
                 (long long)(first % 12 + 1));
        if (cqe_period_parse(first_id, e->cfg->utc_offset_min, &first_p))
            first_p.start_ms = cur_month.start_ms;
        char *late_from = malloc(24), *late_before = malloc(24);
        if (late_from)
            snprintf(late_from, 24, "%lld", (long long)first_p.start_ms);
        if (late_before)
            snprintf(late_before, 24, "%lld", (long long)cur_month.start_ms);
        if (!ops_keep(&o, late_from) || !ops_keep(&o, late_before) ||
            ops_add(&o, "hset", "meta", "late_from", 9, late_from, strlen(late_from)) ||
            ops_add(&o, "hset", "meta", "late_before", 11, late_before, strlen(late_before))) {
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            goto out;
        }
        char *idx_text = malloc(24), *first_out = malloc(24);
        if (idx_text)
            snprintf(idx_text, 24, "%lld", (long long)(idx > last_tick ? idx : last_tick));
        if (first_out)
            snprintf(first_out, 24, "%lld", (long long)first);
        if (!ops_keep(&o, idx_text) || !ops_keep(&o, first_out) ||
            ops_add(&o, "hset", "meta", "tick", 4, idx_text, strlen(idx_text)) ||
            ops_add(&o, "hset", "meta", "first_month", 11, first_out, strlen(first_out))) {
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (!o.n)
        goto out;
    char token[128], outcome[256];
    snprintf(token, sizeof token, "%s:%lld", e->holder, (long long)++e->token_seq);
    if ((rc = cqe_redis_out_commit(e->r, e->ns, e->holder, token, e->cfg->output_stream_max, o.v, o.n,
                                   outcome, sizeof outcome, err)))
        goto out;
    if (!strcmp(outcome, "lost")) {
        e->held = false;
        fprintf(stderr, "run: output: the lease passed to another worker; this one stops emitting\n");
    } else if (!strncmp(outcome, "conflict", 8)) {
        fprintf(stderr, "run: output: kept state moved under this pass (%s); deciding again\n", outcome);
    } else {
        pthread_mutex_lock(&e->mu);
        e->st.ticks += tick;
        e->st.snapshots += (int64_t)t.snapshots;
        e->st.revised += (int64_t)t.revised;
        e->st.alerts += (int64_t)ch.records;
        pthread_mutex_unlock(&e->mu);
    }
out:
    pthread_mutex_lock(&e->mu);
    e->st.passes++;
    e->st.last_pass_ms = cqe_mono_ms() - t0;
    pthread_mutex_unlock(&e->mu);
    ops_free(&o);
    cqe_alert_changes_free(&ch);
    cqe_tick_out_free(&t);
    cqe_view_free(view);
    cqe_store_free(store);
    cqe_redis_strs_free(&meta);
    return rc;
}

/* ---------------------------------------------------------------- delivery */

/* Entries of a stream after id (exclusive; "" = from the start): flat id, "r", record,
 * "k", key, ... */
static int read_after(struct cqe_emitter *e, int s, const char *after, struct cqe_redis_strs *out,
                      struct cqe_err *err)
{
    char from[ID_MAX + 2];
    snprintf(from, sizeof from, "%s%s", *after ? "(" : "", *after ? after : "-");
    char count[16];
    snprintf(count, sizeof count, "%d", DELIVER_BATCH);
    const char *argv[] = {"XRANGE", stream_names[s], from, "+", "COUNT", count};
    return cqe_redis_out_command(e->r, e->ns, 6, argv, NULL, 1u << 1, out, err);
}

/* The fields of stream entry j of a flat XRANGE reply (5 strings per entry). */
static void entry(const struct cqe_redis_strs *x, size_t j, const char **id, const char **rec,
                  size_t *rec_len, const char **key, size_t *key_len)
{
    *id = x->v[5 * j] ? x->v[5 * j] : "";
    *rec = x->v[5 * j + 2] ? x->v[5 * j + 2] : "";
    *rec_len = x->len[5 * j + 2];
    *key = x->v[5 * j + 4] ? x->v[5 * j + 4] : "";
    *key_len = x->len[5 * j + 4];
}

static int deliver_kafka(struct cqe_emitter *e, int s, bool *more, struct cqe_err *err)
{
    struct cqe_redis_strs x = {0};
    int rc = read_after(e, s, e->s[s].kafka, &x, err);
    size_t n = rc ? 0 : x.n / 5;
    const char *topic = cqe_config_topic(e->cfg, s == 3 ? "alerts" : "snapshots");
    for (size_t j = 0; !rc && j < n; j++) {
        const char *id, *rec, *key;
        size_t rl, kl;
        entry(&x, j, &id, &rec, &rl, &key, &kl);
        if ((rc = cqe_output_kafka_send(e->k, topic, key, kl, rec, rl, err)))
            e->out_failed = true;
    }
    if (!rc && n && (rc = cqe_output_kafka_wait(e->k, KAFKA_WAIT_MS, err)))
        e->out_failed = true;
    if (!rc && n) {
        const char *last = x.v[5 * (n - 1)];
        if (!(rc = hset(e, "cursor",
                        s == 0   ? "kafka:snapshots"
                        : s == 1 ? "kafka:services"
                        : s == 2 ? "kafka:depts"
                                 : "kafka:alerts",
                        last, err))) {
            snprintf(e->s[s].kafka, ID_MAX, "%s", last);
            pthread_mutex_lock(&e->mu);
            e->st.delivered_kafka += (int64_t)n;
            pthread_mutex_unlock(&e->mu);
        }
    }
    *more = !rc && n == (size_t)DELIVER_BATCH;
    cqe_redis_strs_free(&x);
    return rc;
}

static int deliver_files(struct cqe_emitter *e, int s, bool *more, struct cqe_err *err)
{
    struct emitter_stream *st = &e->s[s];
    struct cqe_redis_strs x = {0};
    int64_t now = cqe_wall_ms();
    int rc = read_after(e, s, st->queued, &x, err);
    size_t n = rc ? 0 : x.n / 5;
    for (size_t j = 0; !rc && j < n; j++) {
        const char *id, *rec, *key;
        size_t rl, kl;
        entry(&x, j, &id, &rec, &rl, &key, &kl);
        if (!(rc = cqe_lake_append(st->files, rec, rl, id, now, err))) {
            snprintf(st->queued, ID_MAX, "%s", id);
            st->open_records++;
        } else
            e->out_failed = true;
    }
    if (!rc && (rc = cqe_lake_roll(st->files, now, false, err)))
        e->out_failed = true;
    const char *durable = cqe_lake_durable_id(st->files);
    if (durable && strcmp(durable, st->lake)) {
        char cur[24];
        snprintf(cur, sizeof cur, "lake:%s", stream_names[s]);
        int hrc = hset(e, "cursor", cur, durable, err);
        if (!hrc) {
            snprintf(st->lake, ID_MAX, "%s", durable);
            if (!strcmp(durable, st->queued)) { /* every record appended is in a closed file */
                pthread_mutex_lock(&e->mu);
                e->st.delivered_files += st->open_records;
                pthread_mutex_unlock(&e->mu);
                st->open_records = 0;
            }
        }
        rc = rc ? rc : hrc;
    }
    if (rc && e->out_failed) { /* the open file is gone: what it held is appended again */
        cqe_lake_discard(st->files);
        st->open_records = 0;
        memcpy(st->queued, st->lake, ID_MAX);
    }
    *more = !rc && n == (size_t)DELIVER_BATCH;
    cqe_redis_strs_free(&x);
    return rc;
}

static int load_cursors(struct cqe_emitter *e, struct cqe_err *err)
{
    struct cqe_redis_strs c = {0};
    int rc = hgetall(e, "cursor", &c, err);
    for (int s = 0; !rc && s < N_STREAMS; s++) {
        char f[24];
        snprintf(f, sizeof f, "kafka:%s", stream_names[s]);
        const char *v = field_of(&c, f);
        snprintf(e->s[s].kafka, ID_MAX, "%s", v ? v : "");
        snprintf(f, sizeof f, "lake:%s", stream_names[s]);
        v = field_of(&c, f);
        snprintf(e->s[s].lake, ID_MAX, "%s", v ? v : "");
        memcpy(e->s[s].queued, e->s[s].lake, ID_MAX);
        if (e->s[s].files)
            cqe_lake_discard(e->s[s].files);
    }
    cqe_redis_strs_free(&c);
    e->cursors_loaded = !rc;
    return rc;
}

/* Delivers what the streams hold past the cursors. Output failures are reported and
 * retried after RETRY_MS; only Redis errors are returned. */
static int deliver(struct cqe_emitter *e, struct cqe_err *err)
{
    int64_t now = cqe_mono_ms();
    if (now < e->retry_at)
        return 0;
    if (!e->cursors_loaded) {
        int rc = load_cursors(e, err);
        if (rc)
            return rc;
    }
    bool kafka_bad = false, files_bad = false;
    struct cqe_err oerr = {0};
    for (int s = 0; s < N_STREAMS; s++) {
        bool more = true;
        for (int round = 0; more && e->k && round < 20 && !kafka_bad; round++) {
            e->out_failed = false;
            int rc = deliver_kafka(e, s, &more, &oerr);
            if (rc && !e->out_failed)
                return *err = oerr, rc; /* Redis: the caller reports it */
            kafka_bad = rc != 0;
        }
        more = true;
        for (int round = 0; more && e->s[s].files && round < 20 && !files_bad; round++) {
            e->out_failed = false;
            int rc = deliver_files(e, s, &more, &oerr);
            if (rc && !e->out_failed)
                return *err = oerr, rc;
            files_bad = rc != 0;
        }
    }
    say_once(&e->failing_kafka, kafka_bad, "Kafka", &oerr);
    say_once(&e->failing_files, files_bad, "lake files", &oerr);
    atomic_store(&e->blocked, kafka_bad || files_bad);
    if (kafka_bad || files_bad)
        e->retry_at = now + RETRY_MS;
    return 0;
}

/* ---------------------------------------------------------------- the role */

static int take_lease(struct cqe_emitter *e, struct cqe_err *err)
{
    int64_t now = cqe_mono_ms();
    if (now - e->lease_at < LEASE_RENEW_MS && e->lease_at)
        return 0;
    bool held = false, was = e->held;
    int rc = cqe_redis_out_lease(e->r, e->ns, e->holder, LEASE_TTL_MS, false, &held, err);
    if (rc)
        return rc;
    e->lease_at = now;
    e->held = held;
    if (held && !was) {
        fprintf(stderr, "run: output: this worker holds the output role (%s)\n", e->holder);
        e->cursors_loaded = false;
        e->have_pos = false;
    }
    pthread_mutex_lock(&e->mu);
    e->st.holder = held;
    pthread_mutex_unlock(&e->mu);
    return 0;
}

static int step_once(struct cqe_emitter *e, bool final, struct cqe_err *err)
{
    int rc = take_lease(e, err);
    if (rc || !e->held)
        return rc;
    int64_t now = cqe_mono_ms();
    /* while an output fails nothing new is decided: the streams' backlog stays what it
     * was, so their cap cannot trim what was never delivered */
    if (final || (now >= e->next_pass && !atomic_load(&e->blocked))) {
        rc = run_pass(e, final, err);
        /* passes take at most a tenth of the time: state too large to read every
         * alert_pass_ms is read less often (alerts then wait longer, ingest does not) */
        int64_t took = cqe_mono_ms() - now;
        e->next_pass = cqe_mono_ms() + (9 * took > e->pass_ms ? 9 * took : e->pass_ms);
        pthread_mutex_lock(&e->mu);
        e->st.pass_ms_total += took;
        pthread_mutex_unlock(&e->mu);
        if (rc)
            return rc;
    }
    return e->held ? deliver(e, err) : 0;
}

int cqe_emitter_step(struct cqe_emitter *e, bool final, struct cqe_err *err)
{
    int rc = step_once(e, final, err);
    e->redis_out = rc != 0;
    struct cqe_redis_health h;
    cqe_redis_health(e->r, &h);
    pthread_mutex_lock(&e->mu);
    e->st.redis_errors = h.errors;
    e->st.redis_retries = h.retries;
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int cqe_emitter_failed(struct cqe_emitter *e, struct cqe_err *err)
{
    if (!e || !atomic_load(&e->thread_done))
        return 0;
    if (e->thread_rc)
        *err = e->thread_err;
    return e->thread_rc;
}

bool cqe_emitter_blocked(const struct cqe_emitter *e)
{
    return e && atomic_load(&e->blocked);
}

void cqe_emitter_stats(const struct cqe_emitter *e, struct cqe_emitter_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!e)
        return;
    pthread_mutex_lock((pthread_mutex_t *)&e->mu);
    *out = e->st;
    pthread_mutex_unlock((pthread_mutex_t *)&e->mu);
}

int cqe_emitter_open(const struct cqe_emitter_conf *c, struct cqe_emitter **out, struct cqe_err *err)
{
    struct cqe_emitter *e = calloc(1, sizeof *e);
    char host[64] = "";
    if (!e)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    pthread_mutex_init(&e->mu, NULL);
    e->cfg = c->cfg;
    e->model = c->model;
    e->ns = CQE_REDIS_NS;
    e->n_parts = c->n_parts;
    e->pass_ms = c->pass_ms > 0 ? c->pass_ms : 250;
    gethostname(host, sizeof host - 1);
    for (char *p = host; *p; p++)
        if (*p == '/' || *p == ' ' || *p == ':')
            *p = '_';
    snprintf(e->holder, sizeof e->holder, "%s-%ld-%llx", host, (long)getpid(),
             (unsigned long long)(cqe_wall_ms() & 0xffffffffffULL));
    *out = e;
    struct cqe_redis_conf rconf = c->cfg->redis;
    if (c->state_url)
        rconf.url = (char *)c->state_url;
    int rc = cqe_redis_connect(&rconf, &e->r, err);
    if (!rc) /* short: a step that failed is simply tried again; stopping never waits long */
        cqe_redis_set_retry(e->r, 2000);
    if (!rc && c->kafka) {
        struct cqe_output_kafka_conf kc = {c->cfg->kafka, c->bootstrap};
        rc = cqe_output_kafka_open(&kc, &e->k, err);
    }
    for (int s = 0; !rc && c->cfg->output_dir && s < N_STREAMS; s++) {
        struct cqe_lake_conf lc = {c->cfg->output_dir,
                                   stream_names[s],
                                   e->holder,
                                   c->cfg->utc_offset_min,
                                   c->cfg->output_roll_s * 1000,
                                   (uint64_t)c->cfg->output_max_bytes};
        rc = cqe_lake_open(&lc, &e->s[s].files, err);
    }
    if (rc) {
        cqe_emitter_close(e, 0);
        *out = NULL;
    }
    return rc;
}

void cqe_emitter_close(struct cqe_emitter *e, int64_t wait_ms)
{
    if (!e)
        return;
    struct cqe_err err = {0};
    if (e->held && e->r && !e->redis_out) {
        deliver(e, &err);
        for (int s = 0; s < N_STREAMS; s++) {
            if (!e->s[s].files)
                continue;
            if (cqe_lake_roll(e->s[s].files, cqe_wall_ms(), true, &err))
                fprintf(stderr, "run: output: %s\n", err.msg);
            const char *durable = cqe_lake_durable_id(e->s[s].files);
            char cur[24];
            snprintf(cur, sizeof cur, "lake:%s", stream_names[s]);
            if (durable && strcmp(durable, e->s[s].lake) && hset(e, "cursor", cur, durable, &err))
                fprintf(stderr, "run: output: %s\n", err.msg);
        }
        bool held;
        cqe_redis_out_lease(e->r, e->ns, e->holder, LEASE_TTL_MS, true, &held, &err);
    }
    for (int s = 0; s < N_STREAMS; s++)
        cqe_lake_free(e->s[s].files);
    cqe_output_kafka_close(e->k, wait_ms);
    for (int i = 0; e->pos && i < e->n_parts; i++)
        free(e->pos[i]);
    free(e->pos);
    cqe_redis_free(e->r);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

/* ---------------------------------------------------------------- the thread */

static void *thread_main(void *arg)
{
    struct cqe_emitter *e = arg;
    bool out = false;
    while (!atomic_load(&e->stop)) {
        struct cqe_err err = {0};
        int rc = cqe_emitter_step(e, false, &err);
        if (rc == CQE_EDENIED || rc == CQE_ENOMEM) {
            e->thread_rc = rc;
            e->thread_err = err;
            atomic_store(&e->thread_done, true);
            return NULL;
        }
        if (rc && !out)
            fprintf(stderr, "run: output: %s; retrying\n", err.msg);
        out = rc != 0;
        cqe_sleep_ms(rc ? 500 : 50);
    }
    if (atomic_load(&e->stop) == 2) {
        struct cqe_err err = {0};
        e->next_pass = 0;
        e->lease_at = 0;
        int rc = cqe_emitter_step(e, true, &err);
        if (rc) {
            e->thread_rc = rc;
            e->thread_err = err;
        }
    }
    return NULL;
}

int cqe_emitter_start(struct cqe_emitter *e, struct cqe_err *err)
{
    if (pthread_create(&e->thread, NULL, thread_main, e))
        return cqe_err_set(err, CQE_ENOMEM, "cannot start the output thread");
    e->running = true;
    return 0;
}

int cqe_emitter_stop(struct cqe_emitter *e, bool final, struct cqe_err *err)
{
    if (!e || !e->running)
        return 0;
    atomic_store(&e->stop, final ? 2 : 1);
    pthread_join(e->thread, NULL);
    e->running = false;
    if (e->thread_rc)
        *err = e->thread_err;
    return e->thread_rc;
}
