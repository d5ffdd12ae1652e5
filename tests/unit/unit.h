/* The tiny unit-test harness: CQE_TEST(name) defines a test, CHECK records a failure.
 * Each test prints "ok NAME" or "FAIL NAME"; main (unit_main.c) runs them all. */
#ifndef CQE_UNIT_H
#define CQE_UNIT_H

#include <stdio.h>

struct cqe_unit {
    const char *name;
    void (*fn)(int *failed);
    struct cqe_unit *next;
};

void cqe_unit_register(struct cqe_unit *u);

#define CQE_TEST(tname)                                                                                      \
    static void tname(int *cqe_failed_);                                                                     \
    static struct cqe_unit tname##_unit = {#tname, tname, NULL};                                             \
    __attribute__((constructor)) static void tname##_reg(void)                                               \
    {                                                                                                        \
        cqe_unit_register(&tname##_unit);                                                                    \
    }                                                                                                        \
    static void tname(int *cqe_failed_)

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                         \
            *cqe_failed_ = 1;                                                                                \
        }                                                                                                    \
    } while (0)

#endif
