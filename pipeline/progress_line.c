/* The progress line on a terminal (see progress_line.h): the rate is events over the
 * time since the start, the time left the elapsed time scaled by what is left. */
#include "progress_line.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"

#define REDRAW_MS 200     /* at most five redraws a second */
#define CHECK_EVERY 256   /* events between two looks at the clock */
#define FIRST_DRAW_MS 200 /* a command done sooner draws nothing */

void cqe_progress_line_start(struct cqe_progress_line *p, const char *what, bool quiet, uint64_t total)
{
    memset(p, 0, sizeof *p);
    p->on = !quiet && isatty(STDERR_FILENO);
    p->what = what;
    p->t0_ms = cqe_mono_ms();
    p->next_ms = p->t0_ms + FIRST_DRAW_MS;
    p->total = total;
}

uint64_t cqe_progress_line_bytes(char *const *files, int n)
{
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        int rc = strcmp(files[i], "-") ? stat(files[i], &st) : fstat(STDIN_FILENO, &st);
        if (rc || !S_ISREG(st.st_mode))
            return 0;
        sum += (uint64_t)st.st_size;
    }
    return sum;
}

/* Writes seconds as m:ss or h:mm:ss. */
static void clock_text(double secs, char *buf, size_t cap)
{
    long s = secs < 0 ? 0 : secs > 359999 ? 359999 : (long)(secs + 0.5);
    if (s >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", s / 60, s % 60);
}

void cqe_progress_line_poll(struct cqe_progress_line *p, int64_t events, uint64_t done)
{
    p->next_check = events + CHECK_EVERY;
    int64_t now = cqe_mono_ms();
    if (now < p->next_ms)
        return;
    p->next_ms = now + REDRAW_MS;
    double secs = (double)(now - p->t0_ms) / 1000.0;
    char line[160], left[32];
    int k = snprintf(line, sizeof line, "%s: %lld events, %.0f ev/s", p->what, (long long)events,
                     secs > 0 ? (double)events / secs : 0.0);
    if (p->total && k > 0 && (size_t)k < sizeof line) {
        if (done > p->total)
            done = p->total;
        if (done)
            clock_text(secs * (double)(p->total - done) / (double)done, left, sizeof left);
        else
            snprintf(left, sizeof left, "-:--");
        k += snprintf(line + k, sizeof line - (size_t)k, ", %.0f%% done, %s left",
                      100.0 * (double)done / (double)p->total, left);
    }
    if (k < 0)
        return;
    if ((size_t)k >= sizeof line)
        k = (int)sizeof line - 1;
    int pad = p->shown > k ? p->shown - k : 0; /* covers the rest of a longer previous line */
    fprintf(stderr, "\r%s%*s", line, pad, "");
    fflush(stderr);
    p->shown = k;
}

void cqe_progress_line_clear(struct cqe_progress_line *p)
{
    if (!p || !p->shown)
        return;
    fprintf(stderr, "\r%*s\r", p->shown, "");
    fflush(stderr);
    p->shown = 0;
}
