/* Evidence items as Jansson objects (see evidence.h): building, effects, ordering. */
#include "evidence.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

static void oom(struct cqe_evidence *ev)
{
    if (!ev->rc)
        ev->rc = CQE_ENOMEM;
}

int cqe_evidence_init(struct cqe_evidence *ev, const struct cqe_view *v)
{
    memset(ev, 0, sizeof *ev);
    ev->view = v;
    ev->offset_min = v->cfg->utc_offset_min;
    ev->only = CQE_LEAF__COUNT;
    for (int l = 0; l < CQE_LEAF__COUNT; l++)
        if (!(ev->items[l] = json_array()) || !(ev->summary[l] = json_object()))
            return ev->rc = CQE_ENOMEM;
    return 0;
}

void cqe_evidence_fini(struct cqe_evidence *ev)
{
    for (int l = 0; l < CQE_LEAF__COUNT; l++) {
        json_decref(ev->items[l]);
        json_decref(ev->summary[l]);
        json_decref(ev->distribution[l]);
    }
    memset(ev, 0, sizeof *ev);
}

/* {kind, id?} appended to array arr; the new object (borrowed) or NULL. */
static json_t *append(struct cqe_evidence *ev, json_t *arr, const char *kind, const char *id, size_t id_len)
{
    json_t *o = json_object();
    if (!o || json_array_append_new(arr, o)) {
        oom(ev);
        return NULL;
    }
    if (json_object_set_new(o, "kind", json_string(kind)) ||
        (id && json_object_set_new(o, "id", json_stringn(id, id_len))))
        oom(ev);
    return o;
}

bool cqe_ev_wants(const struct cqe_evidence *ev, enum cqe_leaf l)
{
    return ev && (ev->only == CQE_LEAF__COUNT || ev->only == (int)l);
}

void *cqe_ev_item(struct cqe_evidence *ev, enum cqe_leaf l, const char *kind, const char *id, size_t id_len,
                  const char *side, bool against)
{
    if (!cqe_ev_wants(ev, l))
        return NULL;
    json_t *o = ev->items[l] ? append(ev, ev->items[l], kind, id, id_len) : NULL;
    cqe_ev_str(ev, o, "side", side);
    cqe_ev_bool(ev, o, "against", against);
    return o;
}

void *cqe_ev_summary(struct cqe_evidence *ev, enum cqe_leaf l)
{
    return ev->summary[l];
}

void *cqe_ev_distribution(struct cqe_evidence *ev, enum cqe_leaf l)
{
    if (!cqe_ev_wants(ev, l))
        return NULL;
    if (!ev->distribution[l] && !(ev->distribution[l] = json_object()))
        oom(ev);
    return ev->distribution[l];
}

void *cqe_ev_sub(struct cqe_evidence *ev, void *parent, const char *key, const char *kind, const char *id,
                 size_t id_len)
{
    if (!parent)
        return NULL;
    json_t *arr = json_object_get(parent, key);
    if (!arr) {
        arr = json_array();
        if (!arr || json_object_set_new(parent, key, arr)) {
            oom(ev);
            return NULL;
        }
    }
    return append(ev, arr, kind, id, id_len);
}

static void set(struct cqe_evidence *ev, void *item, const char *key, json_t *v)
{
    if (!item) {
        json_decref(v);
        return;
    }
    if (!v || json_object_set_new(item, key, v))
        oom(ev);
}

void cqe_ev_num(struct cqe_evidence *ev, void *item, const char *key, double v)
{
    set(ev, item, key, json_real(v));
}

void cqe_ev_int(struct cqe_evidence *ev, void *item, const char *key, int64_t v)
{
    set(ev, item, key, json_integer((json_int_t)v));
}

void cqe_ev_str(struct cqe_evidence *ev, void *item, const char *key, const char *s)
{
    set(ev, item, key, s ? json_string(s) : json_null());
}

void cqe_ev_bool(struct cqe_evidence *ev, void *item, const char *key, bool b)
{
    set(ev, item, key, json_boolean(b));
}

void cqe_ev_time(struct cqe_evidence *ev, void *item, const char *key, int64_t ms)
{
    char buf[48];
    cqe_time_format(ms, ev->offset_min, buf, sizeof buf);
    set(ev, item, key, json_string(buf));
}

void cqe_ev_opt(struct cqe_evidence *ev, void *item, const char *key, struct cqe_opt o)
{
    set(ev, item, key, o.has ? json_real(o.v) : json_null());
}

void cqe_ev_tally(struct cqe_evidence *ev, enum cqe_leaf l, const char *side)
{
    if (!cqe_ev_wants(ev, l))
        return;
    json_t *sum = ev->summary[l], *n = json_object_get(sum, side);
    if (sum)
        set(ev, sum, side, json_integer(json_integer_value(n) + 1));
}

