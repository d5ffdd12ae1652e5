/* Unit tests of the data-lake files (sinks/lake_files.c): the dt= / hour= layout in an
 * offset, temporary names no lake glob matches, rolls by age, size and hour, the durable
 * id, files read back with zstd, and errors that lose nothing and leave nothing behind. */
#include <dirent.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "err.h"
#include "lake_files.h"
#include "timeutil.h"
#include "unit.h"

#define LAKE_GLOB "*.ndjson.zst" /* the file-name part of a lake glob (DuckDB's **, Spark) */

/* A fresh empty directory under /tmp, in buf. Returns false when none could be made. */
static bool temp_dir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/cqe_lake_XXXXXX");
    return mkdtemp(buf) != NULL;
}

/* Removes path and everything under it (never follows a symbolic link). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

struct listing {
    char names[32][512];
    size_t n;
};

static void collect(const char *root, const char *rel, struct listing *ls)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub_rel[512], sub[1200];
        snprintf(sub_rel, sizeof sub_rel, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(sub, sizeof sub, "%s/%s", root, sub_rel);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            collect(root, sub_rel, ls);
        else if (ls->n < sizeof ls->names / sizeof ls->names[0])
            snprintf(ls->names[ls->n++], sizeof ls->names[0], "%s", sub_rel);
    }
    if (d)
        closedir(d);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Every file under root, relative to it, sorted, each followed by '|'. */
static const char *list_files(const char *root, char *out, size_t cap)
{
    static struct listing ls;
    size_t o = 0;
    ls.n = 0;
    collect(root, "", &ls);
    qsort(ls.names, ls.n, sizeof ls.names[0], cmp_name);
    out[0] = '\0';
    for (size_t i = 0; i < ls.n; i++) {
        int k = snprintf(out + o, cap - o, "%s|", ls.names[i]);
        if (k > 0 && (size_t)k < cap - o)
            o += (size_t)k;
    }
    return out;
}

/* How many files under root a lake engine's glob takes (the file name against
 * LAKE_GLOB, '*' matching a leading dot as a shell's ** glob of DuckDB does). */
static size_t lake_visible(const char *root)
{
    static struct listing ls;
    size_t n = 0;
    ls.n = 0;
    collect(root, "", &ls);
    for (size_t i = 0; i < ls.n; i++) {
        const char *base = strrchr(ls.names[i], '/');
        base = base ? base + 1 : ls.names[i];
        n += fnmatch(LAKE_GLOB, base, 0) == 0 && base[0] != '.' && base[0] != '_';
    }
    return n;
}

/* The whole content of a closed lake file, decompressed; checks that the file is one
 * complete zstd frame. Returns the length or -1. */
static long read_zst(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    static char raw[1 << 20];
    size_t n = fread(raw, 1, sizeof raw, f);
    fclose(f);
    if (ZSTD_findFrameCompressedSize(raw, n) != n)
        return -1;
    size_t got = ZSTD_decompress(out, cap, raw, n);
    return ZSTD_isError(got) ? -1 : (long)got;
}

static bool content_is(const char *path, const char *want)
{
    static char got[1 << 20];
    long n = read_zst(path, got, sizeof got);
    return n == (long)strlen(want) && memcmp(got, want, (size_t)n) == 0;
}

