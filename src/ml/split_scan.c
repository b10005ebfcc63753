/*
 * split_scan.c — the switches of the split scans' shortcuts (split_scan.h).
 */
#include "ml/split_scan.h"

bool		aml_split_filter = true;
int			aml_gb_rows_subtract_factor = 4;
