/* The name every message on stderr starts with (`<name>: <message>`, docs/cli.md): the
 * command running, so code shared by several commands (the Redis connection, the Kafka
 * source) says which one speaks. */
#ifndef CQE_LOG_H
#define CQE_LOG_H

/* Sets the name (borrowed: it must outlive the process's messages, e.g. a string
 * literal or argv). Call once, before any thread starts. */
void cqe_log_set_name(const char *name);

/* The name set, or "cloudqe" before any. Thread-safe once set. */
const char *cqe_log_name(void);

#endif
