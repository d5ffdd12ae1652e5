/* `cloudqe gen --config-out`: the configuration JSON (docs/spec/config.md) that
 * matches a generated province — its service catalog, minus the few services left
 * out on purpose, and the public holidays and 调休 workdays of the years it covers. */
#include <stdio.h>

#include "file_writer.h"
#include "gen.h"
#include "timeutil.h"

struct md {
    int m, d, days; /* first date and length of a run of days */
};

/* Every year: 元旦, 劳动节, 国庆 (fixed dates). */
static const struct md fixed_holidays[] = {{1, 1, 1}, {5, 1, 3}, {10, 1, 7}};

/* 2026 as announced by the State Council (lunar holidays move every year). */
static const struct md holidays_2026[] = {{1, 1, 3},  {2, 15, 9}, {4, 4, 3}, {5, 1, 5},
                                          {6, 19, 3}, {9, 25, 3}, {10, 1, 7}};
static const struct md workdays_2026[] = {{1, 4, 1}, {2, 14, 1}, {2, 28, 1},
                                          {5, 9, 1}, {9, 20, 1}, {10, 10, 1}};

struct out {
    struct cqe_file_writer *fw;
    struct cqe_err *err;
    int rc;
    int first;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (!o->rc)
        o->rc = cqe_file_writer_write(o->fw, s, n, o->err);
}

static void puts_(struct out *o, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    put(o, s, n);
}

static void put_dates(struct out *o, const struct md *v, size_t n, int64_t year)
{
    char buf[32];
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < v[i].days; k++) {
            int64_t day = cqe_days_from_civil(year, v[i].m, v[i].d) + k;
            int64_t y;
            int m, d;
            cqe_civil_from_days(day, &y, &m, &d);
            int len =
                snprintf(buf, sizeof buf, "%s\"%04lld-%02d-%02d\"", o->first ? "" : ",", (long long)y, m, d);
            o->first = 0;
            put(o, buf, (size_t)len);
        }
}

int cqe_gen_write_config(const struct cqe_gen_world *w, const char *path, struct cqe_err *err)
{
    struct out o = {NULL, err, 0, 1};
    int rc = cqe_file_writer_open(path, &o.fw, err);
    if (rc)
        return rc;
    int64_t y0, y1;
    int m, d;
    cqe_civil_from_days(w->opts.start_day, &y0, &m, &d);
    cqe_civil_from_days(w->opts.start_day + w->opts.days - 1, &y1, &m, &d);

    puts_(&o, "{\n  \"utc_offset\": \"+08:00\",\n  \"services\": [");
    int first = 1;
    char buf[512];
    for (size_t s = 0; s < w->n_svcs; s++) {
        const struct cqe_gen_service *sv = &w->svcs[s];
        if (!sv->in_catalog)
            continue;
        int len = snprintf(buf, sizeof buf,
                           "%s\n    {\"id\": \"%s\", \"provider\": \"%s\", \"dept\": \"%s\", "
                           "\"target\": %.6g, \"calendar\": \"%s\", \"weight\": %d}",
                           first ? "" : ",", sv->id, w->provs[sv->prov].id, w->depts[sv->dept].name,
                           sv->target, sv->cal_5x8 ? "5x8" : "7x24", sv->weight);
        first = 0;
        if (len > 0 && (size_t)len < sizeof buf)
            put(&o, buf, (size_t)len);
    }
    puts_(&o, "\n  ],\n  \"holidays\": [");
    o.first = 1;
    for (int64_t y = y0; y <= y1; y++) {
        if (y == 2026)
            put_dates(&o, holidays_2026, sizeof holidays_2026 / sizeof holidays_2026[0], y);
        else
            put_dates(&o, fixed_holidays, sizeof fixed_holidays / sizeof fixed_holidays[0], y);
    }
    puts_(&o, "],\n  \"workdays\": [");
    o.first = 1;
    for (int64_t y = y0; y <= y1; y++)
        if (y == 2026)
            put_dates(&o, workdays_2026, sizeof workdays_2026 / sizeof workdays_2026[0], y);
    puts_(&o, "]\n}\n");
    rc = o.rc;
    int crc = cqe_file_writer_close(o.fw, rc ? NULL : err);
    return rc ? rc : crc;
}
