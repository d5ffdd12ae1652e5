/* The family table (family.h): one row per event type, in type order, then the
 * registry of every event (providers, departments, the largest ts). */
#include "family.h"

#include <string.h>

static const struct cqe_family *const table[] = {
    [CQE_T_INCIDENT] = &cqe_family_incident,   [CQE_T_PROBE] = &cqe_family_probe,
    [CQE_T_METRIC] = &cqe_family_metric,       [CQE_T_MAINTENANCE] = &cqe_family_maintenance,
    [CQE_T_TICKET] = &cqe_family_ticket,       [CQE_T_BACKUP] = &cqe_family_backup,
    [CQE_T_DRILL] = &cqe_family_drill,         [CQE_T_VULN] = &cqe_family_vuln,
    [CQE_T_MIGRATION] = &cqe_family_migration, [CQE_T_AUDIT] = &cqe_family_audit,
    [CQE_T_SURVEY] = &cqe_family_survey,       [CQE_T_ASSET] = &cqe_family_asset,
    [CQE_T__COUNT] = &cqe_family_registry,
};

_Static_assert(sizeof table / sizeof *table == CQE_T__COUNT + 1, "one family per event type");

const struct cqe_family *cqe_family_of_type(enum cqe_type t)
{
    return table[t];
}

size_t cqe_family_count(void)
{
    return sizeof table / sizeof *table;
}

const struct cqe_family *cqe_family_at(size_t i)
{
    return table[i];
}

const struct cqe_family *cqe_family_of_prefix(const char *p, size_t n)
{
    for (size_t i = 0; i < cqe_family_count(); i++)
        for (const char *const *x = table[i]->prefixes; *x; x++)
            if (strlen(*x) == n && !memcmp(*x, p, n))
                return table[i];
    return NULL;
}

uint32_t cqe_family_vec_run_width(const char *key, size_t n)
{
    const char *bar = memchr(key, '|', n);
    size_t pn = bar ? (size_t)(bar - key) : n; /* family prefixes hold no '|' nor '\\' */
    const struct cqe_family *f = cqe_family_of_prefix(key, pn);
    if (!f || !f->vec_runs)
        return 0;
    for (const struct cqe_vec_runs *r = f->vec_runs; r->prefix; r++)
        if (strlen(r->prefix) == pn && !memcmp(r->prefix, key, pn))
            return r->width;
    return 0;
}
