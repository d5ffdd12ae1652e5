/* Unit tests of the read view (processors/evaluate/view.c): hand-made store cells in,
 * view fields out; corrupt stored records are reported as corrupt state naming the key
 * and field, never read past their end. */
#include <string.h>

#include "config.h"
#include "err.h"
#include "event.h"
#include "store.h"
#include "unit.h"
#include "view.h"

/* Builds the view of s and expects it to fail with CQE_EIO naming key and field. */
static int fails_corrupt(struct cqe_store *s, const char *key, const char *field)
{
    struct cqe_config cfg;
    cqe_config_defaults(&cfg);
    struct cqe_err err = {0};
    struct cqe_view *v = cqe_view_build(s, &cfg, &err);
    int ok = v == NULL && err.code == CQE_EIO && strstr(err.msg, key) && strstr(err.msg, field);
    if (!ok)
        fprintf(stderr, "view: code %d msg \"%s\"\n", err.code, err.msg);
    cqe_view_free(v);
    cqe_config_fini(&cfg);
    return ok;
}

CQE_TEST(view_vuln_level_out_of_range_is_corrupt)
{
    struct cqe_store *s = cqe_store_new();
    CHECK(s != NULL);
    /* provider "p1", level 7: levels are 0..3 (enum cqe_vuln_level) */
    cqe_store_reg(s, CQE_OP_REG_MIN, "V|v1", 4, "found", 5, 1000, "e1", 2, "p1|7", 4);
    CHECK(fails_corrupt(s, "V|v1", "found"));
    cqe_store_free(s);
}

CQE_TEST(view_short_ticket_record_is_corrupt)
{
    struct cqe_store *s = cqe_store_new();
    CHECK(s != NULL);
    /* a ticket open must hold provider|due|complaint; a bare provider is short */
    cqe_store_reg(s, CQE_OP_REG_MIN, "T|t1", 4, "open", 4, 1000, "e1", 2, "p1", 2);
    CHECK(fails_corrupt(s, "T|t1", "open"));
    cqe_store_free(s);
}

CQE_TEST(view_short_window_record_is_corrupt)
{
    struct cqe_store *s = cqe_store_new();
    CHECK(s != NULL);
    /* action|provider|service?|start|end, cut after the provider */
    cqe_store_reg(s, CQE_OP_REG_MAX, "W|w1", 4, "", 0, 1000, "e1", 2, "6|p1", 4);
    CHECK(fails_corrupt(s, "W|w1", "record"));
    cqe_store_free(s);
}

CQE_TEST(view_key_with_too_many_parts_is_corrupt_not_oom)
{
    struct cqe_store *s = cqe_store_new();
    CHECK(s != NULL);
    char key[64];
    memset(key, '|', sizeof key);
    key[0] = 'I';
    cqe_store_set_add(s, key, sizeof key, "1|e1|1|p1", 9);
    CHECK(fails_corrupt(s, "I|||", "key"));
    cqe_store_free(s);
}

CQE_TEST(view_short_incident_record_is_corrupt_not_oom)
{
    struct cqe_store *s = cqe_store_new();
    CHECK(s != NULL);
    cqe_store_set_add(s, "I|i1", 4, "1000|e1|1|p1", 12);
    CHECK(fails_corrupt(s, "I|i1", "1000|e1|1|p1"));
    cqe_store_free(s);
}

CQE_TEST(view_fields_from_hand_made_cells)
{
    struct cqe_config cfg;
    cqe_config_defaults(&cfg);
    struct cqe_store *s = cqe_store_new();
    CHECK(s != NULL);
    cqe_store_reg(s, CQE_OP_REG_MIN, "T|t1", 4, "open", 4, 1000, "e1", 2, "p1|5000|1", 9);
    cqe_store_min(s, "T|t1", 4, "close", 5, 4000);
    cqe_store_min(s, "T|t2", 4, "close", 5, 7000); /* a close with no open */
    cqe_store_reg(s, CQE_OP_REG_MIN, "V|v1", 4, "found", 5, 2000, "e2", 2, "p2|3", 4);
    cqe_store_reg(s, CQE_OP_REG_MAX, "W|w1", 4, "", 0, 3000, "e3", 2, "6|p1|=s1|100|200", 16);
    cqe_store_vec_add(s, "P|s1|2026-03-01", 15, "", 0, 2880, 2 * 553 + 1, 2); /* 2 fails */
    cqe_store_vec_add(s, "P|s1|2026-03-01", 15, "", 0, 2880, 2 * 553, 1);     /* 1 ok */
    cqe_store_max(s, "G|ts", 4, "max", 3, 9000);
    struct cqe_err err = {0};
    struct cqe_view *v = cqe_view_build(s, &cfg, &err);
    CHECK(v != NULL);
    if (v) {
        CHECK(v->max_ts == 9000);
        CHECK(v->n_tickets == 2 && v->n_vulns == 1 && v->n_win == 1);
        size_t p1 = cqe_strmap_find(&v->providers, "p1", 2);
        size_t p2 = cqe_strmap_find(&v->providers, "p2", 2);
        size_t s1 = cqe_strmap_find(&v->services, "s1", 2);
        CHECK(p1 != CQE_NONE && p2 != CQE_NONE && s1 != CQE_NONE);
        size_t t1 = cqe_strmap_find(&v->ticket_ids, "t1", 2);
        size_t t2 = cqe_strmap_find(&v->ticket_ids, "t2", 2);
        CHECK(t1 != CQE_NONE && t2 != CQE_NONE);
        if (t1 != CQE_NONE && t2 != CQE_NONE) {
            const struct cqe_ticket *t = &v->tickets[t1];
            CHECK(t->provider == p1 && t->open_ts == 1000 && t->due == 5000 && t->complaint);
            CHECK(t->has_close && t->close_ts == 4000);
            CHECK(v->tickets[t2].provider == CQE_NONE && v->tickets[t2].close_ts == 7000);
        }
        CHECK(v->vulns[0].provider == p2 && v->vulns[0].found_ts == 2000 &&
              v->vulns[0].level == CQE_VULN_LOW && !v->vulns[0].has_fixed);
        const struct cqe_window *w = &v->win[0];
        CHECK(w->scheduled && w->latest_ts == 3000 && w->provider == p1 && w->service == s1 &&
              w->start == 100 && w->end == 200);
        /* 2026-03-01 00:00 +08:00 is UTC minute 29538720 - 480; minute 553 of the day */
        const struct cqe_service *sv = &v->svc[s1];
        CHECK(sv->has_probe && sv->n_pm == 1 && sv->pm[0].ok == 1 && sv->pm[0].fail == 2);
        CHECK(sv->pm[0].minute == 1772294400000 / 60000 + 553);
    }
    cqe_view_free(v);
    cqe_store_free(s);
    cqe_config_fini(&cfg);
}
