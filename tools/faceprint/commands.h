/* Subcommands of the faceprint CLI; each returns a process exit code. */
#ifndef FP_TOOL_COMMANDS_H
#define FP_TOOL_COMMANDS_H

#include <stdio.h>

#include "faceprint/status.h"

int cmd_nn(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Exit codes: 0 ok, 1 operation failed, 2 usage error. */
int tool_fail(const char *what, fp_status st, const fp_error *err);
/* Root of the installed npm model packages (env FP_MODELS_DIR, else
 * <exe dir>/../models/node_modules, else ./models/node_modules). */
const char *tool_models_dir(void);
const char *tool_shared_dir(void);
/* Writes s as a JSON string literal (quotes, escapes) to out. */
void tool_json_string(FILE *out, const char *s);
/* Parses a whole-string number within [lo, hi]; 1 on success. */
int tool_parse_number(const char *s, double lo, double hi, double *out);

#endif
