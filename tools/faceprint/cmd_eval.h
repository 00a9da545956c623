/* `faceprint eval`: accuracy of the face pipeline (docs/ACCURACY.md). */
#ifndef FP_TOOL_CMD_EVAL_H
#define FP_TOOL_CMD_EVAL_H

/* faceprint eval all-pairs --dir DIR [--json] [--threads N] [--cache FILE] [--det-svg FILE]
 * faceprint eval verify --dir DIR --pairs PAIRS.txt [--json] [--threads N] [--cache FILE]
 * Exit 0 ok, 1 failed, 2 usage. */
int cmd_eval(int argc, char **argv);

#endif
