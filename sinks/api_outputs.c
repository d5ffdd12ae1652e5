/* The outputs loader: reads what the output role emitted (docs/outputs.md, "Redis keys")
 * into memory, once a poll when the role applied a decision (meta field `token` moved):
 * the latest snapshot of each (target, period) named by the `rev` hash (only the changed
 * ones), the new entries of the `snapshots` stream as history points, the new entries of
 * the `alerts` stream and the `alert` hash (what fires now). */
#include "api_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

#define PAGE "500"
#define PAGE_N 500
#define MGET_BATCH 63 /* keys per MGET: key_mask has 64 bits, argv[0] is MGET */

/* ---- sorted arrays */

static int snap_cmp(const struct api_snap *s, const char *target, const char *period)
{
    int c = strcmp(s->target, target);
    return c ? c : strcmp(s->period, period);
}

/* Index of the first element not below the key (n when none). */
static size_t snap_lb(const struct api_snap *v, size_t n, const char *target, const char *period)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (snap_cmp(&v[mid], target, period) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct api_snap *api_snap_find(const struct api_outputs *o, const char *target, const char *period)
{
    size_t i = snap_lb(o->snaps, o->n_snaps, target, period);
    return i < o->n_snaps && !snap_cmp(&o->snaps[i], target, period) ? &o->snaps[i] : NULL;
}

/* Lower bound by a string key at offset `off` of elements of `size` bytes. */
static size_t key_lb(const void *base, size_t n, size_t size, size_t off, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = *(char *const *)((const char *)base + mid * size + off);
        if (strcmp(k, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct api_series *api_series_find(const struct api_outputs *o, const char *target, const char *period)
{
    char key[512];
    snprintf(key, sizeof key, "%s|%s", target, period);
    size_t i = key_lb(o->series, o->n_series, sizeof *o->series, offsetof(struct api_series, key), key);
    return i < o->n_series && !strcmp(o->series[i].key, key) ? &o->series[i] : NULL;
}

static void snaps_free(struct api_snap *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].target);
        free(v[i].period);
        free(v[i].text);
        free(v[i].rev);
    }
    free(v);
}

void api_outputs_free(struct api_outputs *o)
{
    snaps_free(o->snaps, o->n_snaps);
    for (size_t i = 0; i < o->n_series; i++) {
        free(o->series[i].key);
        free(o->series[i].pts);
    }
    free(o->series);
    for (size_t i = 0; i < o->n_firing; i++) {
        free(o->firing[i].id);
        free(o->firing[i].text);
    }
    free(o->firing);
    for (size_t i = 0; i < o->n_recent; i++)
        free(o->recent[i]);
    free(o->recent);
    memset(o, 0, sizeof *o);
}

/* ---- reading a record */

static int64_t record_time(const json_t *rec, const char *key)
{
    const char *t = json_string_value(json_object_get(rec, key));
    int64_t ms = 0;
    if (!t || cqe_time_parse_rfc3339(t, strlen(t), &ms))
        return 0;
    return ms;
}

static struct cqe_opt num_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? (struct cqe_opt){true, json_number_value(v)} : (struct cqe_opt){false, 0};
}

/* ---- the latest snapshots, named by the rev hash */

struct loader {
    struct cqe_api *a;
    char token[256];      /* meta token of the last read */
    char snap_cursor[48]; /* last stream ids read */
    char alert_cursor[48];
};

static int out_cmd(struct loader *L, size_t argc, const char *const *argv, uint64_t mask,
                   struct cqe_redis_strs *rep, struct cqe_err *err)
{
    return cqe_redis_out_command(L->a->outputs.r, CQE_REDIS_NS, argc, argv, NULL, mask, rep, err);
}

/* Fills the new snapshot entries whose text is NULL with MGET, batch by batch. */
static int fetch_texts(struct loader *L, struct api_snap *v, size_t n, struct cqe_err *err)
{
    const char *argv[MGET_BATCH + 1];
    char *names[MGET_BATCH];
    size_t idx[MGET_BATCH];
    int rc = 0;
    size_t i = 0;
    while (i < n && !rc) {
        size_t k = 0;
        argv[0] = "MGET";
        for (; i < n && k < MGET_BATCH; i++) {
            if (v[i].text)
                continue;
            size_t len = strlen(v[i].target) + strlen(v[i].period) + 16;
            if (!(names[k] = malloc(len))) {
                rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
                break;
            }
            snprintf(names[k], len, "snapshot:%s:%s", v[i].target, v[i].period);
            argv[k + 1] = names[k];
            idx[k++] = i;
        }
        if (k && !rc) {
            struct cqe_redis_strs rep = {0};
            uint64_t mask = ((k == 63 ? ~0ull : ((1ull << (k + 1)) - 1))) & ~1ull;
            rc = out_cmd(L, k + 1, argv, mask, &rep, err);
            for (size_t j = 0; !rc && j < k && j < rep.n; j++)
                if (rep.v[j] && !(v[idx[j]].text = strdup(rep.v[j])))
                    rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            cqe_redis_strs_free(&rep);
        }
        for (size_t j = 0; j < k; j++)
            free(names[j]);
    }
    return rc;
}

