/* The event loop of `cloudqe gen`: merges three time-ordered sources — the metric
 * stream (VMs and hosts, by sample phase), the probe stream (services x sites) and the
 * heap of planned events — into one NDJSON stream in ts order, then applies the
 * configured shares of late events, duplicates and malformed lines. */
#include <stdlib.h>
#include <string.h>

#include "file_writer.h"
#include "gen.h"
#include "progress_line.h"
#include "timeutil.h"

#define FLUSH_AT (1u << 20)

struct run {
    struct cqe_gen_world *w;
    struct cqe_gen_rng plan, metric, probe, noise;
    struct cqe_gen_heap heap;
    struct cqe_file_writer *fw;
    struct cqe_gen_stats *st;
    struct cqe_err *err;
    char *buf;
    size_t n, cap;
    char scratch[CQE_GEN_LINE_MAX];
    int64_t m_slot, p_slot; /* metric / probe stream position */
    size_t m_i, p_i;
};

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- metric stream -------------------------------------------------------------- */

/* ts of the next active sample, skipping resources outside their life; INT64_MAX at
 * the end of the span. */
static int64_t metric_peek(struct run *R)
{
    const struct cqe_gen_world *w = R->w;
    int64_t iv = w->opts.metric_interval_s * 1000;
    if (!w->n_res)
        return INT64_MAX;
    for (;;) {
        if (R->m_i == w->n_res) {
            R->m_i = 0;
            R->m_slot++;
        }
        const struct cqe_gen_resource *x = &w->res[w->res_order[R->m_i]];
        int64_t ts = w->start_ms + R->m_slot * iv + x->phase_ms;
        if (ts >= w->end_ms)
            return INT64_MAX;
        if (ts >= x->from && ts < x->to)
            return ts;
        R->m_i++;
    }
}

static void metric_take(struct run *R, int64_t ts, struct cqe_gen_ev *ev)
{
    const struct cqe_gen_world *w = R->w;
    int32_t ix = w->res_order[R->m_i];
    const struct cqe_gen_resource *x = &w->res[ix];
    struct cqe_gen_rng *r = &R->metric;
    memset(ev, 0, sizeof *ev);
    ev->type = CQE_T_METRIC;
    ev->key = ev->ts = ts;
    ev->prov = x->prov;
    ev->dept = x->dept;
    ev->svc = -1;
    ev->res = ix;
    ev->no = (uint32_t)R->m_slot;
    /* hosts come from the hypervisor's exporter, which sends epoch milliseconds */
    ev->tsfmt = x->host || cqe_gen_chance(r, 0.005) ? CQE_GEN_TS_EPOCH : CQE_GEN_TS_LOCAL;

    int64_t local = ts + (int64_t)CQE_GEN_OFFSET_MIN * 60000;
    int64_t day = floor_div(local, CQE_GEN_MS_DAY);
    int minute = (int)((local - day * CQE_GEN_MS_DAY) / 60000);
    int weekend = cqe_weekday(day) >= 5;
    double dn = w->diurnal[weekend][minute];
    double age_days = (double)(ts - w->start_ms) / (double)CQE_GEN_MS_DAY;
    double cpu = x->cpu_base + x->cpu_amp * dn + (x->idle ? 0.004 : 0.03) * cqe_gen_noise(r);
    if (!x->idle && cqe_gen_chance(r, 0.003))
        cpu += 0.35; /* a batch job */
    ev->u.metric.cpu = (float)clampd(cpu, 0, 1);
    ev->u.metric.mem = (float)clampd(x->mem_base + x->mem_amp * dn + 0.01 * cqe_gen_noise(r), 0, 1);
    ev->u.metric.disk =
        (float)clampd(x->disk_base + x->disk_per_day * age_days + 0.002 * cqe_gen_noise(r), 0, 0.98);
    ev->u.metric.net = (float)clampd(x->net_base + x->net_amp * dn + 0.02 * cqe_gen_noise(r), 0, 1);
    R->m_i++;
}

/* ---- probe stream --------------------------------------------------------------- */