static int64_t at(const char *rfc3339)
{
    int64_t ms = 0;
    return cqe_time_parse_rfc3339(rfc3339, strlen(rfc3339), &ms) == CQE_TIME_OK ? ms : -1;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int append_str(struct cqe_lake *l, const char *line, const char *id, int64_t now, struct cqe_err *err)
{
    return cqe_lake_append(l, line, strlen(line), id, now, err);
}

static bool id_is(const struct cqe_lake *l, const char *want)
{
    const char *id = cqe_lake_durable_id(l);
    return want ? id && strcmp(id, want) == 0 : id == NULL;
}

/* 2026-03-01T23:59:59+08:00 is in dt=2026-03-01/hour=23, the next second in
 * dt=2026-03-02/hour=00: the record of the next hour closes the file of the first. */
CQE_TEST(lake_layout_offset_hour_and_date)
{
    char root[64], ls[2048], path[256];
    CHECK(temp_dir(root, sizeof root));
    struct cqe_lake_conf c = {root, "snapshots", "w1", 480, 0, 0};
    struct cqe_lake *l = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_lake_open(&c, &l, &err) == 0);
    CHECK(strcmp(list_files(root, ls, sizeof ls), "") == 0); /* open creates nothing */
    int64_t t = at("2026-03-01T23:59:59+08:00");
    CHECK(append_str(l, "{\"a\":1}", "id-1", t, &err) == 0);
    CHECK(strcmp(list_files(root, ls, sizeof ls),
                 "snapshots/dt=2026-03-01/hour=23/.part-w1-0.ndjson.zst.tmp|") == 0);
    CHECK(lake_visible(root) == 0 && id_is(l, NULL));
    CHECK(append_str(l, "{\"a\":2}", "id-2", t + 1000, &err) == 0);
    CHECK(strcmp(list_files(root, ls, sizeof ls),
                 "snapshots/dt=2026-03-01/hour=23/part-w1-0.ndjson.zst|"
                 "snapshots/dt=2026-03-02/hour=00/.part-w1-1.ndjson.zst.tmp|") == 0);
    CHECK(lake_visible(root) == 1 && id_is(l, "id-1"));
    CHECK(cqe_lake_roll(l, t + 2000, true, &err) == 0);
    CHECK(strcmp(list_files(root, ls, sizeof ls),
                 "snapshots/dt=2026-03-01/hour=23/part-w1-0.ndjson.zst|"
                 "snapshots/dt=2026-03-02/hour=00/part-w1-1.ndjson.zst|") == 0);
    CHECK(lake_visible(root) == 2 && id_is(l, "id-2"));
    snprintf(path, sizeof path, "%s/snapshots/dt=2026-03-01/hour=23/part-w1-0.ndjson.zst", root);
    CHECK(content_is(path, "{\"a\":1}\n"));
    snprintf(path, sizeof path, "%s/snapshots/dt=2026-03-02/hour=00/part-w1-1.ndjson.zst", root);
    CHECK(content_is(path, "{\"a\":2}\n"));
    cqe_lake_free(l);
    remove_tree(root);

    /* the same instants in UTC and in -05:30 */
    CHECK(temp_dir(root, sizeof root));
    struct cqe_lake_conf cu = {root, "alerts", "w2", 0, 0, 0}, cw = {root, "alerts", "w3", -330, 0, 0};
    struct cqe_lake *lu = NULL, *lw = NULL;
    CHECK(cqe_lake_open(&cu, &lu, &err) == 0 && cqe_lake_open(&cw, &lw, &err) == 0);
    CHECK(append_str(lu, "{}", "u", t, &err) == 0 && append_str(lw, "{}", "w", t, &err) == 0);
    CHECK(cqe_lake_roll(lu, t, true, &err) == 0 && cqe_lake_roll(lw, t, true, &err) == 0);
    CHECK(strcmp(list_files(root, ls, sizeof ls), "alerts/dt=2026-03-01/hour=10/part-w3-0.ndjson.zst|"
                                                  "alerts/dt=2026-03-01/hour=15/part-w2-0.ndjson.zst|") == 0);
    cqe_lake_free(lu);
    cqe_lake_free(lw);
    remove_tree(root);
}

/* While open a file has a dot-prefixed temporary name no lake glob matches; a roll that
 * is not due keeps it open; a forced roll renames it, and it reads back line for line. */
