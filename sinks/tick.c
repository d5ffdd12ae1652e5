/* A tick's decisions (see tick.h), over the records snapshots.c emits. */
#include "tick.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshots.h"

void cqe_tick_out_free(struct cqe_tick_out *o)
{
    for (size_t i = 0; i < o->n; i++) {
        struct cqe_tick_record *r = &o->v[i];
        free(r->key);
        free(r->text);
        free(r->rev_field);
        free(r->rev_before);
        free(r->rev_after);
        free(r->latest);
    }
    free(o->v);
    memset(o, 0, sizeof *o);
}

/* What the record callback knows about the period being emitted. */
struct tick_ctx {
    const struct cqe_period *period;
    cqe_tick_counters_fn counters;
    void *counters_arg;
    const struct cqe_strmap *kept;
    char *const *revs;
    bool current;
    bool any; /* a snapshot of this period goes out */
    struct cqe_tick_out *out;
};

static struct cqe_tick_record *next_record(struct cqe_tick_out *o)
{
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        struct cqe_tick_record *v = realloc(o->v, nc * sizeof *v);
        if (!v)
            return NULL;
        o->v = v;
        o->cap = nc;
    }
    struct cqe_tick_record *r = &o->v[o->n++];
    memset(r, 0, sizeof *r);
    return r;
}

/* 16 hex digits of SHA-256 over the record's figures: every key but as_of, revision
 * and counters, in key order. Hashed as Jansson writes it (reals at 17 digits), not as
 * the record goes out: the hashes kept in Redis stay valid across versions. */
static int content_hash(json_t *rec, char out[17])
{
    json_t *c = json_copy(rec);
    if (!c)
        return CQE_ENOMEM;
    json_object_del(c, "as_of");
    json_object_del(c, "revision");
    json_object_del(c, "counters");
    char *text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(c);
    if (!text)
        return CQE_ENOMEM;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
    free(text);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", ok ? md[i] : 0);
    return 0;
}

static int take_snapshot(struct tick_ctx *t, json_t *rec)
{
    const char *target = json_string_value(json_object_get(rec, "target"));
    const char *period = json_string_value(json_object_get(rec, "period"));
    char field[512], hash[17], after[64];
    int n = snprintf(field, sizeof field, "%s|%s", target ? target : "", period ? period : "");
    if (n < 0 || (size_t)n >= sizeof field)
        return 0; /* ids this long are refused by the contract */
    size_t i = cqe_strmap_find(t->kept, field, (size_t)n);
    const char *before = i == SIZE_MAX ? "" : t->revs[i];
    long long rev = 0;
    char kept_hash[17] = "";
    if (*before && sscanf(before, "%lld %16s", &rev, kept_hash) != 2)
        rev = 0, kept_hash[0] = '\0'; /* unreadable: decided afresh */
    int rc = content_hash(rec, hash);
    if (rc)
        return rc;
    bool changed = strcmp(hash, kept_hash) != 0;
    if (!changed && !t->current)
        return 0;
    if (changed)
        rev++;
    json_object_set_new(rec, "revision", json_integer(rev));
    struct cqe_counters c = {0};
    if (t->counters)
        t->counters(t->counters_arg, target ? target : "", t->period, &c);
    json_object_set_new(rec, "counters",
                        json_pack("{s:I,s:I,s:I,s:I}", "events", (json_int_t)c.events, "dead_letters",
                                  (json_int_t)c.dead_letters, "duplicates", (json_int_t)c.duplicates, "late",
                                  (json_int_t)c.late));
    struct cqe_tick_record *r = next_record(t->out);
    if (!r)
        return CQE_ENOMEM;
    snprintf(after, sizeof after, "%lld %s", rev, hash);
    r->stream = "snapshots";
    r->key = strdup(target ? target : "");
    r->text = cqe_record_dumps(rec);
    if (changed) {
        r->rev_field = strdup(field);
        r->rev_before = strdup(before);
        r->rev_after = strdup(after);
    }
    char latest[600];
    snprintf(latest, sizeof latest, "snapshot:%s:%s", target ? target : "", period ? period : "");
    r->latest = strdup(latest);
    t->any = true;
    t->out->snapshots++;
    t->out->revised += changed;
    if (!r->key || !r->text || !r->latest || (changed && (!r->rev_field || !r->rev_before || !r->rev_after)))
        return CQE_ENOMEM;
    return 0;
}

static int take_figures(struct tick_ctx *t, json_t *rec, const char *kind, const char *stream)
{
    if (!t->any)
        return 0; /* nothing of this period goes out */
    struct cqe_tick_record *r = next_record(t->out);
    if (!r)
        return CQE_ENOMEM;
    const char *key = json_string_value(json_object_get(rec, kind));
    r->stream = stream;
    r->key = strdup(key ? key : "");
    r->text = cqe_record_dumps(rec);
    return r->key && r->text ? 0 : CQE_ENOMEM;
}

static int on_record(void *record, void *arg)
{
    struct tick_ctx *t = arg;
    json_t *rec = record;
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    if (kind && !strcmp(kind, "snapshot"))
        return take_snapshot(t, rec);
    if (kind && !strcmp(kind, "service"))
        return take_figures(t, rec, "service", "services");
    if (kind && !strcmp(kind, "dept"))
        return take_figures(t, rec, "dept", "depts");
    return 0;
}

int cqe_tick_decide(const struct cqe_view *v, const struct cqe_model *m,
                    const struct cqe_tick_period *periods, size_t n_periods, int64_t as_of,
                    cqe_tick_counters_fn counters, void *counters_arg, const struct cqe_strmap *kept,
                    char *const *revs, struct cqe_tick_out *out, struct cqe_err *err)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < n_periods; i++) {
        struct tick_ctx t = {&periods[i].p, counters,           counters_arg, kept,
                             revs,          periods[i].current, false,        out};
        struct cqe_emit_options o = {&periods[i].p, 1, as_of, {0}, NULL, true, true};
        rc = cqe_emit_records(v, m, &o, on_record, &t, err);
    }
    return rc;
}
