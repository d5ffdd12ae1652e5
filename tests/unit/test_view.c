/* Unit tests of the read view (processors/evaluate/view.c): hand-made store cells in,
 * view fields out; corrupt stored records are reported as corrupt state naming the key
 * and field, never read past their end. */
#include <string.h>

#include "config.h"
#include "err.h"
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
