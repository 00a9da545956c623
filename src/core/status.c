#include "faceprint/status.h"

typedef struct {
    fp_status code;
    const char *name;
    const char *text;
} status_row;

/* The single source of truth for docs/ERRORS.md (a test checks they agree). */
static const status_row status_table[] = {
    {FP_OK, "FP_OK", "success"},
    {FP_ERR_INVALID_ARG, "FP_ERR_INVALID_ARG", "invalid argument"},
    {FP_ERR_NOMEM, "FP_ERR_NOMEM", "out of memory"},
    {FP_ERR_IO, "FP_ERR_IO", "input/output error"},
    {FP_ERR_FORMAT, "FP_ERR_FORMAT", "malformed input"},
    {FP_ERR_TRUNCATED, "FP_ERR_TRUNCATED", "input is truncated"},
    {FP_ERR_UNSUPPORTED, "FP_ERR_UNSUPPORTED", "unsupported feature"},
    {FP_ERR_SHAPE, "FP_ERR_SHAPE", "tensor shape mismatch"},
    {FP_ERR_INTEGRITY, "FP_ERR_INTEGRITY", "integrity check failed"},
    {FP_ERR_NOT_FOUND, "FP_ERR_NOT_FOUND", "not found"},
    {FP_ERR_LIMIT, "FP_ERR_LIMIT", "limit exceeded"},
    {FP_ERR_STATE, "FP_ERR_STATE", "invalid state"},
    {FP_ERR_THREAD, "FP_ERR_THREAD", "thread error"},
    {FP_ERR_INTERNAL, "FP_ERR_INTERNAL", "internal error"},
};

static const status_row *find_row(fp_status status)
{
    for (unsigned i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
        if (status_table[i].code == status)
            return &status_table[i];
    return 0;
}

const char *fp_strerror(fp_status status)
{
    const status_row *row = find_row(status);
    return row ? row->text : "unknown status";
}

const char *fp_status_name(fp_status status)
{
    const status_row *row = find_row(status);
    return row ? row->name : "FP_ERR_UNKNOWN";
}

#include <stdarg.h>
#include <stdio.h>

fp_status fp_error_set(fp_error *err, fp_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = status;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}
