/* The dashboard's files, embedded by the Makefile (build/gen/embed/<path>.c defines
 * cqe_embed_<name> and cqe_embed_<name>_len for each of them), served by one handler.
 * The page's references to its files carry the files' version, put in once at first use. */
#include "dashboard_assets.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* symbol, served name, content type: one line per file the Makefile embeds (DASH_FILES) */
#define DASHBOARD_FILES(X)                                                                                   \
    X(index_html, "index.html", "text/html; charset=utf-8")                                                  \
    X(dashboard_js, "dashboard.js", "text/javascript; charset=utf-8")                                        \
    X(dashboard_css, "dashboard.css", "text/css; charset=utf-8")                                             \
    X(i18n_js, "i18n.js", "text/javascript; charset=utf-8")                                                  \
    X(echarts_min_js, "echarts.min.js", "text/javascript; charset=utf-8")

#define DECLARE(sym, name, ctype)                                                                            \
    extern const unsigned char cqe_embed_##sym[];                                                            \
    extern const size_t cqe_embed_##sym##_len;
DASHBOARD_FILES(DECLARE)

struct asset {
    const char *name, *ctype;
    const unsigned char *bytes;
    const size_t *len;
};

#define ENTRY(sym, name, ctype) {name, ctype, cqe_embed_##sym, &cqe_embed_##sym##_len},
static const struct asset assets[] = {DASHBOARD_FILES(ENTRY)};
#define N_ASSETS (sizeof assets / sizeof assets[0])

#define PAGE "index.html"
#define VERSION_MARK "{{v}}"
#define CACHE_FOREVER "public, max-age=31536000, immutable"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char version[17];
static char *page; /* index.html with the version put in; kept for the process's life */
static size_t page_len;

static const struct asset *find(const char *name)
{
    for (size_t i = 0; i < N_ASSETS; i++)
        if (!strcmp(assets[i].name, name))
            return &assets[i];
    return NULL;
}

/* FNV-1a (64 bits) over every file's name and bytes: a new build of any file is a new
 * version, so a browser never mixes files of two builds. */
static void make_version(void)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < N_ASSETS; i++) {
        const unsigned char *p = (const unsigned char *)assets[i].name;
        size_t n = strlen(assets[i].name) + 1;
        for (int part = 0; part < 2; part++) {
            for (size_t k = 0; k < n; k++)
                h = (h ^ p[k]) * 1099511628211ULL;
            p = assets[i].bytes;
            n = *assets[i].len;
        }
    }
    snprintf(version, sizeof version, "%016llx", (unsigned long long)h);
}

/* The page with every VERSION_MARK replaced by the version; page stays NULL when out of
 * memory (the handler answers 503 then). */
static void make_page(void)
{
    make_version();
    const struct asset *a = find(PAGE);
    const char *src = (const char *)a->bytes, *end = src + *a->len;
    size_t mark = strlen(VERSION_MARK), vlen = strlen(version), marks = 0;
    for (const char *p = src; (p = strstr(p, VERSION_MARK)); p += mark)
        marks++;
    size_t len = *a->len + marks * vlen - marks * mark;
    char *out = malloc(len + 1), *o = out;
    if (!out)
        return;
    for (const char *p = src; p < end;) {
        const char *m = strstr(p, VERSION_MARK);
        size_t n = m ? (size_t)(m - p) : (size_t)(end - p);
        memcpy(o, p, n);
        o += n;
        p += n;
        if (m) {
            memcpy(o, version, vlen);
            o += vlen;
            p += mark;
        }
    }
    *o = '\0';
    page = out;
    page_len = len;
}

const char *cqe_dashboard_version(void)
{
    pthread_once(&once, make_page);
    return version;
}

const char *cqe_dashboard_asset(const char *name, size_t *len, const char **content_type)
{
    const struct asset *a = find(name);
    if (!a)
        return NULL;
    *len = *a->len;
    *content_type = a->ctype;
    return (const char *)a->bytes;
}

void cqe_dashboard_handle(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    (void)ctx;
    const char *path = cqe_http_path(req);
    pthread_once(&once, make_page);
    if (!strcmp(path, "/")) {
        if (!page) {
            cqe_http_reply_error(rep, 503, "out of memory building the page: try again");
            return;
        }
        rep->content_type = "text/html; charset=utf-8";
        rep->static_body = page;
        rep->len = page_len;
        rep->cache = "no-cache";
        return;
    }
    const char *name = !strncmp(path, "/assets/", 8) ? path + 8 : NULL;
    const struct asset *a = name && strcmp(name, PAGE) ? find(name) : NULL;
    if (!a) {
        cqe_http_reply_error(rep, 404, "no such file: %s (the dashboard is at /, its files under /assets/)",
                             path);
        return;
    }
    const char *v = cqe_http_arg(req, "v");
    rep->content_type = a->ctype;
    rep->static_body = (const char *)a->bytes;
    rep->len = *a->len;
    rep->cache = v && !strcmp(v, version) ? CACHE_FOREVER : "no-cache";
}
