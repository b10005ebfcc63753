/*
 * split_scan.h — the shortcuts of the split scans of gradient boosting
 * (gradient_boosting_grow.c) and of the trees (tree_split.c).  They change
 * what a scan costs, never the split it chooses; the unit tests turn them
 * off and require the same models.
 */
#ifndef AML_SPLIT_SCAN_H
#define AML_SPLIT_SCAN_H

#include <stdbool.h>

/*
 * Candidates scored as a / wl + c / wr (wl, wr > 0: boosting's gain less
 * the node's loss, the trees' Gini and squared-error proxies) are first
 * compared with threshold (what they must reach, times
 * AML_SPLIT_FILTER_SLACK) without a division: a wr + c wl against
 * threshold wl wr.  The slack, relative 1e-9, is far above the few ulps the
 * two forms differ by, so every candidate the exact comparison would take
 * gets through to it; the two divisions a candidate were most of a scan.
 */
#define AML_SPLIT_FILTER_SLACK (1 - 1e-9)

extern bool aml_split_filter;	/* false: every candidate gets the exact comparison */

static inline bool
aml_split_may_beat(double a, double wl, double c, double wr, double threshold)
{
	return !aml_split_filter || a * wr + c * wl >= threshold * (wl * wr);
}

/*
 * Boosting: the smaller child's histogram is subtracted from its parent's at
 * the bins of its rows only when rows x this factor x features is at most
 * the histogram's bins (0: always over every bin).
 */
extern int	aml_gb_rows_subtract_factor;

#endif
