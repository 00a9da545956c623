/* `faceprint quality`: face image quality assessment from the command line
 * (SPEC section 3, Q-5 .. Q-16; schema in docs/CLI.md "faceprint quality"). */
#ifndef FP_TOOL_CMD_QUALITY_H
#define FP_TOOL_CMD_QUALITY_H

/* faceprint quality [--json] [--summary] [--threads N] [--min-score S]
 *                   [--set NAME=VALUE]... [--disable CHECK]... IMAGE...
 * Per image: the main face's quality report (every check's value, score,
 * pass/fail and reason) and the whole-frame environment check. Returns 0
 * when every image was processed (whatever the quality verdict), 1 when an
 * image could not be read or processed, 2 on a usage error. */
int cmd_quality(int argc, char **argv);

#endif
