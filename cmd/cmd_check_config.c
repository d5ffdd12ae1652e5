/* `cloudqe check-config FILE`: loads a configuration file exactly as `run` and `replay`
 * do, builds the librdkafka configuration of its `kafka` object, and says "ok" with a
 * summary, or the first rule broken (file, JSON path, rule), without connecting to
 * anything or reading a secret. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "config.h"
#include "kafka_conf.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe check-config [--help] FILE\n"
               "  Validates a configuration file (docs/spec/config.md, docs/config.md)\n"
               "  and exits 0 printing \"FILE: ok (...)\", or 1 printing \"check-config: FILE:\n"
               "  PATH: ...\", the JSON path and the rule broken; librdkafka checks the kafka properties.\n"
               "  Nothing is connected to; secrets are not read.\n"
               "\n"
               "Example:\n"
               "  cloudqe check-config cfg.json\n");
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int cqe_cmd_check_config(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    struct cqe_config cfg;
    struct cqe_err err = {0};
    int c, status = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 2;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "check-config: name exactly one FILE\n");
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];

    cqe_config_defaults(&cfg);
    if (cqe_config_load(&cfg, path, &err)) {
        fprintf(stderr, "check-config: %s\n", err.msg);
        goto out;
    }
    /* librdkafka's own verdict on the kafka object, as `run` and `produce` will meet it */
    if (cqe_kafka_conf_check(cfg.kafka, &err)) {
        fprintf(stderr, "check-config: %s: %s\n", path, err.msg);
        goto out;
    }
    int off = cfg.utc_offset_min < 0 ? -cfg.utc_offset_min : cfg.utc_offset_min;
    size_t n_kafka = cfg.kafka ? json_object_size((const json_t *)cfg.kafka) : 0;
    size_t n_inputs = 0;
    while (cqe_config_input_topic(&cfg, n_inputs))
        n_inputs++;
    /* secrets never print: the redis url holds none, kafka values are not shown */
    printf("%s: ok (%zu %s, %zu %s, %zu %s, %zu survey %s, utc_offset %c%02d:%02d, clock %s, "
           "redis %s, %zu kafka %s, %zu input %s)\n",
           path, cfg.n_services, plural(cfg.n_services, "service", "services"), cfg.n_holidays,
           plural(cfg.n_holidays, "holiday", "holidays"), cfg.n_workdays,
           plural(cfg.n_workdays, "workday", "workdays"), cfg.n_dims,
           plural(cfg.n_dims, "dimension", "dimensions"), cfg.utc_offset_min < 0 ? '-' : '+', off / 60,
           off % 60,
           cfg.clock == CQE_CLOCK_WALL    ? "wall"
           : cfg.clock == CQE_CLOCK_EVENT ? "event"
                                          : "per command (run: wall, replay: event)",
           cfg.redis.url ? cfg.redis.url : "none", n_kafka, plural(n_kafka, "property", "properties"),
           n_inputs, plural(n_inputs, "topic", "topics"));
    status = 0;
out:
    cqe_config_fini(&cfg);
    return status;
}
