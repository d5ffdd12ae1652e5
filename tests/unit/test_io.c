/* Unit tests of the file I/O modules: file writer (plain, zstd, atomic, errors), line reader
 * (long, blank, CRLF, final and truncated lines), UTF-8 validation and dead letters. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dead_letter.h"
#include "event.h"
#include "file_writer.h"
#include "line_reader.h"
#include "unit.h"
#include "utf8.h"

/* A fresh temporary name under /tmp ending in suffix (the file is removed; the caller
 * creates it and removes it). */
static void temp_name(char *buf, size_t n, const char *suffix)
{
    snprintf(buf, n, "/tmp/cqe_io_XXXXXX");
    int fd = mkstemp(buf);
    if (fd >= 0) {
        close(fd);
        unlink(buf);
    }
    size_t k = strlen(buf);
    snprintf(buf + k, n - k, "%s", suffix);
}

static int write_file(const char *path, const void *data, size_t n)
{
    struct cqe_file_writer *w = NULL;
    int rc = cqe_file_writer_open(path, &w, NULL);
    if (rc == 0)
        rc = cqe_file_writer_write(w, data, n, NULL);
    int rc2 = cqe_file_writer_close(w, NULL);
    return rc ? rc : rc2;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Reads every line of path into a newline-joined string (statuses as a prefix letter
 * when not OK: L too large, T truncated); returns the reader's final rc. */
static int read_all(const char *path, size_t max_line, char *out, size_t cap, int64_t *nos, size_t max_nos,
                    size_t *count)
{
    struct cqe_line_reader *r = NULL;
    struct cqe_line line;
    size_t o = 0;
    *count = 0;
    int rc = cqe_line_reader_open(path, max_line, &r, NULL);
    out[0] = '\0';
    while (rc == 0 && (rc = cqe_line_reader_next(r, &line, NULL)) == 1) {
        if (*count < max_nos)
            nos[*count] = line.line_no;
        (*count)++;
        const char *tag = line.status == CQE_LINE_TOO_LARGE   ? "L:"
                          : line.status == CQE_LINE_TRUNCATED ? "T:"
                                                              : "";
        int k = snprintf(out + o, cap - o, "%s%.*s|", tag, (int)line.n, line.p);
        if (k > 0 && (size_t)k < cap - o)
            o += (size_t)k;
        if (line.p[line.n] != '\0')
            return -100;
        rc = 0;
    }
    cqe_line_reader_close(r);
    return rc;
}

CQE_TEST(io_writer_plain_roundtrip)
{
    char path[64];
    temp_name(path, sizeof path, ".ndjson");
    const char text[] = "{\"a\":1}\n{\"b\":2}\n";
    CHECK(write_file(path, text, strlen(text)) == 0);
    CHECK(file_size(path) == (long)strlen(text));
    char got[256];
    int64_t nos[8];
    size_t count;
    CHECK(read_all(path, 0, got, sizeof got, nos, 8, &count) == 0);
    CHECK(strcmp(got, "{\"a\":1}|{\"b\":2}|") == 0);
    CHECK(count == 2 && nos[0] == 1 && nos[1] == 2);
    unlink(path);
}

/* Many lines through the zstd writer, many write calls of odd sizes and one larger
 * than the writer's buffer, read back line by line. */
CQE_TEST(io_writer_zstd_roundtrip)
{
    char path[64];
    temp_name(path, sizeof path, ".ndjson.zst");
    struct cqe_file_writer *w = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_file_writer_open(path, &w, &err) == 0);
    char line[64];
    const int n_lines = 50000;
    for (int i = 1; i <= n_lines && w; i++) {
        int k = snprintf(line, sizeof line, "{\"i\":%d}\n", i);
        CHECK(cqe_file_writer_write(w, line, (size_t)k, &err) == 0);
    }
    size_t big_n = 300 * 1024;
    char *big = malloc(big_n + 1);
    memset(big, 'x', big_n);
    big[big_n] = '\n';
    CHECK(cqe_file_writer_write(w, big, big_n + 1, &err) == 0);
    CHECK(cqe_file_writer_flush(w, &err) == 0);
    CHECK(cqe_file_writer_write(w, "last", 4, &err) == 0);
    CHECK(cqe_file_writer_close(w, &err) == 0);
    CHECK(file_size(path) > 0 && file_size(path) < 200000);

    struct cqe_line_reader *r = NULL;
    CHECK(cqe_line_reader_open(path, 0, &r, &err) == 0);
    struct cqe_line ln;
    int i = 0, rc;
    bool ok = true;
    while (r && i < n_lines && (rc = cqe_line_reader_next(r, &ln, &err)) == 1) {
        i++;
        int k = snprintf(line, sizeof line, "{\"i\":%d}", i);
        if (ln.n != (size_t)k || memcmp(ln.p, line, ln.n) != 0 || ln.line_no != i || ln.status != CQE_LINE_OK)
            ok = false;
    }
    CHECK(ok && i == n_lines);
    CHECK(cqe_line_reader_next(r, &ln, &err) == 1);
    CHECK(ln.status == CQE_LINE_OK && ln.n == big_n && ln.p[0] == 'x' && ln.p[big_n - 1] == 'x');
    CHECK(cqe_line_reader_next(r, &ln, &err) == 1);
    CHECK(ln.status == CQE_LINE_OK && ln.n == 4 && memcmp(ln.p, "last", 4) == 0);
    CHECK(ln.line_no == n_lines + 2);
    CHECK(cqe_line_reader_next(r, &ln, &err) == 0);
    CHECK(cqe_line_reader_next(r, &ln, &err) == 0);
    cqe_line_reader_close(r);
    free(big);
    unlink(path);
}

