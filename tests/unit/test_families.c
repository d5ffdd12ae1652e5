/* Unit tests of the event families (processors/families): the family table, and each
 * family applying a hand-made event, read back as the exact cells docs/state.md lists. */
#include <string.h>

#include "apply.h"
#include "config.h"
#include "event.h"
#include "family.h"
#include "store.h"
#include "unit.h"

#define S(lit) ((struct cqe_str){lit, sizeof(lit) - 1})

/* 2026-03-01T09:13:00+08:00 = 2026-03-01T01:13:00Z */
#define TS 1772327580000LL

static struct cqe_event base(enum cqe_type type, enum cqe_action action)
{
    struct cqe_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.action = action;
    ev.ts = TS;
    ev.id = S("e1");
    ev.provider = S("p1");
    return ev;
}

/* Applies ev to a new store under the default configuration. */
static struct cqe_store *applied(const struct cqe_event *ev, int *rc)
{
    static struct cqe_config cfg;
    cqe_config_defaults(&cfg);
    struct cqe_store *s = cqe_store_new();
    struct cqe_apply_ctx ctx;
    cqe_apply_init(&ctx, s, &cfg);
    *rc = cqe_apply_event(&ctx, ev);
    cqe_apply_fini(&ctx);
    cqe_config_fini(&cfg);
    return s;
}

static const struct cqe_cell *get(const struct cqe_store *s, const char *k, const char *f,
                                  enum cqe_cell_op op)
{
    return cqe_store_get(s, k, strlen(k), f, strlen(f), op);
}

static bool reg_is(const struct cqe_cell *c, int64_t ts, const char *val)
{
    return c && c->reg_ts == ts && c->reg_val_len == strlen(val) && !memcmp(c->reg_val, val, c->reg_val_len);
}

CQE_TEST(families_table_covers_every_type_once)
{
    for (int t = 0; t < CQE_T__COUNT; t++) {
        const struct cqe_family *f = cqe_family_of_type((enum cqe_type)t);
        CHECK(f && f->type == (enum cqe_type)t && f->apply && f->parse);
        CHECK(f && !strcmp(f->name, cqe_type_name((enum cqe_type)t)));
    }
    /* every prefix belongs to exactly one family */
    size_t n_prefixes = 0;
    for (size_t i = 0; i < cqe_family_count(); i++)
        for (const char *const *p = cqe_family_at(i)->prefixes; *p; p++) {
            n_prefixes++;
            CHECK(cqe_family_of_prefix(*p, strlen(*p)) == cqe_family_at(i));
        }
    CHECK(n_prefixes == 20); /* docs/state.md: G I P PS PF W T TF V MG AS U UD UDR UR B BS D AU SV */
    CHECK(cqe_family_of_prefix("T", 1) == &cqe_family_ticket);
    CHECK(cqe_family_of_prefix("TF", 2) == &cqe_family_ticket);
    CHECK(cqe_family_of_prefix("X", 1) == NULL && cqe_family_of_prefix("", 0) == NULL);
}

CQE_TEST(families_every_event_registers_provider_dept_and_ts)
{
    struct cqe_event ev = base(CQE_T_AUDIT, CQE_A_NONE);
    ev.dept = S("d1");
    ev.entity = S("op1");
    int rc;
    struct cqe_store *s = applied(&ev, &rc);
    CHECK(rc == 0);
    CHECK(get(s, "G|prov", "p1", CQE_OP_SET) && get(s, "G|dept", "d1", CQE_OP_SET));
    const struct cqe_cell *c = get(s, cqe_key_max_ts, CQE_FIELD_MAX_TS, CQE_OP_MAX);
    CHECK(c && c->d == (double)TS);
    c = get(s, cqe_key_max_ts, CQE_FIELD_MIN_TS, CQE_OP_MIN);
    CHECK(c && c->d == (double)TS);
    c = get(s, "AU|2026-03|p1", "n", CQE_OP_SUM);
    CHECK(c && c->sum == 1);
    CHECK(get(s, "AU|2026-03|p1", "traced", CQE_OP_SUM) == NULL); /* no target/ticket_ref */
    CHECK(cqe_store_cells(s) == 5);                               /* G|prov, G|dept, G|ts max and min, AU n */
    cqe_store_free(s);
}

