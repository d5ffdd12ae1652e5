/* Unit tests of sinks/http_server.c: which --listen addresses count as loopback, the
 * refusal to serve off loopback without a token, and errors that name the address. */
#include <string.h>

#include "http_server.h"
#include "unit.h"

CQE_TEST(http_loopback_addresses)
{
    CHECK(cqe_http_listen_is_loopback("127.0.0.1:8080"));
    CHECK(cqe_http_listen_is_loopback("127.3.2.1:1"));
    CHECK(cqe_http_listen_is_loopback("localhost:9464"));
    CHECK(cqe_http_listen_is_loopback("[::1]:9464"));
    CHECK(cqe_http_listen_is_loopback(":9464")); /* no host: 127.0.0.1 */
    CHECK(!cqe_http_listen_is_loopback("0.0.0.0:8080"));
    CHECK(!cqe_http_listen_is_loopback("10.0.0.5:8080"));
    CHECK(!cqe_http_listen_is_loopback("[::]:8080"));
    CHECK(!cqe_http_listen_is_loopback("128.0.0.1:8080"));
    CHECK(!cqe_http_listen_is_loopback("127.0.0.1"));       /* no port */
    CHECK(!cqe_http_listen_is_loopback("127.0.0.1:65536")); /* no such port */
}

static void never_called(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    (void)ctx;
    (void)req;
    (void)rep;
}

CQE_TEST(http_start_refusals_name_the_address)
{
    static const struct cqe_http_route routes[] = {{"/x", never_called, NULL, false}};
    struct cqe_err err = {0};
    struct cqe_http_options open_all = {.listen = "0.0.0.0:0"};
    CHECK(!cqe_http_start(&open_all, routes, 1, &err));
    CHECK(err.code == CQE_ECONFIG && strstr(err.msg, "0.0.0.0:0") && strstr(err.msg, "token"));

    struct cqe_http_options bad = {.listen = "127.0.0.1"};
    memset(&err, 0, sizeof err);
    CHECK(!cqe_http_start(&bad, routes, 1, &err));
    CHECK(err.code == CQE_EINVAL && strstr(err.msg, "HOST:PORT"));

    struct cqe_http_options first = {.listen = "127.0.0.1:0"};
    memset(&err, 0, sizeof err);
    struct cqe_http_server *s = cqe_http_start(&first, routes, 1, &err);
    CHECK(s && cqe_http_port(s) > 0);
    if (s) {
        char busy[64];
        snprintf(busy, sizeof busy, "127.0.0.1:%d", cqe_http_port(s));
        struct cqe_http_options second = {.listen = busy};
        memset(&err, 0, sizeof err);
        CHECK(!cqe_http_start(&second, routes, 1, &err));
        CHECK(err.code == CQE_EUNAVAIL && strstr(err.msg, busy) && strstr(err.msg, "in use"));
    }
    cqe_http_stop(s);
    cqe_http_stop(NULL);
}
