/* Benchmark: the raw consume-and-parse limit. A consumer group member with the worker's
 * consumer settings reads N messages with rd_kafka_consume_batch_queue and does
 * json_loadb + json_decref on each, nothing else; prints events/s.
 * usage: bench_consume BOOTSTRAP TOPIC GROUP N */
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_consume BOOTSTRAP TOPIC GROUP N\n");
        return 2;
    }
    long want = strtol(argv[4], NULL, 10);
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *props[][2] = {{"bootstrap.servers", argv[1]},    {"group.id", argv[3]},
                              {"enable.auto.commit", "false"},   {"auto.offset.reset", "earliest"},
                              {"queued.min.messages", "300000"}, {"queued.max.messages.kbytes", "262144"},
                              {"session.timeout.ms", "6000"},    {"heartbeat.interval.ms", "1000"}};
    for (size_t i = 0; i < sizeof props / sizeof *props; i++)
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "bench_consume: %s\n", errstr);
            return 1;
        }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "bench_consume: %s\n", errstr);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, argv[2], RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    rd_kafka_message_t *batch[10000];
    long got = 0, parsed = 0;
    double t0 = 0;
    while (got < want) {
        ssize_t n = rd_kafka_consume_batch_queue(q, 1000, batch, 10000);
        for (ssize_t i = 0; i < n; i++) {
            if (!batch[i]->err) {
                if (!t0)
                    t0 = now_s(); /* from the first message: the group join is not counted */
                json_error_t e;
                json_t *j = json_loadb(batch[i]->payload, batch[i]->len, 0, &e);
                parsed += j != NULL;
                json_decref(j);
                got++;
            }
            rd_kafka_message_destroy(batch[i]);
        }
    }
    double dt = now_s() - t0;
    printf("raw consume + json_loadb + json_decref: %ld messages in %.2f s = %.0f events/s (%ld parsed)\n",
           got, dt, got / dt, parsed);
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return 0;
}