CQE_TEST(families_vuln_found_and_fixed)
{
    struct cqe_event ev = base(CQE_T_VULN, CQE_A_FOUND);
    ev.entity = S("V|1"); /* '|' is escaped in the key */
    ev.level = CQE_VULN_HIGH;
    int rc;
    struct cqe_store *s = applied(&ev, &rc);
    CHECK(rc == 0 && reg_is(get(s, "V|V\\|1", "found", CQE_OP_REG_MIN), TS, "p1|1"));
    cqe_store_free(s);
    ev.action = CQE_A_FIXED;
    s = applied(&ev, &rc);
    const struct cqe_cell *c = get(s, "V|V\\|1", "fixed", CQE_OP_MIN);
    CHECK(rc == 0 && c && c->d == (double)TS);
    cqe_store_free(s);
}

CQE_TEST(families_ticket_open_close_feedback)
{
    struct cqe_event ev = base(CQE_T_TICKET, CQE_A_OPEN);
    ev.entity = S("T1");
    ev.due = TS + 3600000;
    ev.has = CQE_HAS_COMPLAINT;
    ev.complaint = true;
    int rc;
    struct cqe_store *s = applied(&ev, &rc);
    CHECK(rc == 0 && reg_is(get(s, "T|T1", "open", CQE_OP_REG_MIN), TS, "p1|1772331180000|1"));
    cqe_store_free(s);
    ev.action = CQE_A_FEEDBACK;
    ev.satisfied = true;
    s = applied(&ev, &rc);
    const struct cqe_cell *n = get(s, "TF|2026-03|p1", "n", CQE_OP_SUM);
    const struct cqe_cell *sat = get(s, "TF|2026-03|p1", "sat", CQE_OP_SUM);
    CHECK(rc == 0 && n && n->sum == 1 && sat && sat->sum == 1);
    cqe_store_free(s);
}

CQE_TEST(families_incident_record)
{
    struct cqe_event ev = base(CQE_T_INCIDENT, CQE_A_OPEN);
    ev.entity = S("I1");
    ev.dept = S("d1");
    ev.service = S("s1");
    ev.has = CQE_HAS_SEVERITY | CQE_HAS_SCOPE;
    ev.severity = 2;
    ev.scope = 0.5;
    int rc;
    struct cqe_store *s = applied(&ev, &rc);
    /* ts|id|action|provider|dept?|service?|severity?|impact?|scope?|cause?|category?|data_loss? */
    CHECK(rc == 0 && get(s, "I|I1", "1772327580000|e1|1|p1|=d1|=s1|=2||=0.5|||", CQE_OP_SET));
    cqe_store_free(s);
}

CQE_TEST(families_probe_minute_month_and_first)
{
    struct cqe_event ev = base(CQE_T_PROBE, CQE_A_NONE);
    ev.service = S("s1");
    ev.ok = false;
    int rc;
    struct cqe_store *s = applied(&ev, &rc);
    CHECK(rc == 0);
    /* 09:13 local is minute 553 of 2026-03-01: fail count at 2*553+1 */
    const struct cqe_cell *c = get(s, "P|s1|2026-03-01", "", CQE_OP_VEC);
    CHECK(c && c->vec_len == CQE_PROBE_VEC_LEN && cqe_vec_get(c, 1107) == 1 && cqe_vec_get(c, 1106) == 0);
    CHECK(get(s, "PS|2026-03", "s1", CQE_OP_SET));
    CHECK(reg_is(get(s, "PF|s1", "", CQE_OP_REG_MIN), TS, "p1|"));
    cqe_store_free(s);
}

CQE_TEST(families_maintenance_migration_asset_drill)
{
    struct cqe_event ev = base(CQE_T_MAINTENANCE, CQE_A_SCHEDULE);
    ev.entity = S("W1");
    ev.has = CQE_HAS_START | CQE_HAS_END;
    ev.start = 1000;
    ev.end = 2000;
    int rc;
    struct cqe_store *s = applied(&ev, &rc);
    CHECK(rc == 0 && reg_is(get(s, "W|W1", "", CQE_OP_REG_MAX), TS, "6|p1||1000|2000"));
    cqe_store_free(s);

    ev = base(CQE_T_MIGRATION, CQE_A_DONE);
    ev.entity = S("M1");
    ev.ok = true;
    s = applied(&ev, &rc);
    CHECK(rc == 0 && get(s, "MG|M1", "1772327580000|e1|p1|1|0", CQE_OP_SET));
    cqe_store_free(s);

    ev = base(CQE_T_ASSET, CQE_A_ADD);
    ev.entity = S("A1");
    ev.asset_class = CQE_ASSET_OS;
    s = applied(&ev, &rc);
    CHECK(rc == 0 && get(s, "AS|A1", "1772327580000|e1|14|1|0|p1", CQE_OP_SET));
    cqe_store_free(s);

    ev = base(CQE_T_DRILL, CQE_A_DONE);
    ev.entity = S("D1");
    ev.drill_kind = CQE_DRILL_EMERGENCY;
    ev.ok = true;
    s = applied(&ev, &rc);
    CHECK(rc == 0 && get(s, "D|2026-03|p1|emergency", "d|D1", CQE_OP_SET) &&
          get(s, "D|2026-03|p1|emergency", "s|D1", CQE_OP_SET));
    cqe_store_free(s);
}

