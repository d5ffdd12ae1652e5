/* The unit of each model figure (docs/spec/model.md: the default tree's curve kinds and
 * the named figures of outputs.md), and a value printed with it for the report. */
#include "report_units.h"

#include <stdio.h>
#include <string.h>

enum unit { U_NONE, U_RATIO, U_COUNT, U_POINTS, U_PER100, U_SECONDS };

/* Leaf ids of the default tree whose figure is not a ratio (every other leaf is). */
static const struct {
    const char *figure;
    enum unit unit;
} units[] = {
    {"A1.2", U_COUNT},
    {"C1", U_POINTS},
    {"C3", U_PER100},
    {"services", U_COUNT},
    {"incidents", U_COUNT},
    {"maintenance_late_notice", U_COUNT},
    {"incident_orphans", U_COUNT},
};

static enum unit unit_of(const char *figure)
{
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (!strcmp(figure, units[i].figure))
            return units[i].unit;
    size_t n = strlen(figure);
    if (n > 2 && !strcmp(figure + n - 2, "_s"))
        return U_SECONDS;
    if ((figure[0] >= 'A' && figure[0] <= 'C' && figure[1] >= '0' && figure[1] <= '9') ||
        !strcmp(figure, "availability") || !strcmp(figure, "probe_coverage") || !strncmp(figure, "cpu_", 4) ||
        !strncmp(figure, "mem_", 4) || !strncmp(figure, "disk_", 5) || !strncmp(figure, "net_", 4))
        return U_RATIO;
    return U_NONE;
}

const char *cqe_report_value(const char *figure, double v, char *buf, size_t n)
{
    switch (figure ? unit_of(figure) : U_NONE) {
    case U_RATIO: snprintf(buf, n, "%.3f %%", 100 * v); break;
    case U_COUNT: snprintf(buf, n, "%.0f (count)", v); break;
    case U_POINTS: snprintf(buf, n, "%.2f points", v); break;
    case U_PER100: snprintf(buf, n, "%.2f per 100 tickets", v); break;
    case U_SECONDS: snprintf(buf, n, "%.0f s (%.2f h)", v, v / 3600); break;
    default: snprintf(buf, n, "%.4f", v); break;
    }
    return buf;
}
