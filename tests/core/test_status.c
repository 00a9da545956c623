/* fp_status: every code has a distinct stable name and text, unknown values
 * are handled, fp_error_set formats and truncates, and docs/ERRORS.md agrees
 * with include/faceprint/status.h and with the library's tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "faceprint/status.h"

#ifndef FP_MODELS_DIR
#error "FP_MODELS_DIR must be defined by the build (<repo>/models/node_modules)"
#endif

/* Every code, as compiled. A code added to status.h but not here fails
 * test_header_matches_list below. */
static const struct {
    fp_status code;
    const char *name;
    int value;
} codes[] = {
    {FP_OK, "FP_OK", 0},
    {FP_ERR_INVALID_ARG, "FP_ERR_INVALID_ARG", -1},
    {FP_ERR_NOMEM, "FP_ERR_NOMEM", -2},
    {FP_ERR_IO, "FP_ERR_IO", -3},
    {FP_ERR_FORMAT, "FP_ERR_FORMAT", -4},
    {FP_ERR_TRUNCATED, "FP_ERR_TRUNCATED", -5},
    {FP_ERR_UNSUPPORTED, "FP_ERR_UNSUPPORTED", -6},
    {FP_ERR_SHAPE, "FP_ERR_SHAPE", -7},
    {FP_ERR_INTEGRITY, "FP_ERR_INTEGRITY", -8},
    {FP_ERR_NOT_FOUND, "FP_ERR_NOT_FOUND", -9},
    {FP_ERR_LIMIT, "FP_ERR_LIMIT", -10},
    {FP_ERR_STATE, "FP_ERR_STATE", -11},
    {FP_ERR_THREAD, "FP_ERR_THREAD", -12},
    {FP_ERR_INTERNAL, "FP_ERR_INTERNAL", -13},
};
#define N_CODES (sizeof codes / sizeof codes[0])

/* ---- repository files ---------------------------------------------------------- */

/* <repo> from FP_MODELS_DIR = <repo>/models/node_modules */
static const char *repo_path(const char *rel)
{
    static char buf[4096];
    char root[4096];
    snprintf(root, sizeof root, "%s", FP_MODELS_DIR);
    const char *suffix = "/models/node_modules";
    size_t n = strlen(root), ls = strlen(suffix);
    while (n > 1 && root[n - 1] == '/')
        root[--n] = 0;
    assert_true(n > ls);
    assert_string_equal(root + n - ls, suffix);
    root[n - ls] = 0;
    snprintf(buf, sizeof buf, "%s/%s", root, rel);
    return buf;
}

static char *read_repo_file(const char *rel)
{
    char *text = NULL;
    size_t len = 0;
    fp_error err = {FP_OK, {0}};
    fp_status st = fp_read_file(repo_path(rel), (size_t)1 << 20, &text, &len, &err);
    if (st != FP_OK)
        print_error("cannot read %s: %s\n", repo_path(rel), err.message);
    assert_int_equal(st, FP_OK);
    return text;
}

/* ---- names and texts ---------------------------------------------------------- */

static void test_values_are_stable(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CODES; i++) {
        assert_int_equal((int)codes[i].code, codes[i].value);
        if (i > 0)
            assert_true(codes[i].value < 0);
    }
}

static void test_names_and_texts(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CODES; i++) {
        const char *name = fp_status_name(codes[i].code);
        const char *text = fp_strerror(codes[i].code);
        assert_non_null(name);
        assert_non_null(text);
        assert_string_equal(name, codes[i].name);
        assert_true(strlen(text) > 0);
        assert_string_not_equal(text, "unknown status");
        assert_string_not_equal(name, "FP_ERR_UNKNOWN");
        /* stable pointers to static strings */
        assert_ptr_equal(name, fp_status_name(codes[i].code));
        assert_ptr_equal(text, fp_strerror(codes[i].code));
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(name, fp_status_name(codes[j].code));
            assert_string_not_equal(text, fp_strerror(codes[j].code));
        }
    }
    assert_string_equal(fp_strerror(FP_OK), "success");
}

static void test_unknown_codes(void **state)
{
    (void)state;
    static const int unknown[] = {1, 2, 13, -14, -15, -100, 100, INT_MAX, INT_MIN, INT_MIN + 1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        fp_status st = (fp_status)unknown[i];
        assert_string_equal(fp_strerror(st), "unknown status");
        assert_string_equal(fp_status_name(st), "FP_ERR_UNKNOWN");
    }
    /* exactly the listed codes are known in the whole small range */
    for (int v = -1000; v <= 1000; v++) {
        int listed = 0;
        for (size_t i = 0; i < N_CODES; i++)
            listed |= codes[i].value == v;
        int known = strcmp(fp_status_name((fp_status)v), "FP_ERR_UNKNOWN") != 0;
        if (listed != known)
            print_error("value %d: listed %d, known to the library %d\n", v, listed, known);
        assert_int_equal(listed, known);
    }
}

