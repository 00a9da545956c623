/* Best frame of a capture burst (SPEC Q-14: the client outputs the
 * best-quality face image; if quality fails, nothing is processed). */
#include "faceprint/quality.h"

int fp_quality_best(const fp_quality_report *reports, int n)
{
    int best = -1;
    for (int i = 0; reports && i < n; i++)
        if (reports[i].pass && (best < 0 || reports[i].score > reports[best].score))
            best = i;
    return best;
}
