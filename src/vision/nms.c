/* Box overlap and greedy non-maximum suppression for the detector. */
#include "vision/vision.h"

float vis_iou(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2, float by2)
{
    float area_a = (ax2 - ax1) * (ay2 - ay1), area_b = (bx2 - bx1) * (by2 - by1);
    if (!(area_a > 0.f) || !(area_b > 0.f))
        return 0.f;
    float iw = (ax2 < bx2 ? ax2 : bx2) - (ax1 > bx1 ? ax1 : bx1);
    float ih = (ay2 < by2 ? ay2 : by2) - (ay1 > by1 ? ay1 : by1);
    if (iw <= 0.f || ih <= 0.f)
        return 0.f;
    float inter = iw * ih;
    return inter / (area_a + area_b - inter);
}

/* Stable insertion sort by descending score: equal scores keep anchor order
 * as in TF.js's NMS. n is small (boxes above the score threshold, usually
 * a few dozen, at most 896). */
static void sort_by_score(bf_box *boxes, int n)
{
    for (int i = 1; i < n; i++) {
        bf_box b = boxes[i];
        int j = i;
        while (j > 0 && boxes[j - 1].score < b.score) {
            boxes[j] = boxes[j - 1];
            j--;
        }
        boxes[j] = b;
    }
}

int bf_nms(bf_box *boxes, int n, float iou)
{
    if (n <= 0)
        return 0;
    sort_by_score(boxes, n);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        int keep = 1;
        for (int j = 0; j < kept && keep; j++)
            if (vis_iou(boxes[i].x1, boxes[i].y1, boxes[i].x2, boxes[i].y2, boxes[j].x1, boxes[j].y1,
                        boxes[j].x2, boxes[j].y2) > iou)
                keep = 0;
        if (keep)
            boxes[kept++] = boxes[i];
    }
    return kept;
}