CQE_TEST(io_writer_atomic)
{
    char path[64], tmp[96];
    temp_name(path, sizeof path, ".ndjson.zst");
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    struct cqe_file_writer *w = NULL;
    CHECK(cqe_file_writer_open_atomic(path, &w, NULL) == 0);
    CHECK(cqe_file_writer_write(w, "{}\n", 3, NULL) == 0);
    CHECK(file_size(path) == -1 && file_size(tmp) >= 0);
    CHECK(cqe_file_writer_close(w, NULL) == 0);
    CHECK(file_size(path) > 0 && file_size(tmp) == -1);
    char got[64];
    int64_t nos[4];
    size_t count;
    CHECK(read_all(path, 0, got, sizeof got, nos, 4, &count) == 0 && strcmp(got, "{}|") == 0);
    unlink(path);

    CHECK(cqe_file_writer_open_atomic(path, &w, NULL) == 0);
    CHECK(cqe_file_writer_write(w, "{}\n", 3, NULL) == 0);
    cqe_file_writer_abort(w);
    CHECK(file_size(path) == -1 && file_size(tmp) == -1);
    CHECK(cqe_file_writer_open_atomic("-", &w, NULL) == CQE_EINVAL);
    CHECK(cqe_file_writer_close(NULL, NULL) == 0);
}

/* The caller's temporary name: compression follows the final name; close renames. */
CQE_TEST(io_writer_atomic_at)
{
    char path[64], tmp[96];
    temp_name(path, sizeof path, ".ndjson.zst");
    snprintf(tmp, sizeof tmp, "%s.partial", path);
    struct cqe_file_writer *w = NULL;
    CHECK(cqe_file_writer_open_atomic_at(path, tmp, &w, NULL) == 0);
    CHECK(cqe_file_writer_write(w, "{}\n", 3, NULL) == 0);
    CHECK(file_size(path) == -1 && file_size(tmp) >= 0);
    CHECK(cqe_file_writer_close(w, NULL) == 0);
    CHECK(file_size(path) > 0 && file_size(tmp) == -1);
    char got[64];
    int64_t nos[4];
    size_t count;
    CHECK(read_all(path, 0, got, sizeof got, nos, 4, &count) == 0 && strcmp(got, "{}|") == 0);
    unlink(path);
    CHECK(cqe_file_writer_open_atomic_at(path, path, &w, NULL) == CQE_EINVAL && w == NULL);
    CHECK(cqe_file_writer_open_atomic_at(path, "", &w, NULL) == CQE_EINVAL && w == NULL);
}

