#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

fp_status fp_read_file(const char *path, size_t max_bytes, char **data, size_t *len, fp_error *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fp_error_set(err, FP_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return fp_error_set(err, FP_ERR_IO, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        fclose(f);
        return fp_error_set(err, FP_ERR_LIMIT, "%s: %lld bytes exceeds the %zu byte limit", path,
                            (long long)st.st_size, max_bytes);
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    if (!buf) {
        fclose(f);
        return fp_error_set(err, FP_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, size, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error || got != size) {
        free(buf);
        return fp_error_set(err, FP_ERR_IO, "%s: read failed", path);
    }
    buf[size] = 0;
    *data = buf;
    *len = size;
    return FP_OK;
}

void fp_path_dirname(const char *path, char *dst, size_t dst_size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dst, dst_size, ".");
        return;
    }
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1; /* "/file" -> "/" */
    if (n >= dst_size)
        n = dst_size - 1;
    memcpy(dst, path, n);
    dst[n] = 0;
}

const char *fp_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