CQE_TEST(lake_temp_name_renamed_at_roll)
{
    char root[64], ls[2048], tmp[256], final[256];
    CHECK(temp_dir(root, sizeof root));
    struct cqe_lake_conf c = {root, "snapshots", "host-7", 480, 3600000, 1 << 20};
    struct cqe_lake *l = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_lake_open(&c, &l, &err) == 0);
    int64_t t = at("2026-03-18T10:15:00+08:00");
    char want[4096];
    size_t o = 0;
    for (int i = 0; i < 100; i++) {
        char line[64], id[16];
        snprintf(line, sizeof line, "{\"seq\":%d,\"kind\":\"snapshot\"}", i);
        snprintf(id, sizeof id, "o-%d", i);
        CHECK(append_str(l, line, id, t + i, &err) == 0);
        o += (size_t)snprintf(want + o, sizeof want - o, "%s\n", line);
    }
    snprintf(tmp, sizeof tmp, "%s/snapshots/dt=2026-03-18/hour=10/.part-host-7-0.ndjson.zst.tmp", root);
    snprintf(final, sizeof final, "%s/snapshots/dt=2026-03-18/hour=10/part-host-7-0.ndjson.zst", root);
    CHECK(exists(tmp) && !exists(final));
    CHECK(fnmatch(LAKE_GLOB, strrchr(tmp, '/') + 1, 0) != 0 && lake_visible(root) == 0);
    CHECK(cqe_lake_roll(l, t + 1000, false, &err) == 0); /* not due */
    CHECK(exists(tmp) && !exists(final) && id_is(l, NULL));
    CHECK(cqe_lake_roll(l, t + 1000, true, &err) == 0);
    CHECK(!exists(tmp) && exists(final) && id_is(l, "o-99"));
    CHECK(fnmatch(LAKE_GLOB, strrchr(final, '/') + 1, 0) == 0 && lake_visible(root) == 1);
    CHECK(content_is(final, want));
    CHECK(cqe_lake_roll(l, t + 2000, true, &err) == 0); /* nothing open: nothing to do */
    CHECK(strcmp(list_files(root, ls, sizeof ls),
                 "snapshots/dt=2026-03-18/hour=10/part-host-7-0.ndjson.zst|") == 0);
    cqe_lake_free(l);
    remove_tree(root);
}

/* A file is closed once roll_ms old: by a roll, or by the append that finds it so. */
CQE_TEST(lake_roll_by_age)
{
    char root[64], ls[2048], path[256];
    CHECK(temp_dir(root, sizeof root));
    struct cqe_lake_conf c = {root, "snapshots", "w", 480, 60000, 0};
    struct cqe_lake *l = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_lake_open(&c, &l, &err) == 0);
    int64_t t = at("2026-03-18T10:00:00+08:00");
    CHECK(append_str(l, "a", "1", t, &err) == 0);
    CHECK(append_str(l, "b", "2", t + 30000, &err) == 0);
    CHECK(cqe_lake_roll(l, t + 59999, false, &err) == 0 && id_is(l, NULL));
    CHECK(cqe_lake_roll(l, t + 60000, false, &err) == 0 && id_is(l, "2"));
    CHECK(append_str(l, "c", "3", t + 61000, &err) == 0);
    CHECK(append_str(l, "d", "4", t + 120999, &err) == 0 && id_is(l, "2")); /* 59.999 s old */
    CHECK(append_str(l, "e", "5", t + 121000, &err) == 0 && id_is(l, "4")); /* 60 s: closed first */
    CHECK(strcmp(list_files(root, ls, sizeof ls),
                 "snapshots/dt=2026-03-18/hour=10/.part-w-2.ndjson.zst.tmp|"
                 "snapshots/dt=2026-03-18/hour=10/part-w-0.ndjson.zst|"
                 "snapshots/dt=2026-03-18/hour=10/part-w-1.ndjson.zst|") == 0);
    snprintf(path, sizeof path, "%s/snapshots/dt=2026-03-18/hour=10/part-w-0.ndjson.zst", root);
    CHECK(content_is(path, "a\nb\n"));
    snprintf(path, sizeof path, "%s/snapshots/dt=2026-03-18/hour=10/part-w-1.ndjson.zst", root);
    CHECK(content_is(path, "c\nd\n"));
    cqe_lake_free(l); /* discards the open file */
    CHECK(strcmp(list_files(root, ls, sizeof ls),
                 "snapshots/dt=2026-03-18/hour=10/part-w-0.ndjson.zst|"
                 "snapshots/dt=2026-03-18/hour=10/part-w-1.ndjson.zst|") == 0);
    remove_tree(root);
}

/* max_bytes counts the NDJSON bytes (newlines included): a record that would pass it
 * goes to the next file; a record larger than it gets a file of its own. */
