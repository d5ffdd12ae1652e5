/* `cloudqe mock-kafka`: runs librdkafka's mock cluster (the real Kafka protocol on
 * loopback ports) as the embedded default broker for the demo and the tests, and takes
 * fault commands (broker down/up, request errors, RTT) on a FIFO or a loopback TCP port. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "commands.h"
#include "err.h"

#define MAX_TOPICS 32
#define MAX_CLIENTS 8
#define LINE_MAX_BYTES 512

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* The handle owning the cluster has no brokers to talk to: keep only its warnings. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 4)
        fprintf(stderr, "mock-kafka: %s: %s\n", fac, buf);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe mock-kafka [OPTIONS]\n"
               "  --brokers N       brokers in the cluster (default 3)\n"
               "  --partitions N    partitions of every topic (default 16)\n"
               "  --replication N   replication factor (default: min(3, brokers))\n"
               "  --topic NAME      topic to create; repeatable (default: cloudqe.events,\n"
               "                    cloudqe.snapshots, cloudqe.alerts, cloudqe.dead_letters)\n"
               "  --control WHERE   fault commands: a FIFO path (created when missing), or\n"
               "                    tcp:PORT / 127.0.0.1:PORT on loopback (PORT 0 = any free\n"
               "                    port, printed as control=HOST:PORT)\n"
               "Prints bootstrap=HOST:PORT,... on stdout and runs until SIGTERM or SIGINT.\n"
               "Commands (one per line; TCP answers \"ok\" or \"error: ...\"):\n"
               "  broker_down ID | broker_up ID          ID -1 = every broker\n"
               "  broker_rtt ID MS                        delay every response of a broker\n"
               "  request_error API COUNT ERROR           next COUNT API requests fail with ERROR\n"
               "                                          (API: Fetch, Produce, Metadata, ... or a\n"
               "                                          number; ERROR: a name such as\n"
               "                                          NOT_LEADER_FOR_PARTITION or _TRANSPORT, or\n"
               "                                          a number)\n"
               "  broker_request_error ID API COUNT ERROR the same on one broker\n"
               "  clear_errors API                        drop pushed errors of API\n"
               "  leader TOPIC PARTITION ID               move a partition's leader\n"
               "  ping                                    answers ok\n"
               "\n"
               "Example (then: echo 'broker_down 1' | nc 127.0.0.1 PORT):\n"
               "  cloudqe mock-kafka --brokers 3 --partitions 16 --control tcp:0\n");
}

/* Kafka protocol API keys by name (the public header does not export them). */
static const struct {
    const char *name;
    int16_t key;
} api_keys[] = {
    {"Produce", 0},           {"Fetch", 1},           {"ListOffsets", 2},
    {"Metadata", 3},          {"OffsetCommit", 8},    {"OffsetFetch", 9},
    {"FindCoordinator", 10},  {"JoinGroup", 11},      {"Heartbeat", 12},
    {"LeaveGroup", 13},       {"SyncGroup", 14},      {"DescribeGroups", 15},
    {"ListGroups", 16},       {"SaslHandshake", 17},  {"ApiVersions", 18},
    {"CreateTopics", 19},     {"InitProducerId", 22}, {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25},  {"EndTxn", 26},         {"TxnOffsetCommit", 28},
    {"SaslAuthenticate", 36},
};

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_api(const char *s, int16_t *key)
{
    long v;
    if (parse_long(s, 0, 100, &v)) {
        *key = (int16_t)v;
        return true;
    }
    for (size_t i = 0; i < sizeof api_keys / sizeof api_keys[0]; i++) {
        if (!strcasecmp(s, api_keys[i].name) ||
            (!strncasecmp(s, api_keys[i].name, strlen(api_keys[i].name)) &&
             !strcasecmp(s + strlen(api_keys[i].name), "Request"))) {
            *key = api_keys[i].key;
            return true;
        }
    }
    return false;
}

static bool parse_error_code(const char *s, rd_kafka_resp_err_t *code)
{
    long v;
    if (parse_long(s, -200, 200, &v)) {
        *code = (rd_kafka_resp_err_t)v;
        return true;
    }
    if (!strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18))
        s += 18;
    const struct rd_kafka_err_desc *descs;
    size_t n;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++) {
        if (descs[i].name && !strcasecmp(descs[i].name, s)) {
            *code = descs[i].code;
            return true;
        }
    }
    return false;
}