/* Reads the rev hash and the snapshots whose revision moved; swaps the new list in. */
static int read_snapshots(struct loader *L, struct cqe_err *err)
{
    struct cqe_api *a = L->a;
    const char *argv[] = {"HGETALL", "rev"};
    struct cqe_redis_strs rep = {0};
    int rc = out_cmd(L, 2, argv, 2, &rep, err);
    size_t n = 0;
    struct api_snap *v = NULL;
    if (rc)
        goto out;
    if (!(v = calloc(rep.n / 2 + 1, sizeof *v))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i + 1 < rep.n; i += 2) {
        const char *f = rep.v[i], *bar = f ? strrchr(f, '|') : NULL;
        if (!bar || !rep.v[i + 1])
            continue;
        struct api_snap *s = &v[n];
        s->target = strndup(f, (size_t)(bar - f));
        s->period = strdup(bar + 1);
        s->rev = strdup(rep.v[i + 1]);
        if (!s->target || !s->period || !s->rev) {
            n++;
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            goto out;
        }
        n++;
        /* unchanged revision: the text read before (only this thread writes snaps) */
        const struct api_snap *old = api_snap_find(&a->out, s->target, s->period);
        if (old && !strcmp(old->rev, s->rev) && !(s->text = strdup(old->text))) {
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            goto out;
        }
        if (old && s->text)
            s->as_of = old->as_of;
    }
    if ((rc = fetch_texts(L, v, n, err)))
        goto out;
    size_t m = 0;
    int64_t latest = 0;
    for (size_t i = 0; i < n; i++) { /* drop keys gone meanwhile; parse as_of */
        if (!v[i].text) {
            free(v[i].target), free(v[i].period), free(v[i].rev);
            continue;
        }
        if (!v[i].as_of) {
            json_t *rec = json_loads(v[i].text, 0, NULL);
            v[i].as_of = record_time(rec, "as_of");
            json_decref(rec);
        }
        if (v[i].as_of > latest)
            latest = v[i].as_of;
        v[m++] = v[i];
    }
    n = m;
    /* sorted by (target, period) */
    for (size_t i = 1; i < n; i++) {
        struct api_snap x = v[i];
        size_t j = i;
        while (j > 0 && snap_cmp(&v[j - 1], x.target, x.period) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    pthread_mutex_lock(&a->lock);
    struct api_snap *old = a->out.snaps;
    size_t n_old = a->out.n_snaps;
    a->out.snaps = v;
    a->out.n_snaps = n;
    a->out.latest_as_of = latest;
    pthread_mutex_unlock(&a->lock);
    v = old;
    n = n_old;
out:
    snaps_free(v, n);
    cqe_redis_strs_free(&rep);
    return rc;
}

/* ---- the streams, read from the last id */

/* Calls fn for the record of each new entry of stream (field r), in order, a page at a
 * time, holding the API's lock during each page's calls. */
static int read_stream(struct loader *L, const char *stream, char cursor[48],
                       int (*fn)(struct cqe_api *a, json_t *rec, const char *text), struct cqe_err *err)
{
    struct cqe_api *a = L->a;
    for (;;) {
        char start[56];
        snprintf(start, sizeof start, cursor[0] ? "(%s" : "-", cursor);
        const char *argv[] = {"XRANGE", stream, start, "+", "COUNT", PAGE};
        struct cqe_redis_strs rep = {0};
        int rc = out_cmd(L, 6, argv, 2, &rep, err);
        if (rc)
            return rc;
        if (rep.n % 5) { /* id, "r", record, "k", key per entry (out_commit.lua) */
            cqe_redis_strs_free(&rep);
            return cqe_err_set(err, CQE_EIO,
                               "%s:{out}:%s: entries are not (r, k) pairs as out_commit.lua writes",
                               CQE_REDIS_NS, stream);
        }
        size_t entries = rep.n / 5;
        pthread_mutex_lock(&a->lock);
        for (size_t i = 0; i < rep.n && !rc; i += 5) {
            const char *text = rep.v[i + 2];
            json_t *rec = text ? json_loads(text, 0, NULL) : NULL;
            if (rec)
                rc = fn(a, rec, text);
            json_decref(rec);
            if (rep.v[i])
                snprintf(cursor, 48, "%s", rep.v[i]);
        }
        pthread_mutex_unlock(&a->lock);
        cqe_redis_strs_free(&rep);
        if (rc)
            return cqe_err_set(err, rc, "out of memory");
        if (entries < PAGE_N)
            return 0;
    }
}

/* Appends a point to the series of the record's (target, period). Under the lock. */
static int add_point(struct cqe_api *a, json_t *rec, const char *text)
{
    (void)text;
    struct api_outputs *o = &a->out;
    const char *target = json_string_value(json_object_get(rec, "target"));
    const char *period = json_string_value(json_object_get(rec, "period"));
    if (!target || !period)
        return 0;
    char key[512];
    snprintf(key, sizeof key, "%s|%s", target, period);
    size_t i = key_lb(o->series, o->n_series, sizeof *o->series, offsetof(struct api_series, key), key);
    if (i == o->n_series || strcmp(o->series[i].key, key)) {
        struct api_series *v = realloc(o->series, (o->n_series + 1) * sizeof *v);
        if (!v)
            return CQE_ENOMEM;
        o->series = v;
        char *k = strdup(key);
        if (!k)
            return CQE_ENOMEM;
        memmove(&v[i + 1], &v[i], (o->n_series - i) * sizeof *v);
        memset(&v[i], 0, sizeof v[i]);
        v[i].key = k;
        o->n_series++;
    }
    struct api_series *s = &o->series[i];
    if (s->n == API_SERIES_KEEP) { /* keep every other point (and the last) */
        size_t m = 0;
        for (size_t j = 0; j < s->n; j += 2)
            s->pts[m++] = s->pts[j];
        if (s->pts[m - 1].as_of != s->pts[s->n - 1].as_of)
            s->pts[m++] = s->pts[s->n - 1];
        s->n = m;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct api_point *p = realloc(s->pts, cap * sizeof *p);
        if (!p)
            return CQE_ENOMEM;
        s->pts = p;
        s->cap = cap;
    }
    const json_t *fig = json_object_get(rec, "figures");
    struct api_point *p = &s->pts[s->n++];
    memset(p, 0, sizeof *p);
    p->as_of = record_time(rec, "as_of");
    p->revision = json_integer_value(json_object_get(rec, "revision"));
    p->score = num_of(rec, "score");
    p->availability = num_of(fig, "availability");
    p->cpu_mean = num_of(fig, "cpu_mean");
    p->mem_mean = num_of(fig, "mem_mean");
    const char *g = json_string_value(json_object_get(rec, "grade"));
    snprintf(p->grade, sizeof p->grade, "%s", g ? g : "");
    return 0;
}

/* ---- alerts */

static size_t firing_lb(const struct api_outputs *o, const char *id)
{
    return key_lb(o->firing, o->n_firing, sizeof *o->firing, offsetof(struct api_alert, id), id);
}

static void firing_remove(struct api_outputs *o, size_t i)
{
    free(o->firing[i].id);
    free(o->firing[i].text);
    memmove(&o->firing[i], &o->firing[i + 1], (o->n_firing - i - 1) * sizeof *o->firing);
    o->n_firing--;
}

/* Sets the firing record of id to text (copied). Under the lock. */
static int firing_put(struct api_outputs *o, const char *id, const char *text)
{
    size_t i = firing_lb(o, id);
    char *t = strdup(text);
    if (!t)
        return CQE_ENOMEM;
    if (i < o->n_firing && !strcmp(o->firing[i].id, id)) {
        free(o->firing[i].text);
        o->firing[i].text = t;
        return 0;
    }
    struct api_alert *v = realloc(o->firing, (o->n_firing + 1) * sizeof *v);
    char *k = strdup(id);
    if (v)
        o->firing = v;
    if (!v || !k) {
        free(t);
        free(k);
        return CQE_ENOMEM;
    }
    memmove(&v[i + 1], &v[i], (o->n_firing - i) * sizeof *v);
    v[i].id = k;
    v[i].text = t;
    o->n_firing++;
    return 0;
}

/* One alert record of the stream: the recent ring, and what fires. Under the lock. */
static int add_alert(struct cqe_api *a, json_t *rec, const char *text)
{
    struct api_outputs *o = &a->out;
    if (!o->recent && !(o->recent = calloc(API_RECENT_KEEP, sizeof *o->recent)))
        return CQE_ENOMEM;
    char *t = strdup(text);
    if (!t)
        return CQE_ENOMEM;
    if (o->n_recent == API_RECENT_KEEP) {
        free(o->recent[o->recent_head]);
        o->recent[o->recent_head] = t;
        o->recent_head = (o->recent_head + 1) % API_RECENT_KEEP;
    } else
        o->recent[o->n_recent++] = t;
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *state = json_string_value(json_object_get(rec, "state"));
    if (!id || !state)
        return 0;
    if (!strcmp(state, "firing"))
        return firing_put(o, id, text);
    size_t i = firing_lb(o, id);
    if (i < o->n_firing && !strcmp(o->firing[i].id, id))
        firing_remove(o, i);
    return 0;
}

static int str_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The record of an alert the hash holds whose firing record the stream no longer has
 * (trimmed before serve started): what the kept state says. */
static char *synthesize(const char *field, const json_t *st, int offset_min)
{
    const char *bar = strchr(field, '|');
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("alert"));
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "id", json_copy(json_object_get(st, "id")));
    json_object_set_new(o, "state", json_string("firing"));
    json_object_set_new(o, "rule", bar ? json_stringn(field, (size_t)(bar - field)) : json_string(field));
    json_object_set_new(o, "service", json_string(bar ? bar + 1 : ""));
    const json_t *since = json_object_get(st, "since");
    if (json_is_integer(since)) {
        char buf[48];
        cqe_time_format(json_integer_value(since), offset_min, buf, sizeof buf);
        json_object_set_new(o, "since", json_string(buf));
    }
    json_object_set_new(o, "partial", json_true());
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Keeps in firing exactly the ids the alert hash holds. */
static int read_alert_hash(struct loader *L, struct cqe_err *err)
{
    struct cqe_api *a = L->a;
    const char *argv[] = {"HGETALL", "alert"};
    struct cqe_redis_strs rep = {0};
    int rc = out_cmd(L, 2, argv, 2, &rep, err);
    if (rc)
        return rc;
    size_t n = rep.n / 2, m = 0;
    char **ids = calloc(n + 1, sizeof *ids);
    json_t **st = calloc(n + 1, sizeof *st);
    if (!ids || !st) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        st[i] = rep.v[2 * i + 1] ? json_loads(rep.v[2 * i + 1], 0, NULL) : NULL;
        const char *id = json_string_value(json_object_get(st[i], "id"));
        if (id)
            ids[m++] = (char *)id;
    }
    qsort(ids, m, sizeof *ids, str_cmp);
    pthread_mutex_lock(&a->lock);
    struct api_outputs *o = &a->out;
    for (size_t i = o->n_firing; i-- > 0;)
        if (!bsearch(&o->firing[i].id, ids, m, sizeof *ids, str_cmp))
            firing_remove(o, i);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *id = json_string_value(json_object_get(st[i], "id"));
        size_t j = id ? firing_lb(o, id) : 0;
        if (!id || (j < o->n_firing && !strcmp(o->firing[j].id, id)))
            continue;
        char *text = synthesize(rep.v[2 * i], st[i], a->o.cfg->utc_offset_min);
        rc = text ? firing_put(o, id, text) : CQE_ENOMEM;
        free(text);
    }
    pthread_mutex_unlock(&a->lock);
    if (rc)
        rc = cqe_err_set(err, rc, "out of memory");