CQE_TEST(io_writer_errors)
{
    struct cqe_file_writer *w = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_file_writer_open("/nonexistent-dir/x.ndjson", &w, &err) == CQE_EIO);
    CHECK(w == NULL && strstr(err.msg, "/nonexistent-dir/x.ndjson") != NULL);
    CHECK(strstr(err.msg, "; create /nonexistent-dir or choose a directory that exists") != NULL);
    CHECK(cqe_file_err(&err, "/a/b/c.ndjson", "write failed", ENOSPC) == CQE_EIO && err.code == CQE_EIO);
    CHECK(strstr(err.msg, "/a/b/c.ndjson: write failed: ") == err.msg);
    CHECK(strstr(err.msg, "; free space on the file system of /a/b") != NULL);
    CHECK(cqe_file_err(&err, "c.ndjson", "cannot create", EACCES) == CQE_EIO);
    CHECK(strstr(err.msg, "; give the worker write access to .") != NULL);
    CHECK(cqe_file_err(&err, "/c.ndjson", "cannot create", EROFS) == CQE_EIO);
    CHECK(strstr(err.msg, "; give the worker write access to /") != NULL);
    struct cqe_line_reader *r = NULL;
    CHECK(cqe_line_reader_open("/nonexistent-dir/x.ndjson", 0, &r, &err) == CQE_EIO);
    CHECK(r == NULL && strstr(err.msg, "/nonexistent-dir/x.ndjson") != NULL);
}

/* Lines over max_line are reported once, cut, and the next line is read normally,
 * whether the long line lies inside one read chunk or spans several. */
CQE_TEST(io_reader_too_large)
{
    char path[64];
    temp_name(path, sizeof path, ".ndjson");
    size_t big_n = 400 * 1024; /* spans several 128 KiB chunks */
    size_t cap = big_n + 256;
    char *text = malloc(cap);
    size_t o = 0;
    o += (size_t)snprintf(text + o, cap - o, "0123456789\n"); /* in-chunk, too large */
    o += (size_t)snprintf(text + o, cap - o, "short\n");
    memset(text + o, 'y', big_n);
    o += big_n;
    o += (size_t)snprintf(text + o, cap - o, "\r\nafter\n12345678\r\n");
    CHECK(write_file(path, text, o) == 0);

    struct cqe_line_reader *r = NULL;
    struct cqe_line ln;
    CHECK(cqe_line_reader_open(path, 8, &r, NULL) == 0);
    CHECK(cqe_line_reader_next(r, &ln, NULL) == 1);
    CHECK(ln.status == CQE_LINE_TOO_LARGE && ln.n == 8 && ln.total == 10);
    CHECK(memcmp(ln.p, "01234567", 8) == 0 && ln.p[8] == '\0' && ln.line_no == 1);
    CHECK(cqe_line_reader_next(r, &ln, NULL) == 1);
    CHECK(ln.status == CQE_LINE_OK && ln.n == 5 && memcmp(ln.p, "short", 5) == 0);
    CHECK(cqe_line_reader_next(r, &ln, NULL) == 1);
    CHECK(ln.status == CQE_LINE_TOO_LARGE && ln.n == 8 && ln.total == big_n);
    CHECK(memcmp(ln.p, "yyyyyyyy", 8) == 0 && ln.line_no == 3);
    CHECK(cqe_line_reader_next(r, &ln, NULL) == 1);
    CHECK(ln.status == CQE_LINE_OK && ln.n == 5 && memcmp(ln.p, "after", 5) == 0);
    CHECK(ln.line_no == 4);
    /* exactly max_line bytes before "\r\n" is not too large */
    CHECK(cqe_line_reader_next(r, &ln, NULL) == 1);
    CHECK(ln.status == CQE_LINE_OK && ln.n == 8 && memcmp(ln.p, "12345678", 8) == 0);
    CHECK(cqe_line_reader_next(r, &ln, NULL) == 0);
    cqe_line_reader_close(r);
    free(text);
    unlink(path);
}

