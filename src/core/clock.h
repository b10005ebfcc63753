/*
 * clock.h — the one clock of the extension: seconds of CLOCK_MONOTONIC.
 *
 * Budgets, deadlines and time caps (the search, the winner's fits, the
 * importance at training, federated fits) are all measured by it, in every
 * process: the monotonic clock is the same in a backend and in its parallel
 * workers, so a deadline can be handed from one to the other.  Times stored
 * in tables are PostgreSQL's timestamps, not this.
 */
#ifndef AML_CORE_CLOCK_H
#define AML_CORE_CLOCK_H

double		aml_clock(void);

#endif