static void test_error_set(void **state)
{
    (void)state;
    fp_error err;
    memset(&err, 0x5A, sizeof err);
    assert_int_equal(fp_error_set(&err, FP_ERR_SHAPE, "node '%s': %d != %d", "conv", 3, 4), FP_ERR_SHAPE);
    assert_int_equal(err.status, FP_ERR_SHAPE);
    assert_string_equal(err.message, "node 'conv': 3 != 4");
    /* NULL err: still returns the status */
    assert_int_equal(fp_error_set(NULL, FP_ERR_IO, "x %s", "y"), FP_ERR_IO);
    /* a later error replaces the earlier one */
    assert_int_equal(fp_error_set(&err, FP_ERR_IO, "second"), FP_ERR_IO);
    assert_int_equal(err.status, FP_ERR_IO);
    assert_string_equal(err.message, "second");
    /* long messages are truncated to 255 bytes and stay terminated */
    char longname[1000];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(fp_error_set(&err, FP_ERR_FORMAT, "weight '%s'", longname), FP_ERR_FORMAT);
    assert_int_equal(strlen(err.message), sizeof err.message - 1);
    assert_memory_equal(err.message, "weight 'nnn", 11);
    /* a percent sign in an argument is not reinterpreted */
    fp_error_set(&err, FP_ERR_NOT_FOUND, "%s", "100%s %n");
    assert_string_equal(err.message, "100%s %n");
    fp_error_set(&err, FP_OK, "%s", "");
    assert_int_equal(err.status, FP_OK);
    assert_string_equal(err.message, "");
}

/* ---- status.h and the compiled list agree --------------------------------------- */

typedef struct {
    char name[64];
    int value;
} named_value;

/* Enumerators "FP_xxx = <int>" inside the fp_status enum of status.h. */
static int parse_header(named_value *out, int cap)
{
    char *text = read_repo_file("include/faceprint/status.h");
    const char *p = strstr(text, "typedef enum fp_status");
    assert_non_null(p);
    const char *open = strchr(p, '{'), *close = strchr(p, '}');
    assert_true(open && close && open < close);
    int n = 0;
    for (const char *s = open; s < close; s++) {
        if (strncmp(s, "FP_", 3) != 0 || (s > open && (s[-1] == '_' || (s[-1] >= 'A' && s[-1] <= 'Z'))))
            continue;
        size_t len = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
        const char *q = s + len;
        while (*q == ' ' || *q == '\t')
            q++;
        assert_true(*q == '='); /* every code is given an explicit value */
        q++;
        char *end;
        long v = strtol(q, &end, 10);
        assert_true(end != q);
        assert_true(n < cap);
        assert_true(len < sizeof out[n].name);
        memcpy(out[n].name, s, len);
        out[n].name[len] = 0;
        out[n].value = (int)v;
        n++;
        s = end;
        /* skip the trailing comment, which may mention other FP_ names */
        const char *nl = strchr(s, '\n');
        if (nl && nl < close)
            s = nl;
    }
    free(text);
    return n;
}

static void test_header_matches_list(void **state)
{
    (void)state;
    named_value hv[64];
    int n = parse_header(hv, 64);
    assert_int_equal(n, (int)N_CODES);
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (size_t k = 0; k < N_CODES; k++) {
            if (strcmp(hv[i].name, codes[k].name) == 0) {
                found = 1;
                assert_int_equal(hv[i].value, codes[k].value);
            }
        }
        if (!found)
            print_error("status.h has %s = %d: add it to this test, status.c and docs/ERRORS.md\n", hv[i].name,
                        hv[i].value);
        assert_true(found);
        /* and the library knows it by the same name */
        assert_string_equal(fp_status_name((fp_status)hv[i].value), hv[i].name);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(hv[i].name, hv[j].name);
            assert_int_not_equal(hv[i].value, hv[j].value);
        }
    }
}

/* ---- docs/ERRORS.md ------------------------------------------------------------- */

typedef struct {
    int value;
    char name[64];
    char text[128];
    char http[16];
    int n_cells;
    char cells[8][512];
} doc_row;

static void trim_cell(char *s)
{
    size_t n = strlen(s);
    size_t a = 0;
    while (a < n && (s[a] == ' ' || s[a] == '`'))
        a++;
    while (n > a && (s[n - 1] == ' ' || s[n - 1] == '`'))
        n--;
    memmove(s, s + a, n - a);
    s[n - a] = 0;
}