out:
    for (size_t i = 0; st && i < n; i++)
        json_decref(st[i]);
    free(st);
    free(ids);
    cqe_redis_strs_free(&rep);
    return rc;
}

/* ---- the loop */

static int read_round(struct loader *L, struct cqe_err *err)
{
    struct cqe_api *a = L->a;
    int rc = api_loader_connect(a, &a->outputs, err);
    if (rc)
        return rc;
    const char *argv[] = {"HGET", "meta", "token"};
    struct cqe_redis_strs rep = {0};
    if ((rc = out_cmd(L, 3, argv, 2, &rep, err)))
        return rc;
    char token[256];
    snprintf(token, sizeof token, "%s", rep.n && rep.v[0] ? rep.v[0] : "");
    cqe_redis_strs_free(&rep);
    pthread_mutex_lock(&a->lock);
    bool ready = a->out.ready;
    pthread_mutex_unlock(&a->lock);
    if (ready && !strcmp(token, L->token))
        return 0; /* no decision applied since the last read */
    if ((rc = read_snapshots(L, err)) || (rc = read_stream(L, "snapshots", L->snap_cursor, add_point, err)) ||
        (rc = read_stream(L, "alerts", L->alert_cursor, add_alert, err)) || (rc = read_alert_hash(L, err)))
        return rc;
    snprintf(L->token, sizeof L->token, "%s", token);
    pthread_mutex_lock(&a->lock);
    a->out.ready = true;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

void *api_outputs_main(void *arg)
{
    struct loader L = {.a = arg};
    struct cqe_api *a = L.a;
    do {
        struct cqe_err err = {0};
        int rc = read_round(&L, &err);
        api_loader_done(a, &a->outputs, rc, &err);
        pthread_mutex_lock(&a->lock);
        a->polls++;
        if (!rc)
            a->last_poll_done = api_wall_ms();
        pthread_mutex_unlock(&a->lock);
    } while (!api_loader_sleep(a, a->o.poll_ms));
    return NULL;
}
