/* The rules for secrets in the configuration's librdkafka properties, in one place: which
 * properties hold credentials (a literal value is refused), which ones a secret reference
 * may fill (librdkafka never prints their values), and the reference forms
 * "${env:NAME}", "${file:/path}", {"env": NAME}, {"file": PATH}. docs/config.md lists them. */
#ifndef CQE_KAFKA_SECRET_H
#define CQE_KAFKA_SECRET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* True when property `name` holds a credential: its value must be a reference. */
bool cqe_kafka_prop_credential(const char *name);

/* True when librdkafka never shows the value of `name` (redacted in its configuration
 * dump, quoted by none of its warnings): the only properties a reference may fill. */
bool cqe_kafka_prop_redacted(const char *name);

/* The properties of cqe_kafka_prop_redacted, comma-separated, for messages. */
extern const char cqe_kafka_redacted_list[];

/* Reads v as a secret reference. Returns 1 for a well-formed reference, with the file
 * (*path) or variable (*var) it names copied into ref (cap bytes; the other pointer
 * NULL); 0 for a plain value (not an object, not a "${...}" string); -1 for a malformed
 * reference (unknown scheme, bad variable name, empty path, object of another shape, too
 * long). Borrowed arguments; thread-safe. */
int cqe_kafka_secret_ref(const json_t *v, char *ref, size_t cap, const char **path, const char **var);

/* The forms a reference takes, for messages. */
#define CQE_KAFKA_REF_FORMS                                                                                  \
    "\"${env:NAME}\" or \"${file:/path}\" (or {\"env\": NAME} / {\"file\": PATH}; NAME letters, digits and " \
    "_, "                                                                                                    \
    "not starting with a digit)"

#endif