CQE_TEST(io_reader_crlf_blank_final)
{
    char path[64];
    temp_name(path, sizeof path, ".ndjson");
    const char text[] = "a\r\n\r\n   \t\n\nb\n \r\nc\rd\r\nend";
    CHECK(write_file(path, text, strlen(text)) == 0);
    char got[128];
    int64_t nos[8];
    size_t count;
    CHECK(read_all(path, 0, got, sizeof got, nos, 8, &count) == 0);
    CHECK(strcmp(got, "a|b|c\rd|end|") == 0);
    CHECK(count == 4 && nos[0] == 1 && nos[1] == 5 && nos[2] == 7 && nos[3] == 8);
    unlink(path);

    /* empty file, only blank lines, a final blank line without newline */
    CHECK(write_file(path, "", 0) == 0);
    CHECK(read_all(path, 0, got, sizeof got, nos, 8, &count) == 0 && count == 0);
    CHECK(write_file(path, "\n\n  ", 4) == 0);
    CHECK(read_all(path, 0, got, sizeof got, nos, 8, &count) == 0 && count == 0);
    unlink(path);
}

/* A final line longer than max_line without a newline, crossing chunks. */
CQE_TEST(io_reader_final_line_too_large)
{
    char path[64];
    temp_name(path, sizeof path, ".ndjson");
    size_t n = 200 * 1024;
    char *text = malloc(n);
    memset(text, 'z', n);
    CHECK(write_file(path, text, n) == 0);
    struct cqe_line_reader *r = NULL;
    struct cqe_line ln;
    CHECK(cqe_line_reader_open(path, 1000, &r, NULL) == 0);
    CHECK(cqe_line_reader_next(r, &ln, NULL) == 1);
    CHECK(ln.status == CQE_LINE_TOO_LARGE && ln.n == 1000 && ln.total == n && ln.line_no == 1);
    CHECK(cqe_line_reader_next(r, &ln, NULL) == 0);
    cqe_line_reader_close(r);
    free(text);
    unlink(path);
}

/* A zstd file cut short: the complete lines come out, then one TRUNCATED line holding
 * the partial bytes, then a sticky CQE_EIO naming the file and the complete lines; cut to
 * the frame header only, TRUNCATED with 0 bytes, then the error with 0 lines. */
CQE_TEST(io_reader_zstd_truncated)
{
    char path[64];
    temp_name(path, sizeof path, ".ndjson.zst");
    struct cqe_file_writer *w = NULL;
    CHECK(cqe_file_writer_open(path, &w, NULL) == 0);
    char buf[64];
    for (int i = 0; i < 20000; i++) {
        int k = snprintf(buf, sizeof buf, "{\"seq\":%d,\"pad\":\"%08x\"}\n", i, i * 2654435761u);
        CHECK(cqe_file_writer_write(w, buf, (size_t)k, NULL) == 0);
    }
    CHECK(cqe_file_writer_close(w, NULL) == 0);
    long size = file_size(path);
    CHECK(size > 1000);
    CHECK(truncate(path, size / 2) == 0);

    struct cqe_line_reader *r = NULL;
    struct cqe_line ln;
    struct cqe_err err = {0};
    CHECK(cqe_line_reader_open(path, 0, &r, &err) == 0);
    int ok_lines = 0, truncated = 0, rc;
    int64_t last_no = 0;
    while ((rc = cqe_line_reader_next(r, &ln, &err)) == 1) {
        if (ln.status == CQE_LINE_OK) {
            CHECK(truncated == 0);
            int k = snprintf(buf, sizeof buf, "{\"seq\":%d,", ok_lines);
            CHECK(memcmp(ln.p, buf, (size_t)k) == 0);
            ok_lines++;
        } else {
            CHECK(ln.status == CQE_LINE_TRUNCATED);
            truncated++;
        }
        last_no = ln.line_no;
    }
    CHECK(rc == CQE_EIO && truncated == 1 && ok_lines > 0 && ok_lines < 20000);
    CHECK(last_no == ok_lines + 1);
    char want[160];
    snprintf(want, sizeof want, "%s: truncated: the zstd stream ends inside a frame after %d complete lines;",
             path, ok_lines);
    CHECK(strstr(err.msg, want) == err.msg);
    CHECK(cqe_line_reader_next(r, &ln, &err) == CQE_EIO); /* sticky */
    cqe_line_reader_close(r);

    /* frame header only: no line, just the truncation */
    CHECK(truncate(path, 6) == 0);
    CHECK(cqe_line_reader_open(path, 0, &r, &err) == 0);
    CHECK(cqe_line_reader_next(r, &ln, &err) == 1);
    CHECK(ln.status == CQE_LINE_TRUNCATED && ln.n == 0 && ln.line_no == 1);
    CHECK(cqe_line_reader_next(r, &ln, &err) == CQE_EIO);
    CHECK(strstr(err.msg, "after 0 complete lines") != NULL);
    cqe_line_reader_close(r);
    unlink(path);
}

