/* Dead-letter records and counters: builds the outputs.md record with Jansson (raw
 * bytes kept exact, base64 when they are not UTF-8, cut to a size with their length and
 * SHA-256 when asked) and appends it to a file writer. */
#include "dead_letter.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "file_writer.h"
#include "json_out.h"
#include "timeutil.h"
#include "utf8.h"

struct cqe_dead_letters {
    struct cqe_file_writer *w; /* NULL = count only */
    int utc_offset_min;
    char *line; /* the serialised record, reused */
    size_t line_cap;
    int64_t counts[CQE_R__COUNT];
    int64_t total;
};

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 base64 with padding of n bytes into dst (4 * ceil(n / 3) bytes); returns
 * the length written. */
static size_t base64_encode(const unsigned char *s, size_t n, char *dst)
{
    size_t o = 0, i = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[(v >> 12) & 63];
        dst[o++] = b64_alphabet[(v >> 6) & 63];
        dst[o++] = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[(v >> 12) & 63];
        dst[o++] = '=';
        dst[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[(v >> 12) & 63];
        dst[o++] = b64_alphabet[(v >> 6) & 63];
        dst[o++] = '=';
    }
    return o;
}

/* How many leading bytes of the valid UTF-8 s[0..n) take at most max bytes once
 * written inside a JSON string as Jansson writes it (\" \\ \b \f \n \r \t, \u00XX
 * for the other control characters, the rest as is); whole characters only. */
static size_t json_text_prefix(const unsigned char *s, size_t n, size_t max)
{
    size_t i = 0, used = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1, w = len;
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
            w = 2;
        else if (c < 0x20)
            w = 6;
        if (used + w > max || len > n - i)
            break;
        used += w;
        i += len;
    }
    return i;
}

/* The raw bytes as a JSON string: exact text when possible, else base64, of at most
 * max bytes as written (0 = no limit). *key says which of "raw" / "raw_b64" it is, *kept
 * how many leading bytes of raw it holds. Returns a new reference or NULL (out of memory). */
static json_t *raw_value(const void *raw, size_t n, size_t max, const char **key, size_t *kept)
{
    json_t *v = NULL;
    char *b64 = NULL;
    const char *s = raw ? raw : "";
    if (!memchr(s, '\0', n) && cqe_utf8_valid(s, n)) {
        *key = "raw";
        *kept = max ? json_text_prefix((const unsigned char *)s, n, max) : n;
        /* Jansson validates too; should it ever disagree, base64 still keeps the bytes */
        if ((v = json_stringn(s, *kept)))
            goto out;
    }
    *key = "raw_b64";
    *kept = max && n > max / 4 * 3 ? max / 4 * 3 : n;
    if (*kept > (SIZE_MAX / 4 - 1) * 3 || !(b64 = malloc(*kept / 3 * 4 + 4)))
        goto out;
    v = json_stringn(b64, base64_encode((const unsigned char *)s, *kept, b64));
out:
    free(b64);
    return v;
}

