/* The progress line of the long commands (replay, report, gen, produce) on a terminal:
 * events, events per second, share done and time left, redrawn in place ("\r") at most
 * five times a second on stderr, erased at the end. Silent when stderr is not a
 * terminal or the command is --quiet. (The worker's periodic lines are progress.h.) */
#ifndef CQE_PROGRESS_LINE_H
#define CQE_PROGRESS_LINE_H

#include <stdbool.h>
#include <stdint.h>

struct cqe_progress_line {
    bool on;            /* drawing at all */
    const char *what;   /* the command's name, borrowed */
    int64_t t0_ms;      /* start (monotonic) */
    int64_t next_ms;    /* the earliest next redraw */
    int64_t next_check; /* the event count at which the clock is read next */
    uint64_t total;     /* units of the whole job (bytes, ms of event time); 0: unknown */
    uint64_t base;      /* units of the parts already finished (files read) */
    int shown;          /* columns drawn on the terminal now; 0: nothing */
};

/* Starts p for the command `what` (a static string): on only when !quiet and stderr is
 * a terminal. total: the units the `done` of cqe_progress_line_note counts up to (0:
 * unknown, then no share or time left is shown). Not thread-safe: one thread draws. */
void cqe_progress_line_start(struct cqe_progress_line *p, const char *what, bool quiet, uint64_t total);

/* The summed size in bytes of files (paths borrowed, "-" = stdin), or 0 when one of
 * them is not a regular file (a pipe: its size is unknown). */
uint64_t cqe_progress_line_bytes(char *const *files, int n);

/* Redraws the line when the time has come; called by cqe_progress_line_note. */
void cqe_progress_line_poll(struct cqe_progress_line *p, int64_t events, uint64_t done);

/* Notes that `events` events are handled and `done` units of total (p->base included)
 * are done. Cheap enough for every event: the clock is read once every 256 events. p
 * may be NULL. */
static inline void cqe_progress_line_note(struct cqe_progress_line *p, int64_t events, uint64_t done)
{
    if (p && p->on && events >= p->next_check)
        cqe_progress_line_poll(p, events, done);
}

/* Erases the line (before other output on stderr, and at the end); a later note draws
 * it again. p may be NULL. */
void cqe_progress_line_clear(struct cqe_progress_line *p);

#endif