/* Splits line in place into at most max whitespace-separated tokens. */
static int tokenize(char *line, char **tok, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p)
            break;
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

/* Runs one command line against the cluster; writes "ok" or "error: ..." into reply. */
static void run_command(rd_kafka_mock_cluster_t *mc, char *line, char *reply, size_t cap)
{
    char *tok[8];
    int n = tokenize(line, tok, 8);
    long id, cnt, ms, part;
    int16_t api;
    rd_kafka_resp_err_t code, rc = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (n == 0) {
        snprintf(reply, cap, "error: empty command");
        return;
    }
    const char *cmd = tok[0];
    if (!strcmp(cmd, "ping") && n == 1) {
        snprintf(reply, cap, "ok");
        return;
    }
    if ((!strcmp(cmd, "broker_down") || !strcmp(cmd, "broker_up")) && n == 2) {
        if (!parse_long(tok[1], -1, 1000, &id))
            goto bad;
        rc = cmd[7] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)id)
                           : rd_kafka_mock_broker_set_up(mc, (int32_t)id);
    } else if (!strcmp(cmd, "broker_rtt") && n == 3) {
        if (!parse_long(tok[1], -1, 1000, &id) || !parse_long(tok[2], 0, 600000, &ms))
            goto bad;
        rc = rd_kafka_mock_broker_set_rtt(mc, (int32_t)id, (int)ms);
    } else if (!strcmp(cmd, "request_error") && n == 4) {
        if (!parse_api(tok[1], &api) || !parse_long(tok[2], 1, 100000, &cnt) ||
            !parse_error_code(tok[3], &code))
            goto bad;
        rd_kafka_resp_err_t *codes = malloc((size_t)cnt * sizeof *codes);
        if (!codes) {
            snprintf(reply, cap, "error: out of memory");
            return;
        }
        for (long i = 0; i < cnt; i++)
            codes[i] = code;
        rd_kafka_mock_push_request_errors_array(mc, api, (size_t)cnt, codes);
        free(codes);
    } else if (!strcmp(cmd, "broker_request_error") && n == 5) {
        if (!parse_long(tok[1], 0, 1000, &id) || !parse_api(tok[2], &api) ||
            !parse_long(tok[3], 1, 100000, &cnt) || !parse_error_code(tok[4], &code))
            goto bad;
        for (long i = 0; i < cnt && !rc; i++)
            rc = rd_kafka_mock_broker_push_request_error_rtts(mc, (int32_t)id, api, 1, code, 0);
    } else if (!strcmp(cmd, "clear_errors") && n == 2) {
        if (!parse_api(tok[1], &api))
            goto bad;
        rd_kafka_mock_clear_request_errors(mc, api);
    } else if (!strcmp(cmd, "leader") && n == 4) {
        if (!parse_long(tok[2], 0, 100000, &part) || !parse_long(tok[3], -1, 1000, &id))
            goto bad;
        rc = rd_kafka_mock_partition_set_leader(mc, tok[1], (int32_t)part, (int32_t)id);
    } else {
        snprintf(reply, cap, "error: unknown command or wrong arguments: %s (see --help)", cmd);
        return;
    }
    if (rc)
        snprintf(reply, cap, "error: %s", rd_kafka_err2str(rc));
    else
        snprintf(reply, cap, "ok");
    return;
bad:
    snprintf(reply, cap, "error: bad arguments to %s (see cloudqe mock-kafka --help)", cmd);
}

/* A control connection (or the FIFO) with its partial input line. */
struct conn {
    int fd;
    bool reply; /* TCP answers, the FIFO does not */
    char buf[LINE_MAX_BYTES];
    size_t len;
};