void *cqe_ev_deadline(struct cqe_evidence *ev, enum cqe_leaf l, const char *kind, const char *id,
                      const char *side, int64_t start_ms, int64_t deadline_ms, int64_t elapsed_ms)
{
    bool late = !strcmp(side, "late");
    if (!cqe_ev_wants(ev, l))
        return NULL;
    cqe_ev_tally(ev, l, side);
    if (!late && strcmp(side, "pending"))
        return NULL; /* on time: counted, not listed */
    void *o = cqe_ev_item(ev, l, kind, id, strlen(id), side, late);
    cqe_ev_time(ev, o, "start", start_ms);
    cqe_ev_num(ev, o, "deadline_s", (double)deadline_ms / 1000.0);
    cqe_ev_num(ev, o, "elapsed_s", (double)elapsed_ms / 1000.0);
    if (late)
        cqe_ev_num(ev, o, "overrun_s", (double)(elapsed_ms - deadline_ms) / 1000.0);
    return o;
}

void cqe_ev_month_count(struct cqe_evidence *ev, enum cqe_leaf l, const struct cqe_agg *a, const char *key)
{
    char month[48];
    int64_t y = a->month / 12, m = a->month % 12 + 1;
    snprintf(month, sizeof month, "%04lld-%02lld", (long long)y, (long long)m);
    const char *prov = a->provider == CQE_NONE ? "" : ev->view->providers.keys[a->provider];
    size_t i;
    json_t *o, *found = NULL;
    json_array_foreach((json_t *)ev->items[l], i, o)
    {
        if (!strcmp(json_string_value(json_object_get(o, "id")), month) &&
            !strcmp(json_string_value(json_object_get(o, "provider")), prov))
            found = o;
    }
    if (!found && (found = cqe_ev_item(ev, l, "month", month, strlen(month), "month", false)))
        cqe_ev_str(ev, found, "provider", prov);
    if (found)
        set(ev, found, key,
            json_integer(json_integer_value(json_object_get(found, key)) + (json_int_t)a->cell->sum));
}

void cqe_ev_month_effects(struct cqe_evidence *ev, enum cqe_leaf l, const char *all_key, const char *good_key,
                          double total)
{
    size_t i;
    json_t *o;
    json_array_foreach((json_t *)ev->items[l], i, o)
    {
        json_int_t all = json_integer_value(json_object_get(o, all_key)),
                   good = json_integer_value(json_object_get(o, good_key));
        set(ev, o, good_key, json_integer(good)); /* 0 when the month had none */
        set(ev, o, "against", json_boolean(good < all));
        set(ev, o, "effect", json_real(total > 0 ? (double)(all - good) / total : 0));
    }
}

void cqe_ev_effects(struct cqe_evidence *ev, enum cqe_leaf l, double per_item)
{
    size_t i;
    json_t *o;
    json_array_foreach((json_t *)ev->items[l], i, o)
    {
        if (json_object_get(o, "effect"))
            continue;
        set(ev, o, "effect", json_real(json_is_true(json_object_get(o, "against")) ? per_item : 0));
    }
}

static double num_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static int cmp_text(json_t *a, json_t *b, const char *key)
{
    const char *x = json_string_value(json_object_get(a, key)),
               *y = json_string_value(json_object_get(b, key));
    return strcmp(x ? x : "", y ? y : "");
}

static int cmp_item(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    static const char *const by_size[] = {"effect", "overrun_s", "down_s", "low_cpu_share"};
    for (size_t k = 0; k < sizeof by_size / sizeof *by_size; k++) {
        double x = num_of(a, by_size[k]), y = num_of(b, by_size[k]);
        if (x != y)
            return x > y ? -1 : 1;
    }
    int c = cmp_text(a, b, "kind");
    return c ? c : cmp_text(a, b, "id");
}

/* A new array of arr's items in cmp_item order (NULL on ENOMEM); arr is left as is. */
static json_t *sorted(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = malloc((n ? n : 1) * sizeof *v), *out = json_array();
    if (!v || !out) {
        free(v);
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(arr, i);
    qsort(v, n, sizeof *v, cmp_item);
    for (size_t i = 0; i < n; i++)
        if (json_array_append(out, v[i])) {
            json_decref(out);
            out = NULL;
            break;
        }
    free(v);
    return out;
}

void cqe_evidence_sort(struct cqe_evidence *ev)
{
    for (int l = 0; l < CQE_LEAF__COUNT && !ev->rc; l++) {
        json_t *arr = sorted(ev->items[l]), *it;
        size_t i;
        if (!arr) {
            oom(ev);
            return;
        }
        json_decref(ev->items[l]);
        ev->items[l] = arr;
        json_array_foreach(arr, i, it)
        { /* a service's incidents too (its intervals and windows stay in time order) */
            json_t *inc = json_object_get(it, "incidents");
            if (inc)
                set(ev, it, "incidents", sorted(inc));
        }
    }
}
