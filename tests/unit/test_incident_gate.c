/* The bound on incidents never opened (processors/state/incident_gate.c): the rule of
 * docs/readings.md 25 on small hand-checked sequences, the cells it writes, and a gate
 * loaded from those cells deciding as the gate that wrote them. */
#include <stdio.h>
#include <string.h>

#include "incident_gate.h"
#include "store.h"
#include "unit.h"

/* Admits and records like the pipeline; returns what cqe_igate_admits said. */
static int feed(struct cqe_igate *g, struct cqe_store *s, const char *inc, int is_open)
{
    int ok = cqe_igate_admits(g, inc, strlen(inc), is_open);
    if (ok && cqe_igate_record(g, inc, strlen(inc), is_open, s))
        return -1;
    return ok;
}

static __int128 held_cell(const struct cqe_store *s, const char *inc)
{
    const struct cqe_cell *c =
        cqe_store_get(s, CQE_IGATE_KEY_PENDING, strlen(CQE_IGATE_KEY_PENDING), inc, strlen(inc), CQE_OP_SUM);
    return c ? c->sum : 0;
}

static int opened_cell(const struct cqe_store *s, const char *inc)
{
    return cqe_store_get(s, CQE_IGATE_KEY_OPENED, strlen(CQE_IGATE_KEY_OPENED), inc, strlen(inc),
                         CQE_OP_SET) != NULL;
}

CQE_TEST(igate_holds_at_most_limit_events_of_incidents_not_opened)
{
    struct cqe_igate *g = cqe_igate_new(3);
    struct cqe_store *s = cqe_store_new();
    CHECK(g && s);
    CHECK(feed(g, s, "A", 0) == 1); /* held: A 1 */
    CHECK(feed(g, s, "B", 0) == 1); /* A 1, B 1 */
    CHECK(feed(g, s, "A", 0) == 1); /* A 2, B 1: full */
    CHECK(cqe_igate_held(g) == 3 && cqe_igate_pending(g) == 2);
    CHECK(feed(g, s, "C", 0) == 0); /* a new incident: refused */
    CHECK(feed(g, s, "B", 0) == 0); /* a held one too: the bound counts events */
    CHECK(feed(g, s, "C", 1) == 1); /* an open is always applied */
    CHECK(feed(g, s, "C", 0) == 1); /* and so is every event of an opened incident */
    CHECK(feed(g, s, "A", 1) == 1); /* A's 2 events are no longer held */
    CHECK(cqe_igate_held(g) == 1 && cqe_igate_pending(g) == 1 && cqe_igate_opened(g) == 2);
    CHECK(feed(g, s, "D", 0) == 1 && feed(g, s, "D", 0) == 1);
    CHECK(feed(g, s, "E", 0) == 0);
    CHECK(feed(g, s, "A", 1) == 1 && cqe_igate_opened(g) == 2); /* a second open changes nothing */
    /* the cells: held events per incident while it had no open, and the opened ones */
    CHECK(held_cell(s, "A") == 2 && held_cell(s, "B") == 1 && held_cell(s, "C") == 0 &&
          held_cell(s, "D") == 2);
    CHECK(opened_cell(s, "A") && opened_cell(s, "C") && !opened_cell(s, "B") && !opened_cell(s, "E"));
    cqe_store_free(s);
    cqe_igate_free(g);
}

CQE_TEST(igate_limit_zero_refuses_every_event_before_an_open)
{
    struct cqe_igate *g = cqe_igate_new(0);
    struct cqe_store *s = cqe_store_new();
    CHECK(g && s);
    CHECK(feed(g, s, "A", 0) == 0 && feed(g, s, "A", 1) == 1 && feed(g, s, "A", 0) == 1);
    CHECK(cqe_store_cells(s) == 1 && cqe_igate_held(g) == 0);
    cqe_store_free(s);
    cqe_igate_free(g);
}

/* What a resumed partition loads from the cells (in either order) decides as before. */
static int load_cell(const struct cqe_cell *c, void *arg)
{
    struct cqe_igate *g = arg;
    if (c->op == CQE_OP_SET)
        return cqe_igate_load_opened(g, c->field, c->field_len);
    return cqe_igate_load_pending(g, c->field, c->field_len, (int64_t)c->sum);
}

CQE_TEST(igate_loaded_from_its_cells_decides_the_same)
{
    struct cqe_igate *g = cqe_igate_new(1000);
    struct cqe_store *s = cqe_store_new();
    char id[16];
    CHECK(g && s);
    for (int i = 0; i < 1500; i++) { /* grows past several doublings */
        int n = snprintf(id, sizeof id, "I%d", i % 1200);
        CHECK(cqe_igate_admits(g, id, (size_t)n, i % 3 == 0) >= 0);
        if (cqe_igate_admits(g, id, (size_t)n, i % 3 == 0))
            CHECK(cqe_igate_record(g, id, (size_t)n, i % 3 == 0, s) == 0);
    }
    struct cqe_igate *h = cqe_igate_new(1000);
    CHECK(h && cqe_store_each(s, load_cell, h) == 0);
    CHECK(cqe_igate_held(h) == cqe_igate_held(g) && cqe_igate_pending(h) == cqe_igate_pending(g) &&
          cqe_igate_opened(h) == cqe_igate_opened(g));
    for (int i = 0; i < 1300; i++) {
        int n = snprintf(id, sizeof id, "I%d", i);
        CHECK(cqe_igate_admits(h, id, (size_t)n, 0) == cqe_igate_admits(g, id, (size_t)n, 0));
    }
    CHECK(cqe_igate_bytes(g) >= 16 * 2 * cqe_igate_opened(g));
    cqe_igate_free(h);
    cqe_store_free(s);
    cqe_igate_free(g);
}
