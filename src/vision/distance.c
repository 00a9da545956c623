/* Descriptor comparison (REC-11). */
#include "faceprint/face.h"

#include <math.h>

float fp_face_distance(const float *a, const float *b)
{
    if (!a || !b)
        return INFINITY;
    /* Accumulate in double: the result is compared against a threshold, so
     * it should not depend on summation order. */
    double sum = 0.0;
    for (int i = 0; i < FP_FACE_DESCRIPTOR_DIM; i++) {
        double d = (double)a[i] - (double)b[i];
        sum += d * d;
    }
    return (float)sqrt(sum);
}
