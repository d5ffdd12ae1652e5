/* Entry point of the `cloudqe` binary: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"run", cqe_cmd_run, "the stream worker: consume Kafka, apply to Redis exactly once"},
    {"replay", cqe_cmd_replay, "replay NDJSON(.zst) event files; print counts and snapshots"},
    {"check-config", cqe_cmd_check_config, "validate a configuration file without running"},
    {"report", cqe_cmd_report, "write the evaluation report of a period (Markdown and JSON)"},
    {"gen", cqe_cmd_gen, "generate a synthetic province as NDJSON(.zst) events"},
    {"explain", cqe_cmd_explain, "why a target has its score: contributions, curves and the evidence"},
    {"snapshot", cqe_cmd_snapshot, "print the snapshots of the state in Redis (partitions merged)"},
    {"retain", cqe_cmd_retain, "archive the years retention no longer keeps in Redis, then delete them"},
    {"produce", cqe_cmd_produce, "publish NDJSON(.zst) events to a Kafka topic, keyed, with flow control"},
    {"mock-kafka", cqe_cmd_mock_kafka, "run librdkafka's mock cluster (real Kafka protocol on loopback)"},
    {"decode", cqe_cmd_decode, "decode NDJSON lines and print each verdict (contract checks)"},
    {"serve", cqe_cmd_serve, "the read-only HTTP JSON API over the state and outputs in Redis"},
    {"version", cqe_cmd_version, "print the version, the build and the library versions"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe COMMAND [OPTIONS]   (cloudqe COMMAND --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nMessages on stderr read \"<command>: <message>\". Exit codes: 0 done, 1 a runtime\n"
               "failure (a file, a service, the data), 2 a usage error (an option, an argument,\n"
               "a value); produce: 130 when stopped by a signal (docs/cli.md).\n"
               "\nExample:\n"
               "  cloudqe gen --seed 1 --days 31 --out month.ndjson.zst --config-out cfg.json\n"
               "  cloudqe replay --config cfg.json --table month.ndjson.zst\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
        argv[1] = "version";
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            cqe_log_set_name(commands[i].name);
            return commands[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "cloudqe: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
