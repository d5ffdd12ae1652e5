/* Unit tests of sinks/dashboard_assets.c: every embedded file is the tree's file byte for
 * byte (the build embedded the sources it was given, NUL-terminated for C readers), an
 * unknown name is none, and the version is 16 hex digits. Run from the repository root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard_assets.h"
#include "unit.h"

/* The file's bytes (malloc'ed, *len set), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            *len = fread(buf, 1, (size_t)n, f);
            if (*len != (size_t)n) {
                free(buf);
                buf = NULL;
            }
        }
    }
    fclose(f);
    return buf;
}

CQE_TEST(dashboard_assets_are_the_tree_files)
{
    static const char *const files[][2] = {
        {"index.html", "sinks/dashboard/index.html"},
        {"dashboard.js", "sinks/dashboard/dashboard.js"},
        {"dashboard.css", "sinks/dashboard/dashboard.css"},
        {"i18n.js", "sinks/dashboard/i18n.js"},
        {"echarts.min.js", "sinks/dashboard/node_modules/echarts/dist/echarts.min.js"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len = 0, disk_len = 0;
        const char *ctype = NULL;
        const char *bytes = cqe_dashboard_asset(files[i][0], &len, &ctype);
        char *disk = slurp(files[i][1], &disk_len);
        CHECK(bytes && disk && len > 0 && len == disk_len);
        if (bytes && disk && len == disk_len)
            CHECK(memcmp(bytes, disk, len) == 0 && bytes[len] == '\0');
        CHECK(ctype && strstr(ctype, strstr(files[i][0], ".js") ? "text/javascript" : "text/") == ctype);
        free(disk);
    }
    size_t len = 7;
    const char *ctype = NULL;
    CHECK(cqe_dashboard_asset("echarts.js", &len, &ctype) == NULL && len == 7);
    CHECK(cqe_dashboard_asset("", &len, &ctype) == NULL);
    const char *v = cqe_dashboard_version();
    CHECK(strlen(v) == 16 && strspn(v, "0123456789abcdef") == 16);
}