CQE_TEST(lake_roll_by_size)
{
    char root[64], path[256];
    CHECK(temp_dir(root, sizeof root));
    struct cqe_lake_conf c = {root, "alerts", "w", 480, 0, 22};
    struct cqe_lake *l = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_lake_open(&c, &l, &err) == 0);
    int64_t t = at("2026-03-18T10:00:00+08:00");
    const char *big = "012345678901234567890123456789";
    CHECK(append_str(l, "aaaaaaaaaa", "a", t, &err) == 0);
    CHECK(append_str(l, "bbbbbbbbbb", "b", t, &err) == 0 && id_is(l, NULL)); /* 22 bytes: fits */
    CHECK(append_str(l, "cccccccccc", "c", t, &err) == 0 && id_is(l, "b"));
    CHECK(append_str(l, big, "big", t, &err) == 0 && id_is(l, "c"));
    CHECK(append_str(l, "dddddddddd", "d", t, &err) == 0 && id_is(l, "big"));
    CHECK(cqe_lake_roll(l, t, false, &err) == 0 && id_is(l, "big")); /* 11 bytes: not due */
    CHECK(cqe_lake_roll(l, t, true, &err) == 0 && id_is(l, "d"));
    const char *want[] = {"aaaaaaaaaa\nbbbbbbbbbb\n", "cccccccccc\n", "012345678901234567890123456789\n",
                          "dddddddddd\n"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/alerts/dt=2026-03-18/hour=10/part-w-%d.ndjson.zst", root, i);
        CHECK(content_is(path, want[i]));
    }
    CHECK(lake_visible(root) == 4);
    cqe_lake_free(l);
    remove_tree(root);
}

/* The durable id moves only when a file is closed; a discard drops the open file and
 * its records, never the durable id; the next file takes the next seq. */
CQE_TEST(lake_durable_id_at_close_only)
{
    char root[64], ls[2048], path[256];
    CHECK(temp_dir(root, sizeof root));
    struct cqe_lake_conf c = {root, "snapshots", "w", 480, 0, 0};
    struct cqe_lake *l = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_lake_open(&c, &l, &err) == 0);
    int64_t t = at("2026-03-18T10:00:00+08:00");
    CHECK(append_str(l, "a", "1-0", t, &err) == 0 && id_is(l, NULL));
    CHECK(cqe_lake_roll(l, t, true, &err) == 0 && id_is(l, "1-0"));
    CHECK(append_str(l, "b", "1-1", t, &err) == 0 && id_is(l, "1-0"));
    CHECK(append_str(l, "c", "a-much-longer-id-than-the-ones-before-it", t, &err) == 0 && id_is(l, "1-0"));
    cqe_lake_discard(l);
    CHECK(id_is(l, "1-0") && lake_visible(root) == 1);
    CHECK(strcmp(list_files(root, ls, sizeof ls), "snapshots/dt=2026-03-18/hour=10/part-w-0.ndjson.zst|") ==
          0);
    cqe_lake_discard(l); /* nothing open: nothing to do */
    CHECK(append_str(l, "b", "1-1", t, &err) == 0);
    CHECK(append_str(l, "c", "a-much-longer-id-than-the-ones-before-it", t, &err) == 0 && id_is(l, "1-0"));
    CHECK(cqe_lake_roll(l, t, true, &err) == 0 && id_is(l, "a-much-longer-id-than-the-ones-before-it"));
    snprintf(path, sizeof path, "%s/snapshots/dt=2026-03-18/hour=10/part-w-2.ndjson.zst", root);
    CHECK(content_is(path, "b\nc\n"));
    CHECK(lake_visible(root) == 2);
    cqe_lake_free(l);
    remove_tree(root);
}

/* A lake under a regular file fails with ENOTDIR, root or not: CQE_EIO naming the path
 * and the fix, nothing left behind; once the directory is there, the same writer works. */
