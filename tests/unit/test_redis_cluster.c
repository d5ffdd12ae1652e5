/* Unit tests of Redis Cluster's slot map (sinks/state/redis_cluster): CRC16 and hash tags
 * against the Cluster specification's examples, a CLUSTER SLOTS reply (as bytes on the
 * wire) into the map, and MOVED / ASK replies taken apart. No server needed. */
#include <stdlib.h>
#include <string.h>

#include "redis_cluster.h"
#include "unit.h"

static int slot_of(const char *k)
{
    return cqe_rcluster_key_slot(k, strlen(k));
}

CQE_TEST(rcluster_crc16_vectors)
{
    /* the specification's check value: "123456789" -> 0x31C3 */
    CHECK(cqe_rcluster_crc16("123456789", 9) == 0x31C3);
    CHECK(cqe_rcluster_crc16("", 0) == 0);
    /* one byte by hand: 0x01 << 8 = 0x0100, shifted 8 times through poly 0x1021:
     * 0x0200 0x0400 0x0800 0x1000 0x2000 0x4000 0x8000, then 0x0000 ^ 0x1021 = 0x1021 */
    CHECK(cqe_rcluster_crc16("\x01", 1) == 0x1021);
    /* 0x80 << 8 = 0x8000; top bit set -> (0x8000 << 1) ^ 0x1021 = 0x1021; then 0x2042,
     * 0x4084, 0x8108; top bit set -> 0x0210 ^ 0x1021 = 0x1231; then 0x2462, 0x48C4, 0x9188 */
    CHECK(cqe_rcluster_crc16("\x80", 1) == 0x9188);
    CHECK(slot_of("123456789") == 0x31C3); /* 12739 < 16384: the slot is the CRC */
}

CQE_TEST(rcluster_hash_tags)
{
    /* the specification's examples: the first '{', the first '}' after it, non-empty */
    CHECK(slot_of("{user1000}.following") == slot_of("user1000"));
    CHECK(slot_of("{user1000}.followers") == slot_of("user1000"));
    CHECK(slot_of("foo{}{bar}") == (cqe_rcluster_crc16("foo{}{bar}", 10) & 16383)); /* empty tag: whole key */
    CHECK(slot_of("foo{{bar}}zap") == slot_of("{bar"));                             /* tag "{bar" */
    CHECK(slot_of("foo{bar}{zap}") == slot_of("bar"));                              /* the first tag only */
    CHECK(slot_of("foo{bar") == (cqe_rcluster_crc16("foo{bar", 7) & 16383));        /* never closed */
    CHECK(slot_of("}{a}") == slot_of("a"));
    /* values CLUSTER KEYSLOT gives (Redis's documentation of that command) */
    CHECK(slot_of("somekey") == 11058);
    CHECK(slot_of("foo{hash_tag}") == 2515 && slot_of("bar{hash_tag}") == 2515);
    /* every key of a partition is in the slot of its tag "p<n>" */
    CHECK(slot_of("cqe:{p3}:pos") == slot_of("p3"));
    CHECK(slot_of("cqe:{p3}:U|2026-03|gz{x}:sum") == slot_of("p3"));
    CHECK(cqe_rcluster_key_slot("cqe:{p3}:pos", 5) == slot_of("cqe:{")); /* the length is obeyed */
}

/* A reply parsed from RESP bytes, as hiredis reads it off a socket. */
static redisReply *resp(const char *bytes)
{
    redisReader *rd = redisReaderCreate();
    void *rep = NULL;
    if (!rd)
        return NULL;
    if (redisReaderFeed(rd, bytes, strlen(bytes)) != REDIS_OK || redisReaderGetReply(rd, &rep) != REDIS_OK)
        rep = NULL;
    redisReaderFree(rd);
    return rep;
}

/* Three ranges as Redis 7 gives them: [start, end, master, replica…], a node being
 * [host, port, id, {metadata}]; the second master is IPv6 with a replica, the third
 * answers "" (the node asked). */
static const char slots3[] = "*3\r\n"
                             "*3\r\n:0\r\n:5460\r\n"
                             "*4\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nid\r\n*0\r\n"
                             "*4\r\n:5461\r\n:10922\r\n"
                             "*3\r\n$3\r\n::1\r\n:7001\r\n$2\r\nid\r\n"
                             "*3\r\n$9\r\n127.0.0.1\r\n:7100\r\n$2\r\nid\r\n"
                             "*3\r\n:10923\r\n:16383\r\n"
                             "*2\r\n$0\r\n\r\n:7002\r\n";

