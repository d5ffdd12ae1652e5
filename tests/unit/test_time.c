/* Unit tests of core/timeutil.c against dates computed by hand. */
#include <string.h>

#include "timeutil.h"
#include "unit.h"

CQE_TEST(time_civil_round_trip)
{
    CHECK(cqe_days_from_civil(1970, 1, 1) == 0);
    CHECK(cqe_days_from_civil(2000, 3, 1) == 11017);
    CHECK(cqe_weekday(cqe_days_from_civil(2026, 3, 1)) == 6); /* a Sunday */
    for (int64_t d = -800000; d < 800000; d += 37) {
        int64_t y;
        int m, dd;
        cqe_civil_from_days(d, &y, &m, &dd);
        CHECK(cqe_days_from_civil(y, m, dd) == d);
    }
}

CQE_TEST(time_rfc3339)
{
    int64_t ms = 0;
    CHECK(cqe_time_parse_rfc3339("2026-03-01T08:00:00+08:00", 25, &ms) == 0);
    CHECK(ms == INT64_C(1772323200000));
    CHECK(cqe_time_parse_rfc3339("2026-03-01T00:00:00.1239Z", 25, &ms) == 0);
    CHECK(ms == INT64_C(1772323200123));
    CHECK(cqe_time_parse_rfc3339("2026-02-29T00:00:00Z", 20, &ms) == CQE_TIME_DATE);
    CHECK(cqe_time_parse_rfc3339("2026-03-01 00:00:00Z", 20, &ms) == CQE_TIME_SYNTAX);
    CHECK(cqe_time_parse_rfc3339("2026-03-01T00:00:00", 19, &ms) == CQE_TIME_SYNTAX);
    CHECK(cqe_time_parse_rfc3339("1999-12-31T23:59:59Z", 20, &ms) == CQE_TIME_RANGE);
    CHECK(cqe_time_parse_rfc3339("2000-01-01T07:59:59+08:00", 25, &ms) == CQE_TIME_RANGE);
    CHECK(cqe_time_parse_rfc3339("2101-01-01T00:00:00Z", 20, &ms) == CQE_TIME_RANGE);
    CHECK(cqe_time_parse_rfc3339("2026-03-01T24:00:00Z", 20, &ms) == CQE_TIME_DATE);
}

CQE_TEST(time_format_and_periods)
{
    char buf[40];
    cqe_time_format(INT64_C(1772323200000), 480, buf, sizeof buf);
    CHECK(!strcmp(buf, "2026-03-01T08:00:00+08:00"));
    cqe_time_format(INT64_C(1772323200123), 0, buf, sizeof buf);
    CHECK(!strcmp(buf, "2026-03-01T00:00:00.123Z"));
    struct cqe_period p;
    CHECK(cqe_period_parse("2026-Q1", 480, &p) == 0);
    cqe_time_format(p.start_ms, 480, buf, sizeof buf);
    CHECK(!strcmp(buf, "2026-01-01T00:00:00+08:00"));
    cqe_time_format(p.end_ms, 480, buf, sizeof buf);
    CHECK(!strcmp(buf, "2026-04-01T00:00:00+08:00"));
    /* 2026-02-28T16:00Z is 2026-03-01 00:00 in +08:00: March */
    cqe_period_of(INT64_C(1772294400000), CQE_PERIOD_MONTH, 480, &p);
    CHECK(!strcmp(p.id, "2026-03"));
    cqe_period_of(INT64_C(1772294400000) - 1, CQE_PERIOD_YEAR, 480, &p);
    CHECK(!strcmp(p.id, "2026"));
    CHECK(cqe_period_parse("2026-13", 480, &p) != 0);
}