static void write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Reads what is available; runs every complete line. Returns false at EOF or error. */
static bool serve_conn(rd_kafka_mock_cluster_t *mc, struct conn *c)
{
    char tmp[LINE_MAX_BYTES];
    ssize_t r = read(c->fd, tmp, sizeof tmp);
    if (r < 0)
        return errno == EINTR || errno == EAGAIN;
    if (r == 0)
        return false;
    for (ssize_t i = 0; i < r; i++) {
        if (tmp[i] != '\n') {
            if (c->len < sizeof c->buf - 1)
                c->buf[c->len++] = tmp[i];
            continue;
        }
        c->buf[c->len] = '\0';
        c->len = 0;
        char echo[LINE_MAX_BYTES], reply[LINE_MAX_BYTES + 64];
        snprintf(echo, sizeof echo, "%s", c->buf);
        run_command(mc, c->buf, reply, sizeof reply);
        fprintf(stderr, "mock-kafka: %s -> %s\n", echo, reply);
        if (c->reply) {
            size_t n = strlen(reply);
            if (n < sizeof reply - 1) {
                reply[n++] = '\n';
                write_all(c->fd, reply, n);
            }
        }
    }
    return true;
}

/* Opens the control channel: a loopback TCP listener or a FIFO. Prints control=... for
 * TCP. Returns the fd (listening socket or FIFO), or -1 with err set. */
