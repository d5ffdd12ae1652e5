/* Text helpers of the loader fuzz targets: the fuzzer's bytes as a C string, and the
 * check that a refusal's message is valid UTF-8 even when a key, an id or the message
 * itself was cut to fit a buffer. */
#ifndef CQE_FUZZ_TEXT_H
#define CQE_FUZZ_TEXT_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd NUL-terminated copy of data (owned by the caller), NULL when out of memory. */
static inline char *fuzz_cstring(const unsigned char *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (buf) {
        memcpy(buf, data, size);
        buf[size] = '\0';
    }
    return buf;
}

static inline int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
        if (!n)
            return 0;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        p += n;
    }
    return 1;
}

#endif