static int64_t probe_peek(struct run *R)
{
    const struct cqe_gen_world *w = R->w;
    if (!w->n_probes)
        return INT64_MAX;
    if (R->p_i == w->n_probes) {
        R->p_i = 0;
        R->p_slot++;
    }
    int64_t ts = w->start_ms + R->p_slot * w->opts.probe_interval_s * 1000 + w->probes[R->p_i].phase_ms;
    return ts < w->end_ms ? ts : INT64_MAX;
}

static void probe_take(struct run *R, int64_t ts, struct cqe_gen_ev *ev)
{
    struct cqe_gen_world *w = R->w;
    const struct cqe_gen_probe *pr = &w->probes[R->p_i];
    struct cqe_gen_service *sv = &w->svcs[pr->svc];
    struct cqe_gen_rng *r = &R->probe;
    memset(ev, 0, sizeof *ev);
    ev->type = CQE_T_PROBE;
    ev->key = ev->ts = ts;
    ev->prov = sv->prov;
    ev->dept = sv->dept;
    ev->svc = pr->svc;
    ev->res = -1;
    ev->no = (uint32_t)R->p_slot;
    ev->tsfmt = cqe_gen_chance(r, 0.005) ? CQE_GEN_TS_EPOCH : CQE_GEN_TS_LOCAL;
    ev->u.probe.site = pr->site;

    /* the service's known outages; spans in the past are dropped as the stream passes */
    double fail = 0.0002, lat = 1.0; /* a rare fluke from one site */
    size_t keep = 0;
    for (size_t i = 0; i < sv->n_down; i++) {
        struct cqe_gen_down d = sv->down[i];
        if (d.to <= ts)
            continue;
        sv->down[keep++] = d;
        if (d.from <= ts) {
            if (d.fail_p > fail)
                fail = d.fail_p;
            if (d.lat_mult > lat)
                lat = d.lat_mult;
        }
    }
    sv->n_down = keep;
    ev->u.probe.ok = (uint8_t)!cqe_gen_chance(r, fail);
    if (ev->u.probe.ok)
        ev->u.probe.latency_ms = (int32_t)clampd(cqe_gen_lognormal(r, sv->latency_ms * lat, 0.3), 1, 60000);
    else
        ev->u.probe.latency_ms = cqe_gen_chance(r, 0.6) ? -1 : (int32_t)cqe_gen_range(r, 3000, 10000);
    R->p_i++;
}

/* ---- output ---------------------------------------------------------------------- */

static int flush(struct run *R)
{
    if (!R->n)
        return 0;
    int rc = cqe_file_writer_write(R->fw, R->buf, R->n, R->err);
    R->st->bytes += R->n;
    R->n = 0;
    return rc;
}

/* Delay of a late event: mostly minutes, some hours, a few days. */
static int64_t late_delay(struct cqe_gen_rng *r)
{
    double u = cqe_gen_unif(r);
    if (u < 0.70)
        return (int64_t)clampd(cqe_gen_lognormal(r, 5.0, 0.8) * 60000.0, 60000.0, 7200000.0);
    if (u < 0.95)
        return (int64_t)clampd(cqe_gen_lognormal(r, 120.0, 0.8) * 60000.0, 600000.0, 86400000.0);
    return cqe_gen_range(r, 86400, 3 * 86400) * 1000;
}

/* Delay of a duplicate: a producer retry (seconds) or a replayed batch (minutes). */
static int64_t dup_delay(struct cqe_gen_rng *r)
{
    if (cqe_gen_chance(r, 0.6))
        return cqe_gen_range(r, 0, 5000);
    return cqe_gen_range(r, 5000, 600000);
}

