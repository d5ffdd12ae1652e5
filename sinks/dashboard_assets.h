/* The dashboard page `cloudqe serve` answers at "/" and "/assets/<name>" (docs/dashboard.md):
 * its HTML, script, style and words, and Apache ECharts, embedded in the binary at build
 * time, so the page works with no network but the server's own address. */
#ifndef CQE_DASHBOARD_ASSETS_H
#define CQE_DASHBOARD_ASSETS_H

#include <stddef.h>

#include "http_server.h"

/* The route handler of "/" (the page) and "/assets/" (its files): ctx is unused. The page
 * names its files "assets/<name>?v=<version>"; a file asked for with that version is sent
 * with a year's Cache-Control (immutable), without it "no-cache"; the page itself always
 * "no-cache". An unknown path or file is a JSON 404. Thread-safe; allocates only once
 * (the page with its version, kept for the process's life). */
void cqe_dashboard_handle(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);

/* The two routes of the page, open (its files hold no data; the page sends the token on
 * its API calls), for a cqe_http_route table:
 *   {"/", cqe_dashboard_handle, NULL, true}, {"/assets/", cqe_dashboard_handle, NULL, true} */

/* The embedded file name ("dashboard.js", "index.html" as written, before the version is
 * put in), its bytes and content type; NULL when there is none. Borrowed, static. */
const char *cqe_dashboard_asset(const char *name, size_t *len, const char **content_type);

/* The files' version: 16 hex digits of a hash over every embedded file (static). */
const char *cqe_dashboard_version(void);

#endif
