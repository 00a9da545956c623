/* Whole-file reads with a size cap, so a hostile or corrupt file can never
 * make us allocate unbounded memory. */
#ifndef FP_CORE_FILE_H
#define FP_CORE_FILE_H

#include <stddef.h>
#include "faceprint/status.h"

/* Reads path into a malloc'd buffer (NUL-terminated for convenience; *len
 * excludes the NUL). Fails with FP_ERR_LIMIT above max_bytes. */
fp_status fp_read_file(const char *path, size_t max_bytes, char **data, size_t *len, fp_error *err);

/* Directory part of path ("." when none) into dst. */
void fp_path_dirname(const char *path, char *dst, size_t dst_size);
/* Last component of path. */
const char *fp_path_basename(const char *path);

#endif