/* A corrupted (not truncated) zstd stream is an error naming the file and offset. */
CQE_TEST(io_reader_zstd_corrupt)
{
    char path[64];
    temp_name(path, sizeof path, ".ndjson.zst");
    const char text[] = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
    CHECK(write_file(path, text, strlen(text)) == 0);
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, n - 8, SEEK_SET);
        fputc(0xAA, f); /* inside the data or the checksum */
        fseek(f, n - 3, SEEK_SET);
        fputc(0x55, f);
        fclose(f);
    }
    struct cqe_line_reader *r = NULL;
    struct cqe_line ln;
    struct cqe_err err = {0};
    CHECK(cqe_line_reader_open(path, 0, &r, &err) == 0);
    int rc;
    while ((rc = cqe_line_reader_next(r, &ln, &err)) == 1)
        ;
    CHECK(rc == CQE_EIO && strstr(err.msg, path) && strstr(err.msg, "byte"));
    CHECK(cqe_line_reader_next(r, &ln, &err) == CQE_EIO); /* sticky */
    cqe_line_reader_close(r);

    /* a .zst name over plain text is refused at open */
    CHECK(write_file(path + 0, "", 0) == 0);
    f = fopen(path, "wb");
    if (f) {
        fputs("{\"plain\":true}\n", f);
        fclose(f);
    }
    CHECK(cqe_line_reader_open(path, 0, &r, &err) == CQE_EIO && r == NULL);
    CHECK(strstr(err.msg, "zstd") != NULL);
    unlink(path);
}

/* A zstd stream in a file not named .zst is detected by its magic number. */
CQE_TEST(io_reader_zstd_sniffed)
{
    char zpath[64], path[64];
    temp_name(zpath, sizeof zpath, ".zst");
    CHECK(write_file(zpath, "x\ny\n", 4) == 0);
    snprintf(path, sizeof path, "%.*s.bin", (int)(strlen(zpath) - 4), zpath);
    CHECK(rename(zpath, path) == 0);
    char got[64];
    int64_t nos[4];
    size_t count;
    CHECK(read_all(path, 0, got, sizeof got, nos, 4, &count) == 0 && strcmp(got, "x|y|") == 0);
    unlink(path);
}

CQE_TEST(io_utf8_valid)
{
    CHECK(cqe_utf8_valid("", 0));
    CHECK(cqe_utf8_valid("plain ascii, longer than eight bytes", 36));
    CHECK(cqe_utf8_valid("\xC3\xA9t\xC3\xA9 \xE8\x89\xAF\xE5\xA5\xBD \xF0\x9F\x98\x80", 17));
    CHECK(cqe_utf8_valid("a\0b", 3));
    CHECK(cqe_utf8_valid("\xF4\x8F\xBF\xBF", 4));  /* U+10FFFF */
    CHECK(cqe_utf8_valid("\xED\x9F\xBF", 3));      /* U+D7FF */
    CHECK(!cqe_utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
    CHECK(!cqe_utf8_valid("\xE0\x80\xAF", 3));     /* overlong */
    CHECK(!cqe_utf8_valid("\xF0\x80\x80\xAF", 4)); /* overlong */
    CHECK(!cqe_utf8_valid("\xED\xA0\x80", 3));     /* surrogate U+D800 */
    CHECK(!cqe_utf8_valid("\xF4\x90\x80\x80", 4)); /* U+110000 */
    CHECK(!cqe_utf8_valid("\xF5\x80\x80\x80", 4));
    CHECK(!cqe_utf8_valid("\xFF", 1));
    CHECK(!cqe_utf8_valid("\x80", 1));
    CHECK(!cqe_utf8_valid("abcdefgh\xE8\x89", 10)); /* cut at the end */
    CHECK(!cqe_utf8_valid("\xE8\x89"
                          "a",
                          3));
    CHECK(cqe_utf8_valid_prefix("abc\xC3\xA9\xFFzz", 8) == 5);
}

static unsigned char b64_rev(char c)
{
    const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(a, c);
    return p && c ? (unsigned char)(p - a) : 0xFF;
}

/* Decodes padded base64 into out; returns the length or -1. */
static long b64_decode(const char *s, unsigned char *out)
{
    size_t n = strlen(s), o = 0;
    if (n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            if (s[i + j] == '=') {
                pad++;
                v <<= 6;
                continue;
            }
            unsigned char d = b64_rev(s[i + j]);
            if (d == 0xFF || pad)
                return -1;
            v = v << 6 | d;
        }
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[o++] = (unsigned char)v;
    }
    return (long)o;
}

