/* `cloudqe decode`: runs the event decoder over NDJSON lines and prints one JSON verdict
 * per line, so tests and producers can check messages against the contract exactly
 * as the pipeline will read them (tests/t_contract.py drives it). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "decode.h"
#include "json_out.h"

#define DEFAULT_MAX_BYTES INT64_C(1048576) /* config.md max_message_bytes */

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe decode [--max-bytes N] [FILE|-]\n"
               "Decodes each line of FILE (default stdin) as one event and prints, per line,\n"
               "{\"line\":N,\"ok\":true,\"type\":...,\"id\":...,\"ts\":MS} or\n"
               "{\"line\":N,\"ok\":false,\"reason\":...,\"detail\":...}.\n"
               "  --max-bytes N   max_message_bytes (default 1048576)\n"
               "Lines are split on \"\\n\" only; every line, even an empty one, is a message.\n"
               "Exit 0 whatever the verdicts; 1 when FILE cannot be read, 2 on a usage error.\n"
               "\n"
               "Example:\n"
               "  cloudqe decode events.ndjson | grep '\"ok\":false'\n");
}

/* Prints the verdict on one line; returns 0 or -1 when stdout failed. */
static int print_verdict(long long line_no, int rc, const struct cqe_event *ev, const struct cqe_err *err)
{
    json_t *o;
    if (!rc)
        o = json_pack("{s:I, s:b, s:s, s:s%, s:I}", "line", (json_int_t)line_no, "ok", 1, "type",
                      cqe_type_name(ev->type), "id", ev->id.p, ev->id.n, "ts", (json_int_t)ev->ts);
    else if (rc == CQE_EINVAL)
        o = json_pack("{s:I, s:b, s:s, s:s}", "line", (json_int_t)line_no, "ok", 0, "reason",
                      cqe_reason_name((enum cqe_reason)err->code), "detail", err->msg);
    else
        o = json_pack("{s:I, s:b, s:s, s:s}", "line", (json_int_t)line_no, "ok", 0, "error", cqe_strerror(rc),
                      "detail", err->msg);
    if (!o)
        return -1;
    char *s = cqe_json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (!s)
        return -1;
    int w = puts(s);
    free(s);
    return w < 0 ? -1 : 0;
}

int cqe_cmd_decode(int argc, char **argv)
{
    int status = 0;
    int64_t max_bytes = DEFAULT_MAX_BYTES;
    char *path = NULL;
    FILE *in = stdin;
    char *buf = NULL;
    size_t cap = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            goto out;
        } else if (!strcmp(argv[i], "--max-bytes") && i + 1 < argc) {
            char *end = NULL;
            errno = 0;
            long long v = strtoll(argv[++i], &end, 10);
            if (errno || !end || *end || end == argv[i] || v < 0) {
                fprintf(stderr, "decode: --max-bytes wants a byte count >= 0 (got '%s')\n", argv[i]);
                status = 2;
                goto out;
            }
            max_bytes = v;
        } else if (!path && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
            path = argv[i];
        } else {
            if (!strcmp(argv[i], "--max-bytes"))
                fprintf(stderr, "decode: --max-bytes needs a value\n");
            else
                fprintf(stderr, "decode: %s '%s'\n",
                        argv[i][0] == '-' ? "unrecognized option" : "unexpected argument", argv[i]);
            usage(stderr);
            status = 2;
            goto out;
        }
    }
    if (path && strcmp(path, "-")) {
        struct cqe_err err = {0, ""};
        if (!cqe_cli_check_inputs(&path, 1, &err) && !(in = fopen(path, "rb")))
            cqe_err_set(&err, CQE_EIO, "cannot read %s: %s", path, strerror(errno));
        if (err.code) {
            fprintf(stderr, "decode: %s\n", err.msg);
            status = 1;
            goto out;
        }
    }
    ssize_t n;
    long long line_no = 0;
    while ((n = getline(&buf, &cap, in)) >= 0) {
        size_t len = (size_t)n;
        if (len && buf[len - 1] == '\n')
            len--;
        line_no++;
        struct cqe_event ev;
        struct cqe_err err = {0, ""};
        int rc = cqe_decode(buf, len, max_bytes, &ev, &err);
        int w = print_verdict(line_no, rc, &ev, &err);
        cqe_event_clear(&ev);
        if (w) {
            fprintf(stderr, "decode: cannot write the verdict of line %lld\n", line_no);
            status = 1;
            goto out;
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "decode: cannot read %s: %s\n", path ? path : "stdin", strerror(errno));
        status = 1;
    }
out:
    if (in && in != stdin)
        fclose(in);
    free(buf);
    if (fflush(stdout))
        status = 1;
    return status;
}