CQE_TEST(rcluster_parse_slots)
{
    struct cqe_rcluster *cl = cqe_rcluster_new();
    struct cqe_err err = {0};
    redisReply *rep = resp(slots3);
    CHECK(cl && rep);
    if (!cl || !rep)
        goto out;
    CHECK(cl->owner[0] == CQE_RCLUSTER_NONE && cl->owner[16383] == CQE_RCLUSTER_NONE);
    CHECK(cqe_rcluster_parse_slots(cl, rep, "node-c.example", &err) == 0);
    CHECK(cl->n_nodes == 3); /* the replica is not a node to route to */
    CHECK(!strcmp(cl->nodes[0].host, "127.0.0.1") && cl->nodes[0].port == 7000);
    CHECK(!strcmp(cl->nodes[1].host, "::1") && cl->nodes[1].port == 7001);
    CHECK(!strcmp(cl->nodes[2].host, "node-c.example") && cl->nodes[2].port == 7002);
    CHECK(cl->owner[0] == 0 && cl->owner[5460] == 0);
    CHECK(cl->owner[5461] == 1 && cl->owner[10922] == 1);
    CHECK(cl->owner[10923] == 2 && cl->owner[16383] == 2);
    CHECK(cl->nodes[0].master && cl->nodes[1].master && cl->nodes[2].master);
    /* the partitions' slots by hand from the CRC: p3 3689, p2 7752, p0 15882 */
    CHECK(cl->owner[slot_of("cqe:{p3}:pos")] == 0);
    CHECK(cl->owner[slot_of("cqe:{p2}:pos")] == 1);
    CHECK(cl->owner[slot_of("cqe:{p0}:pos")] == 2);
    freeReplyObject(rep);

    /* a resharding moved 5461-6000 to the first node: nodes keep their indexes */
    rep = resp("*3\r\n*3\r\n:0\r\n:6000\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n"
               "*3\r\n:6001\r\n:10922\r\n*2\r\n$3\r\n::1\r\n:7001\r\n"
               "*3\r\n:10923\r\n:16383\r\n*2\r\n$1\r\n?\r\n:7002\r\n");
    CHECK(rep && cqe_rcluster_parse_slots(cl, rep, "node-c.example", &err) == 0);
    CHECK(cl->n_nodes == 3 && cl->owner[5461] == 0 && cl->owner[6000] == 0 && cl->owner[6001] == 1);
    freeReplyObject(rep);

    /* malformed replies leave the map as it was, and say what is wrong */
    const char *bad[] = {
        "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n",   /* slot beyond 16383 */
        "*1\r\n*3\r\n:9\r\n:8\r\n*2\r\n$1\r\nh\r\n:1\r\n",       /* start after end */
        "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\nh\r\n:0\r\n",       /* port 0 */
        "*1\r\n*2\r\n:0\r\n:1\r\n",                              /* no master */
        "*2\r\n*3\r\n:0\r\n:9\r\n*2\r\n$1\r\nh\r\n:1\r\n:5\r\n", /* a range that is no array */
        "-ERR This instance has cluster support disabled\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rep = resp(bad[i]);
        err.msg[0] = 0;
        CHECK(rep && cqe_rcluster_parse_slots(cl, rep, "x", &err) == CQE_EIO);
        CHECK(strstr(err.msg, "CLUSTER SLOTS") != NULL);
        CHECK(cl->owner[0] == 0 && cl->owner[6001] == 1 && cl->owner[16383] == 2);
        freeReplyObject(rep);
    }
out:
    cqe_rcluster_free(cl);
}

CQE_TEST(rcluster_parse_redirect)
{
    struct cqe_rredirect rd;
    const char *m = "MOVED 3999 127.0.0.1:6381";
    CHECK(cqe_rcluster_parse_redirect(m, strlen(m), &rd) == 0);
    CHECK(!rd.ask && rd.slot == 3999 && !strcmp(rd.host, "127.0.0.1") && rd.port == 6381);
    m = "ASK 16383 2001:db8::7:7002"; /* IPv6: the port follows the last ':' */
    CHECK(cqe_rcluster_parse_redirect(m, strlen(m), &rd) == 0);
    CHECK(rd.ask && rd.slot == 16383 && !strcmp(rd.host, "2001:db8::7") && rd.port == 7002);
    m = "MOVED 0 :7000"; /* unknown endpoint: the node that answered */
    CHECK(cqe_rcluster_parse_redirect(m, strlen(m), &rd) == 0 && rd.host[0] == 0 && rd.port == 7000);
    const char *bad[] = {"MOVED 16384 h:1",  "MOVED  h:1",   "MOVED 12 h", "MOVED 12 h:",
                         "MOVED 12 h:65536", "MOVED 12 h:0", "ASK 1x h:1", "TRYAGAIN Multiple keys",
                         "ERR MOVED 1 h:1",  "MOVED 12 h:1x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(cqe_rcluster_parse_redirect(bad[i], strlen(bad[i]), &rd) == -1);
}

CQE_TEST(rcluster_nodes_found_by_endpoint)
{
    struct cqe_rcluster *cl = cqe_rcluster_new();
    CHECK(cl != NULL);
    if (!cl)
        return;
    CHECK(cqe_rcluster_node(cl, "127.0.0.1", 9, 7000) == 0);
    CHECK(cqe_rcluster_node(cl, "127.0.0.1", 9, 7001) == 1);
    CHECK(cqe_rcluster_node(cl, "127.0.0.1:x", 9, 7000) == 0); /* the length is obeyed */
    CHECK(cqe_rcluster_node(cl, "127.0.0.10", 10, 7000) == 2);
    for (int i = 0; i < 20; i++) /* grows past its first capacity */
        CHECK(cqe_rcluster_node(cl, "h", 1, 100 + i) == 3 + i);
    CHECK(cqe_rcluster_node(cl, "127.0.0.1", 9, 7001) == 1 && cl->n_nodes == 23);
    cqe_rcluster_free(cl);
    cqe_rcluster_free(NULL);
}