/* Reads a dead-letter file back: every line must be one JSON object. */
static json_t *load_lines(const char *path, size_t *count)
{
    json_t *arr = json_array();
    struct cqe_line_reader *r = NULL;
    struct cqe_line ln;
    *count = 0;
    if (cqe_line_reader_open(path, 0, &r, NULL) != 0)
        return arr;
    while (cqe_line_reader_next(r, &ln, NULL) == 1) {
        json_t *v = json_loadb(ln.p, ln.n, 0, NULL);
        if (v)
            json_array_append_new(arr, v);
        (*count)++;
    }
    cqe_line_reader_close(r);
    return arr;
}

CQE_TEST(io_dead_letters_records)
{
    char path[64];
    temp_name(path, sizeof path, ".ndjson.zst");
    struct cqe_dead_letters *d = NULL;
    struct cqe_err err = {0};
    CHECK(cqe_dead_letters_open(path, 480, &d, &err) == 0);
    const char raw1[] = "{\"type\":\"probe\" \"x\"}";
    struct cqe_origin of = {.file = "events.ndjson", .line = 42};
    struct cqe_origin ok = {.topic = "cloudqe.events", .partition = 3, .offset = 12345};
    /* 2026-03-18T02:00:00.250Z */
    int64_t t = INT64_C(1773799200250);
    CHECK(cqe_dead_letters_write(d, &of, CQE_R_JSON_SYNTAX, "expected ',' at column 16", raw1, strlen(raw1),
                                 t, &err) == 0);
    const unsigned char bin[][4] = {{0xFF}, {0xFF, 0xFE}, {0x00, 'f', 'o', 'o'}, {'a', 0xC0, 0xAF}};
    const size_t bin_n[] = {1, 2, 4, 3};
    const char *bin_b64[] = {"/w==", "//4=", "AGZvbw==", "YcCv"};
    for (int i = 0; i < 4; i++)
        CHECK(cqe_dead_letters_write(d, &ok, CQE_R_BAD_UTF8, "bad \xFF utf8", bin[i], bin_n[i], t, &err) ==
              0);
    struct cqe_origin onot = {.partition = 0, .offset = 7}; /* topic unknown */
    CHECK(cqe_dead_letters_write(d, &onot, CQE_R_TOO_LARGE, NULL, "\xE8\x89\xAF", 3, t, &err) == 0);
    CHECK(cqe_dead_letters_write(d, NULL, CQE_R_TOO_LARGE, "x", "x", 1, t, &err) == CQE_EINVAL);
    CHECK(cqe_dead_letters_write(d, &of, CQE_R_NONE, "x", "x", 1, t, &err) == CQE_EINVAL);
    CHECK(cqe_dead_letters_write(d, &of, CQE_R__COUNT, "x", "x", 1, t, &err) == CQE_EINVAL);
    CHECK(cqe_dead_letters_count(d, CQE_R_BAD_UTF8) == 4);
    CHECK(cqe_dead_letters_count(d, CQE_R_JSON_SYNTAX) == 1);
    CHECK(cqe_dead_letters_count(d, CQE_R_MISSING_FIELD) == 0);
    CHECK(cqe_dead_letters_count(d, 999) == 0);
    CHECK(cqe_dead_letters_total(d) == 6);
    CHECK(cqe_dead_letters_close(d, &err) == 0);

    size_t count;
    json_t *recs = load_lines(path, &count);
    CHECK(count == 6 && json_array_size(recs) == 6);
    json_t *r0 = json_array_get(recs, 0);
    CHECK(strcmp(json_string_value(json_object_get(r0, "kind")), "dead_letter") == 0);
    CHECK(json_integer_value(json_object_get(r0, "v")) == 1);
    CHECK(strcmp(json_string_value(json_object_get(r0, "reason")), "json_syntax") == 0);
    CHECK(strcmp(json_string_value(json_object_get(r0, "detail")), "expected ',' at column 16") == 0);
    CHECK(strcmp(json_string_value(json_object_get(r0, "received_at")), "2026-03-18T10:00:00.250+08:00") ==
          0);
    CHECK(strcmp(json_string_value(json_object_get(r0, "raw")), raw1) == 0);
    CHECK(json_object_get(r0, "raw_b64") == NULL);
    json_t *o0 = json_object_get(r0, "origin");
    CHECK(strcmp(json_string_value(json_object_get(o0, "file")), "events.ndjson") == 0);
    CHECK(json_integer_value(json_object_get(o0, "line")) == 42);
    CHECK(json_object_size(o0) == 2);
    for (int i = 0; i < 4; i++) {
        json_t *ri = json_array_get(recs, (size_t)i + 1);
        const char *b = json_string_value(json_object_get(ri, "raw_b64"));
        CHECK(b && strcmp(b, bin_b64[i]) == 0);
        unsigned char dec[8];
        CHECK(b && b64_decode(b, dec) == (long)bin_n[i] && memcmp(dec, bin[i], bin_n[i]) == 0);
        CHECK(json_object_get(ri, "raw") == NULL);
        CHECK(strcmp(json_string_value(json_object_get(ri, "reason")), "bad_utf8") == 0);
        CHECK(strcmp(json_string_value(json_object_get(ri, "detail")), "bad \xEF\xBF\xBD utf8") == 0);
        json_t *oi = json_object_get(ri, "origin");
        CHECK(strcmp(json_string_value(json_object_get(oi, "topic")), "cloudqe.events") == 0);
        CHECK(json_integer_value(json_object_get(oi, "partition")) == 3);
        CHECK(json_integer_value(json_object_get(oi, "offset")) == 12345);
    }
    json_t *r5 = json_array_get(recs, 5);
    CHECK(strcmp(json_string_value(json_object_get(r5, "raw")), "\xE8\x89\xAF") == 0);
    CHECK(strcmp(json_string_value(json_object_get(r5, "detail")), "") == 0);
    json_t *o5 = json_object_get(r5, "origin");
    CHECK(json_object_size(o5) == 2 && json_integer_value(json_object_get(o5, "offset")) == 7);
    json_decref(recs);
    unlink(path);
}