static int emit(struct run *R, struct cqe_gen_ev *ev)
{
    struct cqe_gen_stats *st = R->st;
    const struct cqe_gen_opts *o = &R->w->opts;
    int rc = 0;
    if (ev->flags & CQE_GEN_EV_RAW) {
        memcpy(R->buf + R->n, ev->raw, ev->raw_n);
        R->n += ev->raw_n;
        free(ev->raw);
        st->duplicates++;
        st->lines++;
        goto out;
    }
    if (!(ev->flags & CQE_GEN_EV_DEFERRED)) {
        ev->flags |= CQE_GEN_EV_DEFERRED;
        if (cqe_gen_chance(&R->noise, o->late_share)) {
            ev->flags |= CQE_GEN_EV_LATE;
            ev->key = ev->ts + late_delay(&R->noise);
            return cqe_gen_heap_push(&R->heap, ev, R->err);
        }
    }
    char *dst = R->buf + R->n;
    st->lines++;
    if (cqe_gen_chance(&R->noise, o->bad_share)) {
        int kind;
        size_t n = cqe_gen_format(R->w, ev, R->scratch);
        R->n += cqe_gen_malform(&R->noise, ev->type, R->scratch, n, dst, &kind);
        st->malformed++;
        st->bad_by_kind[kind]++;
        goto out;
    }
    size_t n = cqe_gen_format(R->w, ev, dst);
    R->n += n;
    st->by_type[ev->type]++;
    if (ev->flags & CQE_GEN_EV_LATE)
        st->late++;
    if (cqe_gen_chance(&R->noise, o->dup_share)) {
        struct cqe_gen_ev d = *ev;
        d.raw = malloc(n);
        if (!d.raw)
            return cqe_err_set(R->err, CQE_ENOMEM, "gen: out of memory copying a duplicate");
        memcpy(d.raw, dst, n);
        d.raw_n = n;
        d.flags = CQE_GEN_EV_RAW;
        d.key = ev->key + dup_delay(&R->noise);
        if ((rc = cqe_gen_heap_push(&R->heap, &d, R->err))) {
            free(d.raw);
            return rc;
        }
    }
out:
    if (R->n >= FLUSH_AT)
        rc = flush(R);
    return rc;
}

int cqe_gen_run(struct cqe_gen_world *w, uint64_t seed, struct cqe_file_writer *fw, struct cqe_gen_stats *st,
                struct cqe_progress_line *progress, struct cqe_err *err)
{
    struct run R;
    int rc = 0;
    memset(&R, 0, sizeof R);
    R.w = w;
    R.fw = fw;
    R.st = st;
    R.err = err;
    cqe_gen_rng_seed(&R.plan, seed, 2);
    cqe_gen_rng_seed(&R.metric, seed, 3);
    cqe_gen_rng_seed(&R.probe, seed, 4);
    cqe_gen_rng_seed(&R.noise, seed, 5);
    R.cap = FLUSH_AT + 2 * CQE_GEN_LINE_MAX;
    R.buf = malloc(R.cap);
    if (!R.buf) {
        rc = cqe_err_set(err, CQE_ENOMEM, "gen: out of memory for the output buffer");
        goto out;
    }
    int64_t next_day = 0;
    int64_t next_day_ms = w->start_ms;
    for (;;) {
        int64_t km = metric_peek(&R), kp = probe_peek(&R), kh = cqe_gen_heap_top_key(&R.heap);
        int64_t k = km < kp ? km : kp;
        if (kh < k)
            k = kh;
        if (next_day < w->opts.days && k >= next_day_ms) {
            if ((rc = cqe_gen_plan_day(w, &R.plan, &R.heap, next_day, err)))
                goto out;
            next_day++;
            next_day_ms = cqe_local_midnight(w->opts.start_day + next_day, CQE_GEN_OFFSET_MIN);
            continue;
        }
        if (k == INT64_MAX)
            break;
        struct cqe_gen_ev ev;
        if (kh <= km && kh <= kp)
            cqe_gen_heap_pop(&R.heap, &ev);
        else if (km <= kp)
            metric_take(&R, km, &ev);
        else
            probe_take(&R, kp, &ev);
        if ((rc = emit(&R, &ev)))
            goto out;
        cqe_progress_line_note(progress, (int64_t)st->lines,
                               k > w->start_ms ? (uint64_t)(k - w->start_ms) : 0);
    }
    rc = flush(&R);
out:
    cqe_gen_heap_free(&R.heap);
    free(R.buf);
    return rc;
}