CQE_TEST(lake_unwritable_dir_then_fixed)
{
    char base[64], dir[96], ls[2048], path[256];
    CHECK(temp_dir(base, sizeof base));
    snprintf(dir, sizeof dir, "%s/file", base);
    FILE *f = fopen(dir, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    char lake[128];
    snprintf(lake, sizeof lake, "%s/x", dir);
    struct cqe_lake_conf c = {lake, "snapshots", "w", 480, 0, 0};
    struct cqe_lake *l = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_lake_open(&c, &l, &err) == 0);
    int64_t t = at("2026-03-18T10:00:00+08:00");
    CHECK(append_str(l, "a", "1", t, &err) == CQE_EIO && err.code == CQE_EIO);
    CHECK(strstr(err.msg, lake) == err.msg && strstr(err.msg, "Not a directory") != NULL);
    CHECK(strstr(err.msg, "make it a directory") != NULL);
    CHECK(id_is(l, NULL));
    CHECK(strcmp(list_files(base, ls, sizeof ls), "file|") == 0);
    CHECK(cqe_lake_roll(l, t, true, &err) == 0); /* nothing open */

    /* fixed: the file is now a directory */
    CHECK(unlink(dir) == 0 && mkdir(dir, 0755) == 0);
    CHECK(append_str(l, "a", "1", t, &err) == 0);
    CHECK(append_str(l, "b", "2", t, &err) == 0);
    CHECK(cqe_lake_roll(l, t, true, &err) == 0 && id_is(l, "2"));
    CHECK(strcmp(list_files(base, ls, sizeof ls),
                 "file/x/snapshots/dt=2026-03-18/hour=10/part-w-0.ndjson.zst|") == 0);
    snprintf(path, sizeof path, "%s/snapshots/dt=2026-03-18/hour=10/part-w-0.ndjson.zst", lake);
    CHECK(content_is(path, "a\nb\n"));
    cqe_lake_free(l);
    remove_tree(base);
}

/* A write that fails mid-file (here the file size limit, as a full disk would): CQE_EIO
 * naming the file, the temporary file gone, the durable id unchanged, nothing lost: the
 * same records appended again land in the next file. */
CQE_TEST(lake_write_error_mid_file)
{
    char root[64], ls[2048], path[256];
    struct rlimit was;
    CHECK(temp_dir(root, sizeof root));
    CHECK(getrlimit(RLIMIT_FSIZE, &was) == 0);
    struct cqe_lake_conf c = {root, "snapshots", "w", 480, 0, 0};
    struct cqe_lake *l = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_lake_open(&c, &l, &err) == 0);
    int64_t t = at("2026-03-18T10:00:00+08:00");
    CHECK(append_str(l, "first", "0", t, &err) == 0);
    CHECK(cqe_lake_roll(l, t, true, &err) == 0 && id_is(l, "0"));

    /* 4000 records of 100 pseudo-random letters: ~400 KB, far over 16 KiB compressed */
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = {16 * 1024, was.rlim_max};
    CHECK(was.rlim_max == RLIM_INFINITY || was.rlim_max >= small.rlim_cur);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    static char lines[4000][104];
    uint32_t x = 2463534242u;
    for (int i = 0; i < 4000; i++) {
        for (int j = 0; j < 100; j++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            lines[i][j] = (char)('a' + x % 26);
        }
        lines[i][100] = '\0';
    }
    int rc = 0, failed_at = -1;
    for (int i = 0; i < 4000 && rc == 0; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i + 1);
        if ((rc = append_str(l, lines[i], id, t, &err)))
            failed_at = i;
    }
    if (rc == 0)
        rc = cqe_lake_roll(l, t, true, &err);
    CHECK(setrlimit(RLIMIT_FSIZE, &was) == 0);
    signal(SIGXFSZ, old_handler);
    CHECK(rc == CQE_EIO && failed_at > 0);
    snprintf(path, sizeof path, "%s/snapshots/dt=2026-03-18/hour=10/part-w-1.ndjson.zst", root);
    CHECK(strstr(err.msg, path) == err.msg && strstr(err.msg, "File too large") != NULL);
    CHECK(strstr(err.msg, "ulimit -f") != NULL);
    CHECK(id_is(l, "0"));
    CHECK(strcmp(list_files(root, ls, sizeof ls), "snapshots/dt=2026-03-18/hour=10/part-w-0.ndjson.zst|") ==
          0);

    /* the caller appends again everything after the durable id */
    for (int i = 0; i < 4000; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i + 1);
        CHECK(append_str(l, lines[i], id, t, &err) == 0);
    }
    CHECK(cqe_lake_roll(l, t, true, &err) == 0 && id_is(l, "4000"));
    snprintf(path, sizeof path, "%s/snapshots/dt=2026-03-18/hour=10/part-w-2.ndjson.zst", root);
    static char want[4000 * 101 + 1];
    size_t o = 0;
    for (int i = 0; i < 4000; i++) {
        memcpy(want + o, lines[i], 100);
        want[o + 100] = '\n';
        o += 101;
    }
    want[o] = '\0';
    CHECK(content_is(path, want));
    cqe_lake_free(l);
    remove_tree(root);
}

