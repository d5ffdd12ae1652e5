/* `cloudqe serve`: the read-only HTTP JSON API over what `cloudqe run` keeps in Redis
 * (docs/api.md). Options, the token, signals, start and stop; the API is sinks/api*.c,
 * the server sinks/http_server.c. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "commands.h"
#include "dashboard_assets.h"
#include "eval_setup.h"
#include "http_server.h"
#include "secret.h"

#define SERVE_MAX_ROUTES 64

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe serve [OPTIONS]\n"
               "  --config FILE        configuration (docs/spec/config.md): redis, utc_offset, catalog\n"
               "  --state URL          Redis the workers write (default: the configuration's redis.url)\n"
               "  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080; :0 picks a port)\n"
               "  --token-file FILE    bearer token clients must send (trailing newline stripped);\n"
               "                       else the environment variable CLOUDQE_TOKEN; required when\n"
               "                       listening on an address that is not loopback\n"
               "  --model FILE         indicator model for the tree (default: the built-in model)\n"
               "  --rate N             requests per second per client address (default 50; 0: no limit)\n"
               "  --refresh S          evaluate the merged state at most every S seconds (default 10)\n"
               "\n"
               "Example (the token in /etc/cloudqe/token):\n"
               "  cloudqe serve --config /etc/cloudqe/config.json --token-file /etc/cloudqe/token --listen "
               "0.0.0.0:8080\n"
               "  curl -H \"Authorization: Bearer $(cat /etc/cloudqe/token)\" "
               "'http://HOST:8080/api/v1/snapshot?period=2026-03'\n");
}

/* A whole number in [lo, hi] for option name, or -1 with a message. */
static long option_number(const char *name, const char *v, long lo, long hi)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "serve: %s '%s': give a whole number from %ld to %ld\n", name, v, lo, hi);
        return -1;
    }
    return x;
}

/* The routes of serve: the API's, then any others (the page's) appended here. */
static size_t serve_routes(struct cqe_api *api, struct cqe_http_route *routes, size_t cap)
{
    size_t n = cqe_api_routes(api, routes, cap);
    /* the dashboard page and its files: open, they hold no data (docs/dashboard.md) */
    static const struct cqe_http_route page[] = {{"/", cqe_dashboard_handle, NULL, true},
                                                 {"/assets/", cqe_dashboard_handle, NULL, true}};
    for (size_t i = 0; i < sizeof page / sizeof page[0] && n < cap; i++)
        routes[n++] = page[i];
    return n;
}

int cqe_cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"state", required_argument, 0, 's'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"token-file", required_argument, 0, 't'},
                                         {"model", required_argument, 0, 'm'},
                                         {"rate", required_argument, 0, 'r'},
                                         {"refresh", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *config_path = NULL, *state = NULL, *listen = "127.0.0.1:8080", *token_file = NULL,
               *model_path = NULL;
    long rate = 50, refresh = 10;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 's': state = optarg; break;
        case 'l': listen = optarg; break;
        case 't': token_file = optarg; break;
        case 'm': model_path = optarg; break;
        case 'r':
            if ((rate = option_number("--rate", optarg, 0, 1000000)) < 0)
                return 2;
            break;
        case 'f':
            if ((refresh = option_number("--refresh", optarg, 1, 86400)) < 0)
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "serve: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    struct cqe_eval_setup es;
    struct cqe_err err = {0};
    struct cqe_api *api = NULL;
    struct cqe_http_server *server = NULL;
    char token[CQE_SECRET_MAX + 1] = "";
    size_t token_len = 0;
    int status = 1;
    if (token_file || getenv("CLOUDQE_TOKEN")) {
        if (cqe_secret_read(token_file ? "--token-file" : "CLOUDQE_TOKEN", token_file,
                            token_file ? NULL : "CLOUDQE_TOKEN", token, sizeof token, &token_len, &err)) {
            fprintf(stderr, "serve: %s\n", err.msg);
            return 2;
        }
    }
    if (!token_len && !cqe_http_listen_is_loopback(listen)) {
        fprintf(stderr,
                "serve: --listen %s is not a loopback address: give a bearer token (--token-file FILE or "
                "CLOUDQE_TOKEN), or listen on 127.0.0.1\n",
                listen);
        return 2;
    }
    if (cqe_eval_setup_init(&es, config_path, model_path, NULL, 0, NULL, &err))
        goto fail;
    struct cqe_api_options ao = {&es.cfg, &es.model, es.cfg.redis, (int)refresh, 0};
    if (state)
        ao.redis.url = (char *)state;
    if (!ao.redis.url) {
        cqe_err_set(&err, CQE_ECONFIG, "no Redis: give --state redis://HOST:PORT/DB or redis.url");
        goto fail;
    }
    /* blocked before any thread starts, so only sigsuspend below takes them */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    if (!(api = cqe_api_start(&ao, &err)))
        goto fail;
    static struct cqe_http_route routes[SERVE_MAX_ROUTES];
    size_t n_routes = serve_routes(api, routes, SERVE_MAX_ROUTES);
    struct cqe_http_options ho = {listen, token_len ? token : NULL, 0, (unsigned)rate, 0, 4};
    if (!(server = cqe_http_start(&ho, routes, n_routes, &err)))
        goto fail;
    cqe_api_set_server(api, server);
    fprintf(stderr, "serve: listening on %s (port %d), %s; Redis %s\n", listen, cqe_http_port(server),
            token_len ? "bearer token required" : "no token (loopback only)", ao.redis.url);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t wait_mask = old;
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    while (!stop_flag)
        sigsuspend(&wait_mask);
    fprintf(stderr, "serve: stopping\n");
    status = 0;
    goto out;
fail:
    fprintf(stderr, "serve: %s\n", err.msg[0] ? err.msg : cqe_strerror(err.code));
out:
    cqe_http_stop(server);
    cqe_api_set_server(api, NULL);
    cqe_api_stop(api);
    cqe_secret_wipe(token, sizeof token);
    cqe_eval_setup_fini(&es);
    return status;
}
