/* The decoded event's small helpers: releasing what it owns, and the wire names of
 * reason codes and event types. */
#include "event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[] = {
#define CQE_REASON_NAME(name, text) text,
    CQE_REASON_LIST(CQE_REASON_NAME)
#undef CQE_REASON_NAME
};

static const char *const type_names[CQE_T__COUNT] = {
#define CQE_TYPE_NAME(e, wire, key) [e] = wire,
    CQE_TYPE_LIST(CQE_TYPE_NAME)
#undef CQE_TYPE_NAME
};

static const char *const key_members[CQE_T__COUNT] = {
#define CQE_TYPE_KEY(e, wire, key) [e] = key,
    CQE_TYPE_LIST(CQE_TYPE_KEY)
#undef CQE_TYPE_KEY
};

const char *cqe_reason_name(enum cqe_reason r)
{
    if ((unsigned)r >= (unsigned)CQE_R__COUNT)
        return "unknown";
    return reason_names[r];
}

const char *cqe_type_name(enum cqe_type t)
{
    if ((unsigned)t >= (unsigned)CQE_T__COUNT)
        return "unknown";
    return type_names[t];
}

const char *cqe_type_names_joined(char *buf, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return buf;
    buf[0] = '\0';
    for (int t = 0; t < CQE_T__COUNT; t++) {
        int k = snprintf(buf + o, cap - o, "%s%s", t ? ", " : "", type_names[t]);
        if (k < 0 || (size_t)k >= cap - o)
            break;
        o += (size_t)k;
    }
    return buf;
}

const char *cqe_type_key_member(enum cqe_type t)
{
    if ((unsigned)t >= (unsigned)CQE_T__COUNT)
        return "unknown";
    return key_members[t];
}

void cqe_event_clear(struct cqe_event *ev)
{
    if (!ev)
        return;
    json_decref((json_t *)ev->root);
    free(ev->answers);
    memset(ev, 0, sizeof *ev);
}