/* A name already in the lake (a process before with the same worker id) is skipped,
 * never overwritten. */
CQE_TEST(lake_taken_name_skipped)
{
    char root[64], dir[160], path[256];
    CHECK(temp_dir(root, sizeof root));
    snprintf(dir, sizeof dir, "%s/snapshots", root);
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(dir, sizeof dir, "%s/snapshots/dt=2026-03-18", root);
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(dir, sizeof dir, "%s/snapshots/dt=2026-03-18/hour=10", root);
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof path, "%s/part-w-0.ndjson.zst", dir);
    FILE *f = fopen(path, "w");
    CHECK(f && fputs("kept", f) >= 0);
    if (f)
        fclose(f);
    struct cqe_lake_conf c = {root, "snapshots", "w", 480, 0, 0};
    struct cqe_lake *l = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_lake_open(&c, &l, &err) == 0);
    int64_t t = at("2026-03-18T10:00:00+08:00");
    CHECK(append_str(l, "a", "1", t, &err) == 0 && cqe_lake_roll(l, t, true, &err) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size == 4);
    snprintf(path, sizeof path, "%s/part-w-1.ndjson.zst", dir);
    CHECK(content_is(path, "a\n"));
    cqe_lake_free(l);
    remove_tree(root);
}

/* Refused configurations and records: CQE_EINVAL naming the field, nothing written. */
CQE_TEST(lake_refusals)
{
    char root[64], ls[256];
    CHECK(temp_dir(root, sizeof root));
    struct cqe_lake *l = NULL;
    struct cqe_err err = {0};
    const struct cqe_lake_conf bad[] = {
        {"", "snapshots", "w", 0, 0, 0},
        {root, NULL, "w", 0, 0, 0},
        {root, "", "w", 0, 0, 0},
        {root, ".hidden", "w", 0, 0, 0},
        {root, "_tmp", "w", 0, 0, 0},
        {root, "a/b", "w", 0, 0, 0},
        {root, "k=v", "w", 0, 0, 0},
        {root, "snapshots", "", 0, 0, 0},
        {root, "snapshots", "a/b", 0, 0, 0},
        {root, "snapshots", "w", 19 * 60, 0, 0},
        {root, "snapshots", "w", 0, -1, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(cqe_lake_open(&bad[i], &l, &err) == CQE_EINVAL && l == NULL);
        CHECK(strstr(err.msg, "lake: ") == err.msg);
    }
    CHECK(cqe_lake_open(&bad[5], &l, &err) == CQE_EINVAL && strstr(err.msg, "a/b") != NULL);
    struct cqe_lake_conf c = {root, "snapshots", "w", 480, 0, 0};
    CHECK(cqe_lake_open(&c, &l, &err) == 0);
    int64_t t = at("2026-03-18T10:00:00+08:00");
    CHECK(append_str(l, "a\nb", "1", t, &err) == CQE_EINVAL && strstr(err.msg, "newline") != NULL);
    CHECK(append_str(l, "a", NULL, t, &err) == CQE_EINVAL);
    CHECK(append_str(l, "a", "1", -1, &err) == CQE_EINVAL);
    CHECK(append_str(l, "a", "1", CQE_TS_MAX, &err) == CQE_EINVAL);
    CHECK(strcmp(list_files(root, ls, sizeof ls), "") == 0 && id_is(l, NULL));
    cqe_lake_free(l);
    cqe_lake_free(NULL);
    remove_tree(root);
}
