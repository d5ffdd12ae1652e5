/* NDJSON output of `cloudqe gen`: formats a generated event as one line of the event
 * contract (docs/spec/events.md) with hand-written number and time formatting
 * (no printf on the hot path), and turns valid lines into malformed ones. */
#include <string.h>

#include "gen.h"
#include "timeutil.h"

/* ---- primitive writers: each returns the new end ------------------------------ */

static inline char *put_mem(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

#define PUT(o, lit) put_mem((o), (lit), sizeof(lit) - 1)

static inline char *put_s(char *o, const char *s)
{
    return put_mem(o, s, strlen(s));
}

static char *put_u64(char *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *o++ = tmp[--n];
    return o;
}

static char *put_i64(char *o, int64_t v)
{
    if (v < 0) {
        *o++ = '-';
        return put_u64(o, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(o, (uint64_t)v);
}

static char *put_pad(char *o, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + width;
}

/* A ratio in [0, 1] with 4 decimals, trailing zeros trimmed ("0.25", "1", "0"). */
static char *put_ratio(char *o, double x)
{
    int v = (int)(x * 10000.0 + 0.5);
    if (v <= 0)
        return PUT(o, "0");
    if (v >= 10000)
        return PUT(o, "1");
    int width = 4;
    while (v % 10 == 0) {
        v /= 10;
        width--;
    }
    o = PUT(o, "0.");
    return put_pad(o, (uint64_t)v, width);
}

static char *put_bool(char *o, int b)
{
    return b ? PUT(o, "true") : PUT(o, "false");
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* RFC 3339 in a fixed offset (0 = "Z"), quoted; ".mmm" only when not whole seconds. */
static char *put_rfc3339(char *o, int64_t ms, int offset_min)
{
    int64_t local = ms + (int64_t)offset_min * 60000;
    int64_t days = floor_div(local, CQE_GEN_MS_DAY);
    int64_t rem = local - days * CQE_GEN_MS_DAY;
    int64_t y;
    int m, d;
    cqe_civil_from_days(days, &y, &m, &d);
    *o++ = '"';
    o = put_pad(o, (uint64_t)y, 4);
    *o++ = '-';
    o = put_pad(o, (uint64_t)m, 2);
    *o++ = '-';
    o = put_pad(o, (uint64_t)d, 2);
    *o++ = 'T';
    o = put_pad(o, (uint64_t)(rem / 3600000), 2);
    *o++ = ':';
    o = put_pad(o, (uint64_t)(rem / 60000 % 60), 2);
    *o++ = ':';
    o = put_pad(o, (uint64_t)(rem / 1000 % 60), 2);
    if (rem % 1000) {
        *o++ = '.';
        o = put_pad(o, (uint64_t)(rem % 1000), 3);
    }
    if (offset_min == 0) {
        *o++ = 'Z';
    } else {
        int a = offset_min < 0 ? -offset_min : offset_min;
        *o++ = offset_min < 0 ? '-' : '+';
        o = put_pad(o, (uint64_t)(a / 60), 2);
        *o++ = ':';
        o = put_pad(o, (uint64_t)(a % 60), 2);
    }
    *o++ = '"';
    return o;
}

static char *put_ts(char *o, int64_t ms, int fmt)
{
    switch (fmt) {
    case CQE_GEN_TS_EPOCH: return put_i64(o, ms);
    case CQE_GEN_TS_UTC: return put_rfc3339(o, ms, 0);
    case CQE_GEN_TS_LOCAL: return put_rfc3339(o, ms - ms % 1000, CQE_GEN_OFFSET_MIN);
    default: return put_rfc3339(o, ms, CQE_GEN_OFFSET_MIN);
    }
}

/* `,"key":"value"` */
static char *put_kv_s(char *o, const char *key, size_t key_n, const char *v)
{
    *o++ = ',';
    *o++ = '"';
    o = put_mem(o, key, key_n);
    o = PUT(o, "\":\"");
    o = put_s(o, v);
    *o++ = '"';
    return o;
}

#define KV_S(o, key, v) put_kv_s((o), (key), sizeof(key) - 1, (v))

/* "<prefix><number padded to width>" */
static char *put_entity(char *o, const char *prefix, uint32_t no, int width)
{
    o = put_s(o, prefix);
    return put_pad(o, no, width);
}

/* Id suffix for the n-th (0-based) occurrence of an action: "-resolve", "-resolve2". */
static char *put_action_suffix(char *o, const char *action, unsigned sub)
{
    *o++ = '-';
    o = put_s(o, action);
    if (sub)
        o = put_u64(o, (uint64_t)sub + 1);
    return o;
}

static const char *action_name(int a)
{
    switch (a) {
    case CQE_A_OPEN: return "open";
    case CQE_A_ACK: return "ack";
    case CQE_A_RESOLVE: return "resolve";
    case CQE_A_REOPEN: return "reopen";
    case CQE_A_UPDATE: return "update";
    case CQE_A_SCHEDULE: return "schedule";
    case CQE_A_CANCEL: return "cancel";
    case CQE_A_CLOSE: return "close";
    case CQE_A_FEEDBACK: return "feedback";
    case CQE_A_PLAN: return "plan";
    case CQE_A_DONE: return "done";
    case CQE_A_FOUND: return "found";
    case CQE_A_FIXED: return "fixed";
    case CQE_A_ADD: return "add";
    case CQE_A_REMOVE: return "remove";
    default: return "none";
    }
}

/* Entity prefix and number width by type (for types that have an entity). */
static const char *entity_prefix(int type, int *width)
{
    *width = 6;
    switch (type) {
    case CQE_T_INCIDENT: return "INC-";
    case CQE_T_MAINTENANCE: return "MW-";
    case CQE_T_TICKET: *width = 7; return "TK-";
    case CQE_T_BACKUP: *width = 7; return "BK-";
    case CQE_T_DRILL: *width = 5; return "DRL-";
    case CQE_T_VULN: return "VUL-";
    case CQE_T_MIGRATION: *width = 5; return "MIG-";
    case CQE_T_AUDIT: *width = 8; return "OP-";
    case CQE_T_SURVEY: return "SVY-";
    case CQE_T_ASSET: return "AS-";
    default: return "X-";
    }
}

static const char *source_name(int type)
{
    switch (type) {
    case CQE_T_INCIDENT:
    case CQE_T_MAINTENANCE:
    case CQE_T_TICKET:
    case CQE_T_DRILL:
    case CQE_T_MIGRATION: return "itsm";
    case CQE_T_BACKUP: return "backup-center";
    case CQE_T_VULN: return "soc-scanner";
    case CQE_T_AUDIT: return "bastion";
    case CQE_T_SURVEY: return "survey";
    case CQE_T_ASSET: return "cmdb";
    default: return NULL;
    }
}

static const char *const impact_names[] = {"outage", "degraded", "none"};
static const char *const cause_names[] = {"provider", "customer", "third_party", "force_majeure"};
static const char *const level_names[] = {"critical", "high", "medium", "low"};
static const char *const class_names[] = {"server", "os", "database", "middleware"};

/* ---- per-type bodies ---------------------------------------------------------- */

static char *body_metric(const struct cqe_gen_world *w, const struct cqe_gen_ev *ev, char *o)
{
    const struct cqe_gen_resource *x = &w->res[ev->res];
    o = KV_S(o, "resource", x->id);
    o = KV_S(o, "pool", w->provs[x->prov].pools[x->pool]);
    if (x->host)
        o = PUT(o, ",\"kind\":\"host\"");
    if (x->fields & CQE_GEN_F_CPU) {
        o = PUT(o, ",\"cpu\":");
        o = put_ratio(o, ev->u.metric.cpu);
    }
    if (x->fields & CQE_GEN_F_MEM) {
        o = PUT(o, ",\"mem\":");
        o = put_ratio(o, ev->u.metric.mem);
    }
    if (x->fields & CQE_GEN_F_DISK) {
        o = PUT(o, ",\"disk\":");
        o = put_ratio(o, ev->u.metric.disk);
    }
    if (x->fields & CQE_GEN_F_NET) {
        o = PUT(o, ",\"net\":");
        o = put_ratio(o, ev->u.metric.net);
    }
    o = PUT(o, ",\"interval_s\":");
    return put_i64(o, w->opts.metric_interval_s);
}

static char *body_probe(const struct cqe_gen_world *w, const struct cqe_gen_ev *ev, char *o)
{
    o = KV_S(o, "service", w->svcs[ev->svc].id);
    o = KV_S(o, "site", cqe_gen_sites[ev->u.probe.site]);
    o = PUT(o, ",\"ok\":");
    o = put_bool(o, ev->u.probe.ok);
    if (ev->u.probe.latency_ms >= 0) {
        o = PUT(o, ",\"latency_ms\":");
        o = put_i64(o, ev->u.probe.latency_ms);
    }
    return o;
}

static char *body_incident(const struct cqe_gen_world *w, const struct cqe_gen_ev *ev, char *o)
{
    uint8_t has = ev->u.inc.has;
    if (has & CQE_GEN_I_SERVICE)
        o = KV_S(o, "service", w->svcs[ev->svc].id);
    if (has & CQE_GEN_I_SEVERITY) {
        o = PUT(o, ",\"severity\":");
        o = put_i64(o, ev->u.inc.severity);
    }
    if (has & CQE_GEN_I_IMPACT)
        o = KV_S(o, "impact", impact_names[ev->u.inc.impact]);
    if (has & CQE_GEN_I_SCOPE) {
        o = PUT(o, ",\"scope\":");
        o = put_ratio(o, ev->u.inc.scope);
    }
    if (has & CQE_GEN_I_CAUSE)
        o = KV_S(o, "cause", cause_names[ev->u.inc.cause]);
    if (has & CQE_GEN_I_CATEGORY)
        o = KV_S(o, "category", cqe_gen_categories[ev->u.inc.category]);
    if (has & CQE_GEN_I_DATA_LOSS) {
        o = PUT(o, ",\"data_loss\":");
        o = put_bool(o, ev->u.inc.data_loss);
    }
    return o;
}

static char *body(const struct cqe_gen_world *w, const struct cqe_gen_ev *ev, char *o)
{
    switch (ev->type) {
    case CQE_T_METRIC: return body_metric(w, ev, o);
    case CQE_T_PROBE: return body_probe(w, ev, o);
    case CQE_T_INCIDENT: return body_incident(w, ev, o);
    case CQE_T_MAINTENANCE:
        if (ev->action == CQE_A_SCHEDULE) {
            o = PUT(o, ",\"start\":");
            o = put_rfc3339(o, ev->u.maint.start, CQE_GEN_OFFSET_MIN);
            o = PUT(o, ",\"end\":");
            o = put_rfc3339(o, ev->u.maint.end, CQE_GEN_OFFSET_MIN);
        }
        if (ev->svc >= 0)
            o = KV_S(o, "service", w->svcs[ev->svc].id);
        return o;
    case CQE_T_TICKET:
        if (ev->action == CQE_A_OPEN) {
            o = PUT(o, ",\"due\":");
            o = put_rfc3339(o, ev->u.ticket.due, CQE_GEN_OFFSET_MIN);
            if (ev->u.ticket.complaint) {
                o = PUT(o, ",\"complaint\":");
                o = put_bool(o, ev->u.ticket.complaint == 1);
            }
        } else if (ev->action == CQE_A_FEEDBACK) {
            o = PUT(o, ",\"satisfied\":");
            o = put_bool(o, ev->u.ticket.satisfied);
        }
        return o;
    case CQE_T_BACKUP:
        o = KV_S(o, "service", w->svcs[ev->svc].id);
        o = PUT(o, ",\"ok\":");
        o = put_bool(o, ev->u.backup.ok);
        if (ev->u.backup.rpo_target_s > 0) {
            o = PUT(o, ",\"rpo_target_s\":");
            o = put_i64(o, ev->u.backup.rpo_target_s);
        }
        return o;
    case CQE_T_DRILL:
        o = KV_S(o, "kind", ev->u.drill.kind == CQE_DRILL_DR ? "dr" : "emergency");
        if (ev->action == CQE_A_DONE) {
            o = PUT(o, ",\"ok\":");
            o = put_bool(o, ev->u.drill.ok);
            if (ev->u.drill.has_rto) {
                o = PUT(o, ",\"rto_s\":");
                o = put_i64(o, ev->u.drill.rto_s);
                o = PUT(o, ",\"rto_target_s\":");
                o = put_i64(o, ev->u.drill.rto_target_s);
            }
            if (ev->u.drill.has_rpo) {
                o = PUT(o, ",\"rpo_s\":");
                o = put_i64(o, ev->u.drill.rpo_s);
                o = PUT(o, ",\"rpo_target_s\":");
                o = put_i64(o, ev->u.drill.rpo_target_s);
            }
        }
        return o;
    case CQE_T_VULN:
        if (ev->action == CQE_A_FOUND)
            o = KV_S(o, "level", level_names[ev->u.vuln.level]);
        return o;
    case CQE_T_MIGRATION:
        if (ev->svc >= 0)
            o = KV_S(o, "service", w->svcs[ev->svc].id);
        if (ev->action == CQE_A_PLAN) {
            o = PUT(o, ",\"planned_end\":");
            o = put_rfc3339(o, ev->u.mig.planned_end, CQE_GEN_OFFSET_MIN);
        } else {
            o = PUT(o, ",\"ok\":");
            o = put_bool(o, ev->u.mig.ok);
            if (ev->u.mig.verified != 2) {
                o = PUT(o, ",\"data_verified\":");
                o = put_bool(o, ev->u.mig.verified);
            }
        }
        return o;
    case CQE_T_AUDIT:
        o = PUT(o, ",\"actor\":\"");
        o = put_s(o, cqe_gen_actors[ev->u.audit.actor]);
        *o++ = '@';
        o = put_s(o, w->provs[ev->prov].id);
        *o++ = '"';
        switch (ev->u.audit.target_kind) {
        case 1: o = KV_S(o, "target", w->res[ev->u.audit.target].id); break;
        case 2: o = KV_S(o, "target", w->svcs[ev->u.audit.target].id); break;
        case 3: o = PUT(o, ",\"target\":\"\""); break;
        default: break;
        }
        switch (ev->u.audit.ref_kind) {
        case 1:
            o = PUT(o, ",\"ticket_ref\":\"");
            o = put_entity(o, "CHG-", ev->u.audit.ref, 6);
            *o++ = '"';
            break;
        case 2:
            o = PUT(o, ",\"ticket_ref\":\"");
            o = put_entity(o, "TK-", ev->u.audit.ref, 7);
            *o++ = '"';
            break;
        case 3: o = PUT(o, ",\"ticket_ref\":\"\""); break;
        default: break;
        }
        return o;
    case CQE_T_SURVEY: {
        o = PUT(o, ",\"answers\":{");
        int first = 1;
        for (int d = 0; d < 5; d++) {
            if (!ev->u.survey.levels[d])
                continue;
            if (!first)
                *o++ = ',';
            first = 0;
            *o++ = '"';
            o = put_s(o, cqe_gen_dims[d]);
            o = PUT(o, "\":");
            *o++ = (char)('0' + ev->u.survey.levels[d]);
        }
        if (ev->u.survey.extra_dim) {
            if (!first)
                *o++ = ',';
            *o++ = '"';
            o = put_s(o, cqe_gen_extra_dims[ev->u.survey.extra_dim - 1]);
            o = PUT(o, "\":");
            *o++ = (char)('0' + ev->u.survey.extra_level);
        }
        *o++ = '}';
        if (ev->svc >= 0)
            o = KV_S(o, "service", w->svcs[ev->svc].id);
        return o;
    }
    case CQE_T_ASSET: {
        uint8_t cls = ev->u.asset.cls;
        o = KV_S(o, "class", class_names[cls]);
        if (ev->action == CQE_A_ADD) {
            o = PUT(o, ",\"domestic\":");
            o = put_bool(o, ev->u.asset.domestic);
        }
        if (ev->u.asset.vendor != 255)
            o = KV_S(o, "vendor", cqe_gen_vendors[cls][ev->u.asset.domestic][ev->u.asset.vendor]);
        if (ev->u.asset.arch != 255)
            o = KV_S(o, "arch", cqe_gen_archs[ev->u.asset.arch]);
        return o;
    }
    default: return o;
    }
}

/* `"id":"…"` value and, for entity types, `"<entity>":"…","action":"…"`. */
static char *put_id(const struct cqe_gen_world *w, const struct cqe_gen_ev *ev, char *o)
{
    int width;
    const char *prefix;
    switch (ev->type) {
    case CQE_T_METRIC:
        o = PUT(o, "m-");
        o = put_s(o, w->res[ev->res].id);
        *o++ = '-';
        return put_u64(o, ev->no);
    case CQE_T_PROBE:
        o = PUT(o, "p-");
        o = put_s(o, w->svcs[ev->svc].id);
        *o++ = '-';
        o = put_u64(o, ev->u.probe.site);
        *o++ = '-';
        return put_u64(o, ev->no);
    case CQE_T_BACKUP:
        prefix = entity_prefix(ev->type, &width);
        o = put_entity(o, prefix, ev->no, width);
        return PUT(o, "-r");
    case CQE_T_AUDIT:
    case CQE_T_SURVEY: prefix = entity_prefix(ev->type, &width); return put_entity(o, prefix, ev->no, width);
    default:
        prefix = entity_prefix(ev->type, &width);
        o = put_entity(o, prefix, ev->no, width);
        return put_action_suffix(o, action_name(ev->action), ev->sub);
    }
}

/* The member naming the entity (the Kafka key) of types with one of their own. */
static const char *entity_key(int type)
{
    return type == CQE_T_METRIC || type == CQE_T_PROBE ? NULL : cqe_type_key_member((enum cqe_type)type);
}

static int has_action(int type)
{
    return type != CQE_T_METRIC && type != CQE_T_PROBE && type != CQE_T_BACKUP && type != CQE_T_AUDIT &&
           type != CQE_T_SURVEY;
}

size_t cqe_gen_format(const struct cqe_gen_world *w, const struct cqe_gen_ev *ev, char *buf)
{
    char *o = buf;
    o = PUT(o, "{\"v\":1,\"id\":\"");
    o = put_id(w, ev, o);
    o = PUT(o, "\",\"type\":\"");
    o = put_s(o, cqe_type_name((enum cqe_type)ev->type));
    o = PUT(o, "\",\"ts\":");
    o = put_ts(o, ev->ts, ev->tsfmt);
    o = KV_S(o, "provider", w->provs[ev->prov].id);
    if (ev->dept >= 0)
        o = KV_S(o, "dept", w->depts[ev->dept].name);
    if (ev->type == CQE_T_INCIDENT && ev->svc >= 0)
        o = KV_S(o, "zone", cqe_gen_zones[w->svcs[ev->svc].zone]);
    const char *src = source_name(ev->type);
    if (src)
        o = KV_S(o, "source", src);
    const char *ek = entity_key(ev->type);
    if (ek) {
        int width;
        const char *prefix = entity_prefix(ev->type, &width);
        *o++ = ',';
        *o++ = '"';
        o = put_s(o, ek);
        o = PUT(o, "\":\"");
        o = put_entity(o, prefix, ev->no, width);
        *o++ = '"';
    }
    if (has_action(ev->type))
        o = KV_S(o, "action", action_name(ev->action));
    o = body(w, ev, o);
    *o++ = '}';
    *o++ = '\n';
    return (size_t)(o - buf);
}

/* ---- malformed lines ---------------------------------------------------------- */

const char *const cqe_gen_bad_names[CQE_GEN_BAD__COUNT] = {
    "json_syntax",  "missing_field",       "bad_type", "bad_value",
    "unknown_type", "unsupported_version", "bad_utf8"};

static const char *find_mem(const char *hay, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, k))
            return hay + i;
    return NULL;
}

/* Where the value of `"key":` starts and ends in line[0, n); 0 when absent. Values of
 * generated lines are strings without escapes, numbers, booleans or flat objects. */
static int find_value(const char *line, size_t n, const char *key, size_t *vs, size_t *ve)
{
    char pat[48];
    size_t kn = strlen(key);
    if (kn + 3 > sizeof pat)
        return 0;
    pat[0] = '"';
    memcpy(pat + 1, key, kn);
    pat[kn + 1] = '"';
    pat[kn + 2] = ':';
    const char *p = find_mem(line, n, pat, kn + 3);
    if (!p)
        return 0;
    size_t i = (size_t)(p - line) + kn + 3, j = i;
    if (j >= n)
        return 0;
    if (line[j] == '"') {
        j++;
        while (j < n && line[j] != '"')
            j++;
        j++;
    } else if (line[j] == '{') {
        while (j < n && line[j] != '}')
            j++;
        j++;
    } else {
        while (j < n && line[j] != ',' && line[j] != '}')
            j++;
    }
    if (j > n)
        return 0;
    *vs = i;
    *ve = j;
    return 1;
}

/* out = line[0, a) + repl + line[b, n) + '\n'; returns the length. */
static size_t splice(const char *line, size_t n, size_t a, size_t b, const char *repl, char *out)
{
    size_t rn = strlen(repl);
    memcpy(out, line, a);
    memcpy(out + a, repl, rn);
    memcpy(out + a + rn, line + b, n - b);
    out[a + rn + n - b] = '\n';
    return a + rn + n - b + 1;
}

static int replace_value(const char *line, size_t n, const char *key, const char *repl, char *out,
                         size_t *len)
{
    size_t vs, ve;
    if (!find_value(line, n, key, &vs, &ve))
        return 0;
    *len = splice(line, n, vs, ve, repl, out);
    return 1;
}

/* Drops `,"key":value` (or `"v":1,` for the leading key). */
static int remove_field(const char *line, size_t n, const char *key, char *out, size_t *len)
{
    size_t vs, ve;
    if (!find_value(line, n, key, &vs, &ve))
        return 0;
    size_t ks = vs - strlen(key) - 3; /* the opening quote of the key */
    if (ks > 0 && line[ks - 1] == ',')
        *len = splice(line, n, ks - 1, ve, "", out);
    else if (ve < n && line[ve] == ',')
        *len = splice(line, n, ks, ve + 1, "", out);
    else
        return 0;
    return 1;
}

static const char *required_key(int type)
{
    switch (type) {
    case CQE_T_METRIC: return "resource";
    case CQE_T_PROBE: return "service";
    default: return entity_key(type);
    }
}

size_t cqe_gen_malform(struct cqe_gen_rng *r, int type, const char *line, size_t n, char *out, int *kind)
{
    static const double kind_w[CQE_GEN_BAD__COUNT] = {0.28, 0.20, 0.15, 0.20, 0.06, 0.06, 0.05};
    size_t len = 0;
    if (n && line[n - 1] == '\n')
        n--;
    int k = cqe_gen_pick(r, kind_w, CQE_GEN_BAD__COUNT);
    *kind = k;
    switch (k) {
    case CQE_GEN_BAD_MISSING_FIELD: {
        const char *keys[5] = {"id", "ts", "provider", "type", required_key(type)};
        int i = (int)cqe_gen_range(r, 0, 4);
        if (keys[i] && remove_field(line, n, keys[i], out, &len))
            return len;
        if (remove_field(line, n, "ts", out, &len))
            return len;
        break;
    }
    case CQE_GEN_BAD_TYPE: {
        static const char *const keys[] = {"provider", "v", "ts", "id", "ok", "cpu", "severity"};
        static const char *const repl[] = {"42", "\"1\"", "true", "12345", "\"yes\"", "\"0.5\"", "\"2\""};
        int i = (int)cqe_gen_range(r, 0, 6);
        if (replace_value(line, n, keys[i], repl[i], out, &len))
            return len;
        if (replace_value(line, n, "provider", "42", out, &len))
            return len;
        break;
    }
    case CQE_GEN_BAD_VALUE: {
        static const char *const keys[] = {"ts",  "ts",         "ts",       "ts",    "ts",     "id",
                                           "cpu", "latency_ms", "severity", "scope", "answers"};
        static const char *const repl[] = {"\"1999-12-31T23:59:59+08:00\"",
                                           "\"2026-02-30T10:00:00+08:00\"",
                                           "\"2026-03-01T10:00:00\"",
                                           "946684799999",
                                           "\"2101-01-01T00:00:00Z\"",
                                           "\"\"",
                                           "1.25",
                                           "-3",
                                           "7",
                                           "0",
                                           "{\"服务态度\":9}"};
        int i = (int)cqe_gen_range(r, 0, 10);
        if (replace_value(line, n, keys[i], repl[i], out, &len))
            return len;
        if (replace_value(line, n, "ts", "\"2026-13-01T10:00:00+08:00\"", out, &len))
            return len;
        break;
    }
    case CQE_GEN_BAD_UNKNOWN_TYPE:
        if (replace_value(line, n, "type", "\"alarm\"", out, &len))
            return len;
        break;
    case CQE_GEN_BAD_VERSION:
        if (replace_value(line, n, "v", "2", out, &len))
            return len;
        break;
    case CQE_GEN_BAD_UTF8:
        if (replace_value(line, n, "provider", "\"\xff\xfe-cloud\"", out, &len))
            return len;
        break;
    default: break;
    }
    /* json_syntax, and the fallback of every kind */
    *kind = CQE_GEN_BAD_JSON_SYNTAX;
    if (cqe_gen_chance(r, 0.8) && n > 4) {
        size_t cut = (size_t)cqe_gen_range(r, 1, (int64_t)n - 2);
        while (cut > 1 && ((unsigned char)line[cut] & 0xC0) == 0x80)
            cut--; /* never split a UTF-8 sequence: that would be bad_utf8 */
        memcpy(out, line, cut);
        out[cut] = '\n';
        return cut + 1;
    }
    return splice(line, n, n - 1, n - 1, ",", out); /* a trailing comma: `…,}` */
}
