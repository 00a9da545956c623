/* `faceprint embed`: face descriptors of images as JSON lines. */
#ifndef FP_TOOL_CMD_EMBED_H
#define FP_TOOL_CMD_EMBED_H

/* faceprint embed [--json] [--threads N] [--min-score S] IMAGE... (or "-":
 * paths from stdin, one a line). One line per image:
 *   {"path":..., "faces":[{"box":[x,y,w,h],"score":s,"quality":{},
 *    "descriptor":[128 floats]}...], "error":null | "message"}
 * main face first (fp_face_main), the others strongest first. Without
 * --json a one-line summary per image (no descriptor). Exit 0 when every
 * image was processed (no face is not an error), 1 when any failed, 2 usage. */
int cmd_embed(int argc, char **argv);

#endif