/* Table rows "| value | `NAME` | text | ... | http |" whose name is an FP_ code. */
static int parse_doc(doc_row *rows, int cap)
{
    char *text = read_repo_file("docs/ERRORS.md");
    int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != '|')
            continue;
        doc_row r;
        memset(&r, 0, sizeof r);
        const char *p = line + 1;
        while (*p && r.n_cells < 8) {
            const char *bar = strchr(p, '|');
            if (!bar)
                break;
            size_t len = (size_t)(bar - p);
            if (len >= sizeof r.cells[0])
                len = sizeof r.cells[0] - 1;
            memcpy(r.cells[r.n_cells], p, len);
            r.cells[r.n_cells][len] = 0;
            trim_cell(r.cells[r.n_cells]);
            r.n_cells++;
            p = bar + 1;
        }
        if (r.n_cells < 2 || strncmp(r.cells[1], "FP_", 3) != 0)
            continue;
        /* a table row naming a status must be a full row of the code table */
        if (r.n_cells != 7)
            print_error("docs/ERRORS.md: row for %s has %d cells, expected 7\n", r.cells[1], r.n_cells);
        assert_int_equal(r.n_cells, 7);
        char *end;
        long v = strtol(r.cells[0], &end, 10);
        if (end == r.cells[0] || *end)
            print_error("docs/ERRORS.md: row for %s: value '%s' is not a number\n", r.cells[1], r.cells[0]);
        assert_true(end != r.cells[0] && *end == 0);
        r.value = (int)v;
        snprintf(r.name, sizeof r.name, "%s", r.cells[1]);
        snprintf(r.text, sizeof r.text, "%s", r.cells[2]);
        snprintf(r.http, sizeof r.http, "%s", r.cells[6]);
        assert_true(n < cap);
        rows[n++] = r;
    }
    free(text);
    return n;
}

static void test_errors_md_matches_code(void **state)
{
    (void)state;
    named_value hv[64];
    int nh = parse_header(hv, 64);
    static doc_row rows[64];
    int nd = parse_doc(rows, 64);

    /* every code of status.h is documented with the same value, name and text */
    for (int i = 0; i < nh; i++) {
        int found = 0;
        for (int k = 0; k < nd; k++) {
            if (strcmp(rows[k].name, hv[i].name) != 0)
                continue;
            found++;
            if (rows[k].value != hv[i].value)
                print_error("docs/ERRORS.md: %s is %d, status.h says %d\n", hv[i].name, rows[k].value,
                            hv[i].value);
            assert_int_equal(rows[k].value, hv[i].value);
            const char *lib = fp_strerror((fp_status)hv[i].value);
            if (strcmp(rows[k].text, lib) != 0)
                print_error("docs/ERRORS.md: %s text '%s', fp_strerror says '%s'\n", hv[i].name, rows[k].text,
                            lib);
            assert_string_equal(rows[k].text, lib);
            /* meaning, causes and advice are filled in */
            for (int c = 3; c <= 5; c++)
                assert_true(strlen(rows[k].cells[c]) > 0);
            /* an HTTP status */
            char *end;
            long http = strtol(rows[k].http, &end, 10);
            if (*end || http < 100 || http > 599)
                print_error("docs/ERRORS.md: %s: HTTP '%s'\n", hv[i].name, rows[k].http);
            assert_true(*end == 0 && http >= 100 && http <= 599);
            if (hv[i].value == 0)
                assert_int_equal(http, 200);
            else
                assert_true(http >= 400);
        }
        if (found != 1)
            print_error("docs/ERRORS.md: %s (%d) documented %d times\n", hv[i].name, hv[i].value, found);
        assert_int_equal(found, 1);
    }
    /* and nothing that is not in the header */
    for (int k = 0; k < nd; k++) {
        int found = 0;
        for (int i = 0; i < nh; i++)
            found |= strcmp(rows[k].name, hv[i].name) == 0;
        if (!found)
            print_error("docs/ERRORS.md documents %s, which status.h does not have\n", rows[k].name);
        assert_true(found);
    }
    assert_int_equal(nd, nh);
    /* rows in numeric order 0, -1, -2, ... */
    for (int k = 0; k < nd; k++)
        assert_int_equal(rows[k].value, -k);
}

/* The doc explains how messages are formed: the fp_error section exists. */
static void test_errors_md_explains_messages(void **state)
{
    (void)state;
    char *text = read_repo_file("docs/ERRORS.md");
    assert_non_null(strstr(text, "fp_error"));
    assert_non_null(strstr(text, "fp_error_set"));
    assert_non_null(strstr(text, "at byte"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_are_stable),
        cmocka_unit_test(test_names_and_texts),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_error_set),
        cmocka_unit_test(test_header_matches_list),
        cmocka_unit_test(test_errors_md_matches_code),
        cmocka_unit_test(test_errors_md_explains_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
