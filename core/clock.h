/* Clocks for the workers: a monotonic millisecond clock for timeouts and rates, and a
 * sleep that resumes after signals. Figures never read a clock: they take `as_of`. */
#ifndef CQE_CLOCK_H
#define CQE_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC (never goes back). Thread-safe. */
int64_t cqe_mono_ms(void);

/* Sleeps ms milliseconds, resuming after signal interruptions. Thread-safe. */
void cqe_sleep_ms(int64_t ms);

#endif
