/* A string → index map (open addressing) that owns copies of its keys; used to intern
 * services, providers, departments and entity ids while building the read view. */
#ifndef CQE_STRMAP_H
#define CQE_STRMAP_H

#include <stddef.h>

struct cqe_strmap {
    char **keys; /* by index, owned, NUL-terminated */
    size_t *lens;
    size_t n, kcap;
    size_t *slots; /* index + 1, 0 = empty */
    size_t cap;
    int oom;
};

/* Returns the index of s, inserting it when absent (*added = 1); SIZE_MAX on ENOMEM. */
size_t cqe_strmap_intern(struct cqe_strmap *m, const char *s, size_t n, int *added);
/* Returns the index of s or SIZE_MAX. */
size_t cqe_strmap_find(const struct cqe_strmap *m, const char *s, size_t n);
void cqe_strmap_free(struct cqe_strmap *m);

#endif