/* Raw bytes must come back exactly, including control characters and quotes. */
CQE_TEST(io_dead_letters_raw_exact)
{
    char path[64];
    temp_name(path, sizeof path, ".ndjson");
    struct cqe_dead_letters *d = NULL;
    CHECK(cqe_dead_letters_open(path, 0, &d, NULL) == 0);
    char raw[256];
    size_t n = 0;
    for (int c = 1; c < 128; c++)
        raw[n++] = (char)c;
    struct cqe_origin o = {.file = "f", .line = 1};
    CHECK(cqe_dead_letters_write(d, &o, CQE_R_BAD_VALUE, "d", raw, n, 0, NULL) == 0);
    CHECK(cqe_dead_letters_close(d, NULL) == 0);
    size_t count;
    json_t *recs = load_lines(path, &count);
    json_t *r0 = json_array_get(recs, 0);
    json_t *jr = json_object_get(r0, "raw");
    CHECK(count == 1 && jr && json_string_length(jr) == n && memcmp(json_string_value(jr), raw, n) == 0);
    CHECK(strcmp(json_string_value(json_object_get(r0, "received_at")), "1970-01-01T00:00:00Z") == 0);
    json_decref(recs);
    unlink(path);

    /* count-only mode writes nothing and still counts */
    CHECK(cqe_dead_letters_open(NULL, 480, &d, NULL) == 0);
    CHECK(cqe_dead_letters_write(d, &o, CQE_R_UNKNOWN_TYPE, "t", "{}", 2, 0, NULL) == 0);
    CHECK(cqe_dead_letters_count(d, CQE_R_UNKNOWN_TYPE) == 1 && cqe_dead_letters_total(d) == 1);
    CHECK(cqe_dead_letters_flush(d, NULL) == 0);
    CHECK(cqe_dead_letters_close(d, NULL) == 0);
    CHECK(cqe_dead_letters_close(NULL, NULL) == 0);
}
