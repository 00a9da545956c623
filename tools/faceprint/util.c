#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"

int tool_fail(const char *what, fp_status st, const fp_error *err)
{
    if (err && err->status != FP_OK && err->message[0])
        fprintf(stderr, "faceprint: %s: %s (%s)\n", what, err->message, fp_status_name(st));
    else
        fprintf(stderr, "faceprint: %s: %s (%s)\n", what, fp_strerror(st), fp_status_name(st));
    return 1;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Looks for rel next to the executable's source tree, then the cwd. */
static const char *locate(const char *env, const char *rel, char *buf, size_t cap)
{
    const char *e = getenv(env);
    if (e && *e)
        return e;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        /* build/faceprint -> repo root is one or two levels up */
        for (int up = 1; up <= 3; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash)
                break;
            *slash = 0;
            snprintf(buf, cap, "%s/%s", exe, rel);
            if (is_dir(buf))
                return buf;
        }
    }
    snprintf(buf, cap, "%s", rel);
    return buf;
}

const char *tool_models_dir(void)
{
    static char buf[PATH_MAX + 64];
    return locate("FP_MODELS_DIR", "models/node_modules", buf, sizeof buf);
}

const char *tool_shared_dir(void)
{
    static char buf[PATH_MAX + 64];
    return locate("FP_SHARED_DIR", "../shared", buf, sizeof buf);
}

void tool_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

int tool_parse_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return 0;
    *out = v;
    return 1;
}