static int open_control(const char *where, bool *is_tcp, struct cqe_err *err)
{
    const char *port_text = NULL;
    long port;
    if (!strncmp(where, "tcp:", 4))
        port_text = where + 4;
    else if (!strncmp(where, "127.0.0.1:", 10))
        port_text = where + 10;
    else if (parse_long(where, 0, 65535, &port))
        port_text = where;
    if (port_text) {
        *is_tcp = true;
        if (!parse_long(port_text, 0, 65535, &port)) {
            cqe_err_set(err, CQE_EINVAL, "--control %s: the port must be a number 0-65535", where);
            return -1;
        }
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        socklen_t sl = sizeof sa;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
            bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 8) ||
            getsockname(fd, (struct sockaddr *)&sa, &sl)) {
            cqe_err_set(err, CQE_EIO, "--control %s: cannot listen on 127.0.0.1: %s", where, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        printf("control=127.0.0.1:%u\n", (unsigned)ntohs(sa.sin_port));
        return fd;
    }
    *is_tcp = false;
    struct stat st;
    if (stat(where, &st) == 0) {
        if (!S_ISFIFO(st.st_mode)) {
            cqe_err_set(err, CQE_EINVAL, "--control %s: exists and is not a FIFO", where);
            return -1;
        }
    } else if (mkfifo(where, 0600)) {
        cqe_err_set(err, CQE_EIO, "--control %s: cannot create the FIFO: %s", where, strerror(errno));
        return -1;
    }
    /* read-write so that the FIFO never reports end of file when a writer closes */
    int fd = open(where, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        cqe_err_set(err, CQE_EIO, "--control %s: %s", where, strerror(errno));
    else
        printf("control=%s\n", where);
    return fd;
}

int cqe_cmd_mock_kafka(int argc, char **argv)
{
    static const struct option opts[] = {{"brokers", required_argument, 0, 'b'},
                                         {"partitions", required_argument, 0, 'p'},
                                         {"replication", required_argument, 0, 'r'},
                                         {"topic", required_argument, 0, 't'},
                                         {"control", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    static const char *default_topics[] = {"cloudqe.events", "cloudqe.snapshots", "cloudqe.alerts",
                                           "cloudqe.dead_letters"};
    const char *topics[MAX_TOPICS], *control = NULL;
    size_t n_topics = 0;
    long brokers = 3, partitions = 16, replication = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            if (!parse_long(optarg, 1, 64, &brokers)) {
                fprintf(stderr, "mock-kafka: --brokers takes a number from 1 to 64\n");
                return 2;
            }
            break;
        case 'p':
            if (!parse_long(optarg, 1, 10000, &partitions)) {
                fprintf(stderr, "mock-kafka: --partitions takes a number from 1 to 10000\n");
                return 2;
            }
            break;
        case 'r':
            if (!parse_long(optarg, 1, 64, &replication)) {
                fprintf(stderr, "mock-kafka: --replication takes a number from 1 to 64\n");
                return 2;
            }
            break;
        case 't':
            if (n_topics == MAX_TOPICS) {
                fprintf(stderr, "mock-kafka: at most %d --topic options\n", MAX_TOPICS);
                return 2;
            }
            topics[n_topics++] = optarg;
            break;
        case 'c': control = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mock-kafka: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!n_topics)
        for (size_t i = 0; i < sizeof default_topics / sizeof default_topics[0]; i++)
            topics[n_topics++] = default_topics[i];
    if (replication < 0)
        replication = brokers < 3 ? brokers : 3;
    if (replication > brokers) {
        fprintf(stderr, "mock-kafka: --replication %ld exceeds --brokers %ld\n", replication, brokers);
        return 2;
    }

    int status = 1, ctl_fd = -1;
    bool ctl_tcp = false;
    struct conn conns[MAX_CLIENTS];
    size_t n_conns = 0;
    char errstr[512];
    struct cqe_err err = {0};
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* the cluster needs a client handle for its bookkeeping; it never produces */
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (rd_kafka_conf_set(conf, "client.id", "cloudqe-mock-kafka", errstr, sizeof errstr) ||
        !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        fprintf(stderr, "mock-kafka: cannot create the client handle: %s\n", errstr);
        goto out;
    }
    if (!(mc = rd_kafka_mock_cluster_new(rk, (int)brokers))) {
        fprintf(stderr, "mock-kafka: cannot create the mock cluster\n");
        goto out;
    }
    for (size_t i = 0; i < n_topics; i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i], (int)partitions, (int)replication);
        if (e) {
            fprintf(stderr, "mock-kafka: cannot create topic %s: %s\n", topics[i], rd_kafka_err2str(e));
            goto out;
        }
        fprintf(stderr, "mock-kafka: topic %s, %ld partitions, replication %ld\n", topics[i], partitions,
                replication);
    }
    if (control && (ctl_fd = open_control(control, &ctl_tcp, &err)) < 0) {
        fprintf(stderr, "mock-kafka: %s\n", err.msg);
        goto out;
    }
    printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    fprintf(stderr, "mock-kafka: %ld brokers at %s; stop with SIGTERM or Ctrl-C\n", brokers,
            rd_kafka_mock_cluster_bootstraps(mc));
    if (ctl_fd >= 0 && !ctl_tcp)
        conns[n_conns++] = (struct conn){.fd = ctl_fd, .reply = false};

    while (!stop_flag) {
        struct pollfd pfd[MAX_CLIENTS + 1];
        nfds_t np = 0;
        if (ctl_fd >= 0 && ctl_tcp)
            pfd[np++] = (struct pollfd){.fd = ctl_fd, .events = POLLIN};
        for (size_t i = 0; i < n_conns; i++)
            pfd[np++] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
        int pr = poll(pfd, np, 200);
        if (pr <= 0)
            continue; /* timeout, or EINTR from the stopping signal */
        size_t k = 0;
        if (ctl_fd >= 0 && ctl_tcp) {
            if (pfd[0].revents & POLLIN) {
                int cfd = accept(ctl_fd, NULL, NULL);
                if (cfd >= 0 && n_conns == MAX_CLIENTS) {
                    write_all(cfd, "error: too many control connections\n", 37);
                    close(cfd);
                } else if (cfd >= 0) {
                    conns[n_conns++] = (struct conn){.fd = cfd, .reply = true};
                }
            }
            k = 1;
        }
        /* serve the connections that were polled (accepted ones come after them), then
         * drop the closed ones */
        size_t polled = np - k, kept = 0;
        bool alive[MAX_CLIENTS];
        for (size_t j = 0; j < n_conns; j++)
            alive[j] = j >= polled || !pfd[k + j].revents || serve_conn(mc, &conns[j]);
        for (size_t j = 0; j < n_conns; j++) {
            if (alive[j])
                conns[kept++] = conns[j];
            else if (conns[j].fd != ctl_fd)
                close(conns[j].fd);
        }
        n_conns = kept;
    }
    fprintf(stderr, "mock-kafka: stopping\n");
    status = 0;
out:
    for (size_t i = 0; i < n_conns; i++)
        if (conns[i].fd != ctl_fd)
            close(conns[i].fd);
    if (ctl_fd >= 0)
        close(ctl_fd);
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (rk)
        rd_kafka_destroy(rk);
    fflush(stdout);
    return status;
}
