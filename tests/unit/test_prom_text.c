/* Unit tests of prom_text: HELP/TYPE lines, escaped label values, exact integers,
 * non-finite values and refused names. */
#include "prom_text.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

CQE_TEST(prom_text_families_labels_and_escapes)
{
    struct cqe_prom p;
    cqe_prom_init(&p);
    cqe_prom_family(&p, "cloudqe_x_total", "counter", "Requests, by \\ class\nsecond line.");
    cqe_prom_sample(&p, "cloudqe_x_total", 3.0, "class", "2xx", "path", "a\"b\\c\nd", (const char *)NULL);
    cqe_prom_sample_u64(&p, "cloudqe_x_total", UINT64_MAX, (const char *)NULL);
    cqe_prom_gauge(&p, "cloudqe_age_seconds", "Age.", 1.5);
    cqe_prom_gauge(&p, "cloudqe_nan", "Not a number.", NAN);
    cqe_prom_gauge(&p, "cloudqe_inf", "Infinite.", -INFINITY);
    cqe_prom_counter(&p, "cloudqe_big_total", "Big.", 9007199254740993ull);
    size_t len;
    char *t = cqe_prom_take(&p, &len);
    CHECK(t != NULL);
    const char *want = "# HELP cloudqe_x_total Requests, by \\\\ class\\nsecond line.\n"
                       "# TYPE cloudqe_x_total counter\n"
                       "cloudqe_x_total{class=\"2xx\",path=\"a\\\"b\\\\c\\nd\"} 3\n"
                       "cloudqe_x_total 18446744073709551615\n"
                       "# HELP cloudqe_age_seconds Age.\n# TYPE cloudqe_age_seconds gauge\n"
                       "cloudqe_age_seconds 1.5\n"
                       "# HELP cloudqe_nan Not a number.\n# TYPE cloudqe_nan gauge\ncloudqe_nan NaN\n"
                       "# HELP cloudqe_inf Infinite.\n# TYPE cloudqe_inf gauge\ncloudqe_inf -Inf\n"
                       "# HELP cloudqe_big_total Big.\n# TYPE cloudqe_big_total counter\n"
                       "cloudqe_big_total 9007199254740993\n";
    CHECK(t && !strcmp(t, want));
    CHECK(t && len == strlen(want));
    free(t);
    CHECK(p.buf == NULL && p.len == 0);
}

CQE_TEST(prom_text_refuses_bad_names)
{
    CHECK(cqe_prom_name_ok("cloudqe_serve_requests_total", false));
    CHECK(cqe_prom_name_ok("a:b", false));
    CHECK(!cqe_prom_name_ok("a:b", true));
    CHECK(!cqe_prom_name_ok("9lives", false));
    CHECK(!cqe_prom_name_ok("has-dash", false));
    CHECK(!cqe_prom_name_ok("", false));
    struct cqe_prom p = {0};
    cqe_prom_gauge(&p, "ok_one", "fine", 1);
    cqe_prom_sample(&p, "bad-name", 1, (const char *)NULL);
    cqe_prom_gauge(&p, "ok_two", "fine", 2); /* a no-op after the failure */
    size_t len = 7;
    CHECK(cqe_prom_take(&p, &len) == NULL);
    CHECK(len == 0);
    cqe_prom_family(&p, "x", "histogram", "not written");
    CHECK(cqe_prom_take(&p, &len) == NULL);
    /* an empty text is an empty string, not a failure */
    char *t = cqe_prom_take(&p, &len);
    CHECK(t && len == 0 && *t == 0);
    free(t);
}