/* The SHA-256 of raw[0..n) as 64 lowercase hex digits in a new JSON string, or NULL. */
static json_t *sha256_value(const void *raw, size_t n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    if (!EVP_Digest(raw ? raw : "", n, md, &md_n, EVP_sha256(), NULL))
        return NULL;
    for (unsigned int i = 0; i < md_n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return json_stringn(hex, 2 * (size_t)md_n);
}

/* Text (NULL = "") as a JSON string, each ill-formed UTF-8 sequence replaced by U+FFFD:
 * details and file names are for people, unlike raw. */
static json_t *text_value(const char *detail)
{
    json_t *v = NULL;
    char *fixed = NULL;
    size_t n = detail ? strlen(detail) : 0;
    if (!detail || cqe_utf8_valid(detail, n))
        return json_stringn(detail ? detail : "", n);
    if (n > SIZE_MAX / 3 || !(fixed = malloc(n * 3)))
        goto out;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t k = cqe_utf8_valid_prefix(detail + i, n - i);
        memcpy(fixed + o, detail + i, k);
        o += k;
        i += k;
        if (i < n) {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    v = json_stringn(fixed, o);
out:
    free(fixed);
    return v;
}

static json_t *origin_value(const struct cqe_origin *o)
{
    json_t *v = json_object();
    if (!v)
        return v;
    int bad = 0;
    if (o->file) {
        bad |= json_object_set_new(v, "file", text_value(o->file));
        bad |= json_object_set_new(v, "line", json_integer(o->line));
    } else {
        if (o->topic)
            bad |= json_object_set_new(v, "topic", text_value(o->topic));
        bad |= json_object_set_new(v, "partition", json_integer(o->partition));
        bad |= json_object_set_new(v, "offset", json_integer(o->offset));
    }
    if (bad) {
        json_decref(v);
        return NULL;
    }
    return v;
}

int cqe_dead_letter_record(const struct cqe_origin *o, int reason, const char *detail, const void *raw,
                           size_t n, size_t raw_max, int64_t received_at_ms, int utc_offset_min, json_t **out,
                           struct cqe_err *err)
{
    int rc = 0;
    json_t *rec = NULL;
    *out = NULL;
    if (reason <= CQE_R_NONE || reason >= CQE_R__COUNT) {
        rc = cqe_err_set(err, CQE_EINVAL, "dead letter: reason %d is not a dead-letter reason", reason);
        goto out;
    }
    if (!raw && n > 0) {
        rc = cqe_err_set(err, CQE_EINVAL, "dead letter: raw is NULL with %zu bytes", n);
        goto out;
    }
    if (!o) {
        rc = cqe_err_set(err, CQE_EINVAL, "dead letter: no origin (file/line or partition/offset)");
        goto out;
    }
    char when[40];
    cqe_time_format(received_at_ms, utc_offset_min, when, sizeof when);
    const char *raw_key = "raw";
    rec = json_object();
    /* json_object_set_new steals the value, also when it fails or the value is NULL */
    if (!rec || json_object_set_new(rec, "kind", json_string("dead_letter")) != 0 ||
        json_object_set_new(rec, "v", json_integer(1)) != 0 ||
        json_object_set_new(rec, "reason", json_string(cqe_reason_name((enum cqe_reason)reason))) != 0 ||
        json_object_set_new(rec, "detail", text_value(detail)) != 0 ||
        json_object_set_new(rec, "origin", origin_value(o)) != 0 ||
        json_object_set_new(rec, "received_at", json_string(when)) != 0) {
        rc = cqe_err_set(err, CQE_ENOMEM, "dead letter: out of memory building the record");
        goto out;
    }
    size_t kept = n;
    json_t *rv = raw_value(raw, n, raw_max, &raw_key, &kept);
    if (json_object_set_new(rec, raw_key, rv) != 0 ||
        (kept < n && (json_object_set_new(rec, "raw_truncated", json_true()) != 0 ||
                      json_object_set_new(rec, "raw_bytes", json_integer((json_int_t)n)) != 0 ||
                      json_object_set_new(rec, "raw_sha256", sha256_value(raw, n)) != 0))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "dead letter: out of memory building the record");
        goto out;
    }
    *out = rec;
    rec = NULL;
out:
    json_decref(rec);
    return rc;
}

int cqe_dead_letters_open(const char *path, int utc_offset_min, struct cqe_dead_letters **out,
                          struct cqe_err *err)
{
    int rc = 0;
    struct cqe_dead_letters *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d) {
        rc = cqe_err_set(err, CQE_ENOMEM, "dead letters: out of memory");
        goto out;
    }
    d->utc_offset_min = utc_offset_min;
    if (path) {
        rc = cqe_file_writer_open(path, &d->w, err);
        if (rc < 0)
            goto out;
    }
    *out = d;
    d = NULL;
out:
    free(d);
    return rc;
}

/* Serialises rec plus "\n" into d->line, growing it; returns the length or 0. */
static size_t serialise(struct cqe_dead_letters *d, const json_t *rec)
{
    for (;;) {
        size_t k = d->line_cap ? cqe_json_dumpb(rec, d->line, d->line_cap - 1, JSON_COMPACT)
                               : cqe_json_dumpb(rec, NULL, 0, JSON_COMPACT);
        if (k == 0)
            return 0;
        if (k < d->line_cap) {
            d->line[k] = '\n';
            return k + 1;
        }
        char *p = realloc(d->line, k + 1);
        if (!p)
            return 0;
        d->line = p;
        d->line_cap = k + 1;
    }
}

int cqe_dead_letters_write(struct cqe_dead_letters *d, const struct cqe_origin *o, int reason,
                           const char *detail, const void *raw, size_t n, int64_t received_at_ms,
                           struct cqe_err *err)
{
    int rc = 0;
    json_t *rec = NULL;
    if (reason <= CQE_R_NONE || reason >= CQE_R__COUNT) {
        rc = cqe_err_set(err, CQE_EINVAL, "dead letter: reason %d is not a dead-letter reason", reason);
        goto out;
    }
    if (d->w) {
        rc = cqe_dead_letter_record(o, reason, detail, raw, n, 0, received_at_ms, d->utc_offset_min, &rec,
                                    err);
        if (rc < 0)
            goto out;
        size_t k = serialise(d, rec);
        if (k == 0) {
            rc = cqe_err_set(err, CQE_ENOMEM, "dead letter: out of memory serialising");
            goto out;
        }
        rc = cqe_file_writer_write(d->w, d->line, k, err);
        if (rc < 0)
            goto out;
    }
    d->counts[reason]++;
    d->total++;
out:
    json_decref(rec);
    return rc;
}

int cqe_dead_letters_flush(struct cqe_dead_letters *d, struct cqe_err *err)
{
    return d->w ? cqe_file_writer_flush(d->w, err) : 0;
}

int64_t cqe_dead_letters_count(const struct cqe_dead_letters *d, int reason)
{
    if (reason < 0 || reason >= CQE_R__COUNT)
        return 0;
    return d->counts[reason];
}

int64_t cqe_dead_letters_total(const struct cqe_dead_letters *d)
{
    return d->total;
}

int cqe_dead_letters_close(struct cqe_dead_letters *d, struct cqe_err *err)
{
    if (!d)
        return 0;
    int rc = cqe_file_writer_close(d->w, err);
    free(d->line);
    free(d);
    return rc;
}
