/* Backups (A3.1 success rate, A3.2 RPO compliance with the tail gap to the end of the
 * observed span, Readings 14). Services merge across months, and across providers for
 * the platform. */
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "figures.h"

struct svc_backup {
    size_t service;
    int64_t rpo_max; /* -1 when no event gave one */
    int64_t *ok_ts;
    size_t n_ok, cap_ok;
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int cqe_fig_backups(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    __int128 n = 0, ok = 0;
    size_t nsvc = v->services.n;
    struct svc_backup *sb = calloc(nsvc ? nsvc : 1, sizeof *sb);
    bool *seen = calloc(nsvc ? nsvc : 1, sizeof *seen);
    int rc = 0;
    if (!sb || !seen) {
        rc = CQE_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nsvc; i++)
        sb[i].rpo_max = -1;
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if ((a->fam != CQE_AGG_B && a->fam != CQE_AGG_BS) || !cqe_period_has_month(&pe->period, a->month) ||
            (target != CQE_NONE && a->provider != target))
            continue;
        const struct cqe_cell *c = a->cell;
        if (a->fam == CQE_AGG_B) {
            bool all = c->field_len == 1 && c->field[0] == 'n';
            if (all)
                n += c->sum;
            else
                ok += c->sum;
            if (out->ev)
                cqe_ev_month_count(out->ev, CQE_LEAF_A3_1, a, all ? "backups" : "ok");
            continue;
        }
        struct svc_backup *b = &sb[a->aux];
        seen[a->aux] = true;
        if (c->op == CQE_OP_MAX && (int64_t)c->d > b->rpo_max)
            b->rpo_max = (int64_t)c->d;
        if (c->op == CQE_OP_SET && c->field_len > 2 && c->field[0] == 't') {
            if (b->n_ok == b->cap_ok) {
                size_t cap = b->cap_ok ? b->cap_ok * 2 : 8;
                int64_t *p = realloc(b->ok_ts, cap * sizeof *p);
                if (!p) {
                    rc = CQE_ENOMEM;
                    goto out;
                }
                b->ok_ts = p;
                b->cap_ok = cap;
            }
            int64_t ts = 0;
            for (size_t j = 2; j < c->field_len; j++)
                ts = ts * 10 + (c->field[j] - '0');
            b->ok_ts[b->n_ok++] = ts;
        }
    }
    out->leaf[CQE_LEAF_A3_1] = (struct cqe_opt){n > 0, n > 0 ? (double)ok / (double)n : 0};
    if (out->ev)
        cqe_ev_month_effects(out->ev, CQE_LEAF_A3_1, "backups", "ok", (double)n);
    int64_t with_events = 0, compliant = 0;
    for (size_t s = 0; s < nsvc; s++) {
        if (!seen[s])
            continue;
        struct svc_backup *b = &sb[s];
        with_events++;
        int64_t rpo_ms = (b->rpo_max >= 0 ? b->rpo_max : v->cfg->rpo_target_s) * 1000, gap = -1, at = 0;
        bool good = b->n_ok > 0;
        if (good) {
            qsort(b->ok_ts, b->n_ok, sizeof *b->ok_ts, cmp_i64);
            gap = pe->span_end - b->ok_ts[b->n_ok - 1]; /* the tail gap, then the largest */
            at = b->ok_ts[b->n_ok - 1];
            good = gap <= rpo_ms;
            for (size_t j = 1; j < b->n_ok; j++) {
                if (b->ok_ts[j] - b->ok_ts[j - 1] > rpo_ms)
                    good = false;
                if (b->ok_ts[j] - b->ok_ts[j - 1] > gap) {
                    gap = b->ok_ts[j] - b->ok_ts[j - 1];
                    at = b->ok_ts[j - 1];
                }
            }
        }
        compliant += good;
        if (out->ev) {
            void *o = cqe_ev_item(out->ev, CQE_LEAF_A3_2, "service", v->services.keys[s], v->services.lens[s],
                                  good ? "compliant" : "not_compliant", !good);
            cqe_ev_tally(out->ev, CQE_LEAF_A3_2, good ? "compliant" : "not_compliant");
            cqe_ev_int(out->ev, o, "successful_backups", (int64_t)b->n_ok);
            cqe_ev_num(out->ev, o, "rpo_target_s", (double)rpo_ms / 1000.0);
            if (gap >= 0) {
                cqe_ev_num(out->ev, o, "largest_gap_s", (double)gap / 1000.0);
                cqe_ev_time(out->ev, o, "largest_gap_from", at);
            }
        }
    }
    out->leaf[CQE_LEAF_A3_2] =
        (struct cqe_opt){with_events > 0, with_events ? (double)compliant / (double)with_events : 0};
    if (out->ev)
        cqe_ev_effects(out->ev, CQE_LEAF_A3_2, with_events ? 1.0 / (double)with_events : 0);
out:
    for (size_t i = 0; sb && i < nsvc; i++)
        free(sb[i].ok_ts);
    free(sb);
    free(seen);
    return rc;
}
