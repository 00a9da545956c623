/* `faceprint detect` and `faceprint compare`: the face pipeline from the
 * command line. Both return a process exit code (0 ok, 1 failed, 2 usage). */
#ifndef FP_TOOL_CMD_FACE_H
#define FP_TOOL_CMD_FACE_H

/* faceprint detect [--json] [--threads N] [--min-score S] IMAGE...
 * Prints every face (box, score, 6 key points, image pixels) per image. */
int cmd_detect(int argc, char **argv);

/* faceprint compare [--json] [--threshold T] [--threads N] A B
 * Detects the main face (largest) in each image, prints the descriptor
 * distance and "same person" / "different people". */
int cmd_compare(int argc, char **argv);

#endif
