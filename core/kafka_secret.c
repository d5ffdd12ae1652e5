/* Secrets in librdkafka properties: which properties, and the reference forms (see
 * kafka_secret.h). */
#include "kafka_secret.h"

#include <string.h>

/* Credentials, from librdkafka's CONFIGURATION.md: by suffix, so aliases and later
 * properties of the same kind are covered. Paths to key files (ssl.key.location) and
 * public certificates are not secrets. */
static const char *const credential_suffixes[] = {".password", ".secret", ".passphrase", "key.pem"};
static const char *const credential_names[] = {"sasl.oauthbearer.config", "sasl.jaas.config"};

/* What librdkafka 2.0.2 marks sensitive and never quotes; not ssl.key.location, although
 * marked, because OpenSSL's error log quotes the path. Keep in step with the list below. */
static const char *const redacted[] = {"sasl.username",
                                       "sasl.password",
                                       "sasl.oauthbearer.config",
                                       "sasl.oauthbearer.client.secret",
                                       "ssl.key.password",
                                       "ssl.keystore.password",
                                       "ssl.key.pem",
                                       "ssl.ca.pem"};
const char cqe_kafka_redacted_list[] = "sasl.username, sasl.password, sasl.oauthbearer.config, "
                                       "sasl.oauthbearer.client.secret, ssl.key.password, "
                                       "ssl.keystore.password, ssl.key.pem, ssl.ca.pem";

#define COUNT(a) (sizeof(a) / sizeof *(a))

bool cqe_kafka_prop_credential(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < COUNT(credential_suffixes); i++) {
        size_t m = strlen(credential_suffixes[i]);
        if (n >= m && !strcmp(name + n - m, credential_suffixes[i]))
            return true;
    }
    for (size_t i = 0; i < COUNT(credential_names); i++)
        if (!strcmp(name, credential_names[i]))
            return true;
    return false;
}

bool cqe_kafka_prop_redacted(const char *name)
{
    for (size_t i = 0; i < COUNT(redacted); i++)
        if (!strcmp(name, redacted[i]))
            return true;
    return false;
}

static bool var_name(const char *s, size_t n)
{
    if (!n || (*s >= '0' && *s <= '9'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

/* Copies the n bytes of s into ref; -1 when they do not fit or hold a NUL. */
static int take(const char *s, size_t n, char *ref, size_t cap)
{
    if (n >= cap || memchr(s, 0, n))
        return -1;
    memcpy(ref, s, n);
    ref[n] = '\0';
    return 0;
}

int cqe_kafka_secret_ref(const json_t *v, char *ref, size_t cap, const char **path, const char **var)
{
    *path = *var = NULL;
    if (json_is_object(v)) {
        const json_t *e = json_object_get(v, "env"), *f = json_object_get(v, "file");
        const json_t *s = e ? e : f;
        if (json_object_size(v) != 1 || !json_is_string(s) ||
            take(json_string_value(s), json_string_length(s), ref, cap))
            return -1;
        if (e ? !var_name(ref, json_string_length(s)) : !*ref)
            return -1;
        *(e ? var : path) = ref;
        return 1;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (!s || n < 3 || s[0] != '$' || s[1] != '{' || s[n - 1] != '}')
        return 0;
    if (take(s + 2, n - 3, ref, cap))
        return -1;
    if (!strncmp(ref, "env:", 4) && var_name(ref + 4, n - 7)) {
        *var = ref + 4;
        return 1;
    }
    if (!strncmp(ref, "file:", 5) && ref[5]) {
        *path = ref + 5;
        return 1;
    }
    return -1;
}
