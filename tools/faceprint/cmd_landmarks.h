/* `faceprint landmarks`: dense face mesh, head pose, eye and mouth openness
 * from the command line (face.h "Landmarks"; schema in docs/CLI.md). */
#ifndef FP_TOOL_CMD_LANDMARKS_H
#define FP_TOOL_CMD_LANDMARKS_H

/* faceprint landmarks [--json] [--threads N] [--min-score S] IMAGE...
 * Returns a process exit code: 0 ok, 1 an image failed, 2 usage error. */
int cmd_landmarks(int argc, char **argv);

#endif