/* Which vectors Redis keeps as runs: the probe family's day vectors, pairs of (ok, fail). */
CQE_TEST(families_vector_run_widths)
{
    CHECK(cqe_family_vec_run_width("P|svc-1|2026-03-01", 18) == 2);
    CHECK(cqe_family_vec_run_width("P", 1) == 2);
    CHECK(cqe_family_vec_run_width("U|2026-03|gz", 12) == 0);
    CHECK(cqe_family_vec_run_width("PS|2026-03", 10) == 0);
    CHECK(cqe_family_vec_run_width("PX|a", 4) == 0);
    CHECK(cqe_family_vec_run_width("", 0) == 0);
}

/* The retention month of store key `key` with the cells of store s under it (NULL: the
 * name alone), in +08:00. */
static int64_t month_of(const char *key, const struct cqe_store *s)
{
    const struct cqe_cell *cells[8];
    size_t n = 0;
    static const char *const fields[] = {"", "open", "close", "found", "fixed", "plan"};
    static const enum cqe_cell_op ops[] = {CQE_OP_REG_MIN, CQE_OP_REG_MAX, CQE_OP_MIN};
    for (size_t f = 0; s && f < sizeof fields / sizeof *fields; f++)
        for (size_t o = 0; o < sizeof ops / sizeof *ops && n < 8; o++)
            if ((cells[n] = get(s, key, fields[f], ops[o])))
                n++;
    struct cqe_kparts k = {0};
    int64_t m = -1;
    if (cqe_kparts_parse(&k, key, strlen(key)) || cqe_family_key_month(&k, cells, n, 480, &m))
        m = -1;
    cqe_kparts_free(&k);
    return m;
}

#define MONTH(y, m) ((int64_t)(y)*12 + (m)-1)

CQE_TEST(families_retention_month_of_keys)
{
    /* by name: a month or a date in the key; first-seen registers and the registry never */
    CHECK(month_of("U|2024-03|p1", NULL) == MONTH(2024, 3));
    CHECK(month_of("UR|2024-12|p1|vm-1", NULL) == MONTH(2024, 12));
    CHECK(month_of("P|s1|2024-11-03", NULL) == MONTH(2024, 11));
    CHECK(month_of("PS|2025-01", NULL) == MONTH(2025, 1));
    CHECK(month_of("TF|2024-02|p1", NULL) == MONTH(2024, 2));
    CHECK(month_of("PF|s1", NULL) == CQE_MONTH_NEVER);
    CHECK(month_of("G|prov", NULL) == CQE_MONTH_NEVER);
    CHECK(month_of("ZZ|2024-01", NULL) == CQE_MONTH_NEVER);
    CHECK(month_of("U|2024-3|p1", NULL) == CQE_MONTH_NEVER); /* not a month: kept */
    /* an entity known by name only is kept */
    CHECK(month_of("T|T1", NULL) == CQE_MONTH_NEVER);
    CHECK(month_of("I|I1", NULL) == CQE_MONTH_NEVER);

    /* a ticket opened 2026-03-01 09:13 +08:00: the later of its open and its first close */
    struct cqe_event ev = base(CQE_T_TICKET, CQE_A_OPEN);
    ev.entity = S("T1");
    int rc;
    struct cqe_store *s = applied(&ev, &rc);
    CHECK(rc == 0 && month_of("T|T1", s) == MONTH(2026, 3));
    /* a close at 2025-04-01T00:00+08:00 (before the open): the open's month */
    CHECK(cqe_store_min(s, "T|T1", 4, "close", 5, 1743436800000.0) == 0);
    CHECK(month_of("T|T1", s) == MONTH(2026, 3));
    cqe_store_free(s);
    struct cqe_store *t = applied(&ev, &rc);
    /* a close at 2026-04-05T00:00+08:00: its month */
    CHECK(cqe_store_min(t, "T|T1", 4, "close", 5, 1775318400000.0) == 0);
    CHECK(month_of("T|T1", t) == MONTH(2026, 4));
    cqe_store_free(t);
}
