/* The strict JSON reader (src/core/json.c): valid documents round-trip into
 * the DOM, every kind of malformed input fails with the documented status
 * (truncated -> FP_ERR_TRUNCATED, bad syntax / encoding -> FP_ERR_FORMAT,
 * limits -> FP_ERR_LIMIT) and a message naming the byte offset, and the
 * lookup helpers behave on absent keys and wrong types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

/* ---- helpers ---------------------------------------------------------------- */

static fp_json_doc *parse_ok_n(const char *text, size_t len)
{
    fp_json_doc *doc = NULL;
    fp_error err = {FP_OK, {0}};
    fp_status st = fp_json_parse(text, len, NULL, &doc, &err);
    if (st != FP_OK)
        print_error("expected OK for [%.*s]: %s (%s)\n", (int)(len > 80 ? 80 : len), text,
                    fp_status_name(st), err.message);
    assert_int_equal(st, FP_OK);
    assert_non_null(doc);
    assert_non_null(fp_json_root(doc));
    return doc;
}

static fp_json_doc *parse_ok(const char *text)
{
    return parse_ok_n(text, strlen(text));
}

/* Parses text[0..len) expecting failure `want`; returns the message. */
static const char *parse_fail_n(const char *text, size_t len, const fp_json_limits *limits, fp_status want)
{
    static fp_error err;
    memset(&err, 0, sizeof err);
    fp_json_doc *doc = (fp_json_doc *)&err; /* must be reset to NULL on failure */
    fp_status st = fp_json_parse(text, len, limits, &doc, &err);
    if (st != want)
        print_error("input [%.*s]: expected %s, got %s (%s)\n", (int)(len > 80 ? 80 : len), text,
                    fp_status_name(want), fp_status_name(st), err.message);
    assert_int_equal(st, want);
    assert_null(doc);
    assert_int_equal(err.status, want);
    assert_true(strlen(err.message) > 0);
    /* every parse error names where it happened */
    if (want != FP_ERR_INVALID_ARG && want != FP_ERR_NOMEM)
        assert_non_null(strstr(err.message, "at byte "));
    return err.message;
}

static const char *parse_fail(const char *text, fp_status want)
{
    return parse_fail_n(text, strlen(text), NULL, want);
}

/* The byte offset in "... at byte N". */
static long message_offset(const char *msg)
{
    const char *p = strstr(msg, "at byte ");
    assert_non_null(p);
    return strtol(p + 8, NULL, 10);
}

static void expect_offset(const char *text, fp_status want, long offset)
{
    const char *msg = parse_fail(text, want);
    long got = message_offset(msg);
    if (got != offset)
        print_error("[%s]: offset %ld, expected %ld (%s)\n", text, got, offset, msg);
    assert_int_equal(got, offset);
}

static const fp_json *root_of(const fp_json_doc *doc)
{
    const fp_json *r = fp_json_root(doc);
    assert_non_null(r);
    return r;
}

/* ---- valid documents ------------------------------------------------------------ */

static void test_scalars(void **state)
{
    (void)state;
    static const struct { const char *text; fp_json_type type; } cases[] = {
        {"null", FP_JSON_NULL}, {"true", FP_JSON_TRUE}, {"false", FP_JSON_FALSE},
        {"0", FP_JSON_NUMBER}, {"\"\"", FP_JSON_STRING}, {"[]", FP_JSON_ARRAY}, {"{}", FP_JSON_OBJECT},
        {" \t\r\n null \t\r\n ", FP_JSON_NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fp_json_doc *doc = parse_ok(cases[i].text);
        const fp_json *r = root_of(doc);
        assert_int_equal(r->type, cases[i].type);
        if (r->type == FP_JSON_ARRAY || r->type == FP_JSON_OBJECT || r->type == FP_JSON_STRING)
            assert_int_equal(r->length, 0);
        fp_json_doc_free(doc);
    }
}

static void test_nested(void **state)
{
    (void)state;
    const char *text =
        "{\n"
        "  \"name\": \"model\",\n"
        "  \"dims\": [1, -2, 3.5, [], {}],\n"
        "  \"nested\": {\"a\": {\"b\": {\"c\": [true, false, null]}}},\n"
        "  \"empty\": \"\"\n"
        "}";
    fp_json_doc *doc = parse_ok(text);
    const fp_json *r = root_of(doc);
    assert_int_equal(r->type, FP_JSON_OBJECT);
    assert_int_equal(r->length, 4);
    assert_string_equal(r->keys[0], "name");
    assert_string_equal(r->keys[3], "empty");
    assert_string_equal(fp_json_get_string(r, "name"), "model");
    assert_string_equal(fp_json_get_string(r, "empty"), "");

    const fp_json *dims = fp_json_get(r, "dims");
    assert_non_null(dims);
    assert_int_equal(dims->type, FP_JSON_ARRAY);
    assert_int_equal(dims->length, 5);
    assert_true(fp_json_at(dims, 0)->number == 1.0);
    assert_true(fp_json_at(dims, 1)->number == -2.0);
    assert_true(fp_json_at(dims, 2)->number == 3.5);
    assert_int_equal(fp_json_at(dims, 3)->type, FP_JSON_ARRAY);
    assert_int_equal(fp_json_at(dims, 3)->length, 0);
    assert_int_equal(fp_json_at(dims, 4)->type, FP_JSON_OBJECT);
    assert_null(fp_json_at(dims, 5));

    const fp_json *c = fp_json_get(fp_json_get(fp_json_get(fp_json_get(r, "nested"), "a"), "b"), "c");
    assert_non_null(c);
    assert_int_equal(c->length, 3);
    assert_int_equal(fp_json_at(c, 0)->type, FP_JSON_TRUE);
    assert_int_equal(fp_json_at(c, 1)->type, FP_JSON_FALSE);
    assert_int_equal(fp_json_at(c, 2)->type, FP_JSON_NULL);
    fp_json_doc_free(doc);
}

static void test_numbers(void **state)
{
    (void)state;
    static const struct { const char *text; double value; } cases[] = {
        {"0", 0.0}, {"-0", -0.0}, {"7", 7.0}, {"-12", -12.0}, {"3.25", 3.25}, {"-0.5", -0.5},
        {"1e3", 1e3}, {"1E3", 1e3}, {"1e+3", 1e3}, {"1e-3", 1e-3}, {"2.5E-2", 2.5e-2}, {"-1.5e10", -1.5e10},
        {"0e0", 0.0}, {"0.0e-0", 0.0}, {"123456789012", 123456789012.0},
        {"1.7976931348623157e308", 1.7976931348623157e308}, {"5e-324", 5e-324},
        {"0.1", 0.1}, {"9007199254740993", 9007199254740992.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fp_json_doc *doc = parse_ok(cases[i].text);
        const fp_json *r = root_of(doc);
        assert_int_equal(r->type, FP_JSON_NUMBER);
        if (r->number != cases[i].value)
            print_error("%s parsed as %.17g\n", cases[i].text, r->number);
        assert_true(r->number == cases[i].value);
        fp_json_doc_free(doc);
    }
    /* -0 keeps its sign */
    fp_json_doc *doc = parse_ok("-0");
    assert_true(signbit(root_of(doc)->number));
    fp_json_doc_free(doc);

    /* out-of-range magnitudes saturate to +-infinity instead of failing */
    doc = parse_ok("[1e400, -1e400, 1e-400]");
    const fp_json *r = root_of(doc);
    assert_true(isinf(fp_json_at(r, 0)->number) && fp_json_at(r, 0)->number > 0);
    assert_true(isinf(fp_json_at(r, 1)->number) && fp_json_at(r, 1)->number < 0);
    assert_true(fp_json_at(r, 2)->number == 0.0);
    fp_json_doc_free(doc);

    /* longer than the parser's 64-byte stack buffer: the heap path */
    char big[2100];
    memset(big, 0, sizeof big);
    strcpy(big, "[0.");
    for (int i = 0; i < 1000; i++)
        strcat(big, "0");
    strcat(big, "1e1001, ");
    size_t len = strlen(big);
    big[len++] = '1';
    for (int i = 0; i < 300; i++)
        big[len++] = '0';
    big[len++] = ']';
    big[len] = 0;
    doc = parse_ok(big);
    r = root_of(doc);
    assert_int_equal(r->length, 2);
    assert_true(fabs(fp_json_at(r, 0)->number - 1.0) < 1e-12);
    assert_true(fabs(fp_json_at(r, 1)->number / 1e300 - 1.0) < 1e-12);
    fp_json_doc_free(doc);
}

/* A number is parsed the same whatever LC_NUMERIC the host application set
 * (strtod is locale dependent; a ',' decimal separator must not turn 1.5
 * into 1). Runs only when such a locale is installed. */
static void test_numbers_locale_independent(void **state)
{
    (void)state;
    static const char *const locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *old = setlocale(LC_NUMERIC, NULL);
    char saved[64];
    snprintf(saved, sizeof saved, "%s", old ? old : "C");
    const char *used = NULL;
    for (size_t i = 0; i < sizeof locales / sizeof locales[0] && !used; i++)
        if (setlocale(LC_NUMERIC, locales[i]))
            used = locales[i];
    if (!used) {
        printf("(no comma-decimal locale installed: locale check skipped)\n");
        return;
    }
    fp_json_doc *doc = NULL;
    fp_error err;
    fp_status st = fp_json_parse("[1.5, 2.5e1]", 12, NULL, &doc, &err);
    double a = st == FP_OK ? fp_json_at(fp_json_root(doc), 0)->number : NAN;
    double b = st == FP_OK ? fp_json_at(fp_json_root(doc), 1)->number : NAN;
    fp_json_doc_free(doc);
    setlocale(LC_NUMERIC, saved);
    if (a != 1.5 || b != 25.0)
        print_error("under LC_NUMERIC=%s: 1.5 -> %g, 2.5e1 -> %g\n", used, a, b);
    assert_int_equal(st, FP_OK);
    assert_true(a == 1.5);
    assert_true(b == 25.0);
}

static void test_strings_and_escapes(void **state)
{
    (void)state;
    fp_json_doc *doc = parse_ok("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"");
    const fp_json *r = root_of(doc);
    assert_int_equal(r->type, FP_JSON_STRING);
    assert_string_equal(r->string, "a\"b\\c/d\be\ff\ng\rh\ti");
    assert_int_equal(r->length, strlen("a\"b\\c/d\be\ff\ng\rh\ti"));
    fp_json_doc_free(doc);

    static const struct { const char *text, *utf8; } uni[] = {
        {"\"\\u0041\"", "A"},
        {"\"\\u00e9\"", "\xC3\xA9"},           /* 2-byte */
        {"\"\\u00E9\"", "\xC3\xA9"},           /* upper-case hex */
        {"\"\\u07FF\"", "\xDF\xBF"},
        {"\"\\u0800\"", "\xE0\xA0\x80"},       /* 3-byte */
        {"\"\\u20AC\"", "\xE2\x82\xAC"},       /* euro sign */
        {"\"\\uFFFF\"", "\xEF\xBF\xBF"},
        {"\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80"}, /* surrogate pair -> U+1F600 */
        {"\"\\uD800\\uDC00\"", "\xF0\x90\x80\x80"}, /* U+10000 */
        {"\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF"}, /* U+10FFFF */
        {"\"x\\ud83d\\ude00y\"", "x\xF0\x9F\x98\x80y"},
        /* raw UTF-8 passes through unchanged */
        {"\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \x7F\"", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \x7F"},
        {"\"\xF4\x8F\xBF\xBF\"", "\xF4\x8F\xBF\xBF"},
        {"\"\xEF\xBB\xBF\"", "\xEF\xBB\xBF"}, /* a BOM inside a string is just U+FEFF */
    };
    for (size_t i = 0; i < sizeof uni / sizeof uni[0]; i++) {
        doc = parse_ok(uni[i].text);
        r = root_of(doc);
        assert_int_equal(r->type, FP_JSON_STRING);
        assert_int_equal(r->length, strlen(uni[i].utf8));
        assert_memory_equal(r->string, uni[i].utf8, r->length);
        assert_int_equal(r->string[r->length], 0);
        fp_json_doc_free(doc);
    }

    /* an escaped NUL is kept: length counts it, the C string stops there */
    doc = parse_ok("\"a\\u0000b\"");
    r = root_of(doc);
    assert_int_equal(r->length, 3);
    assert_memory_equal(r->string, "a\0b", 4);
    fp_json_doc_free(doc);

    /* escapes in keys are decoded too */
    doc = parse_ok("{\"k\\u00e9y\": 1, \"t\\tab\": 2}");
    double v = 0;
    assert_true(fp_json_get_number(root_of(doc), "k\xC3\xA9y", &v));
    assert_true(v == 1.0);
    assert_true(fp_json_get_number(root_of(doc), "t\tab", &v));
    assert_true(v == 2.0);
    fp_json_doc_free(doc);
}

static void test_bom(void **state)
{
    (void)state;
    fp_json_doc *doc = parse_ok("\xEF\xBB\xBF{\"a\": [1]}");
    assert_int_equal(root_of(doc)->type, FP_JSON_OBJECT);
    assert_non_null(fp_json_get(root_of(doc), "a"));
    fp_json_doc_free(doc);
    doc = parse_ok("\xEF\xBB\xBF  7 ");
    assert_true(root_of(doc)->number == 7.0);
    fp_json_doc_free(doc);
    /* only one leading BOM is skipped; a BOM elsewhere is not whitespace */
    parse_fail("\xEF\xBB\xBF\xEF\xBB\xBF{}", FP_ERR_FORMAT);
    parse_fail(" \xEF\xBB\xBF{}", FP_ERR_FORMAT);
    parse_fail("{}\xEF\xBB\xBF", FP_ERR_FORMAT);
    parse_fail("[1,\xEF\xBB\xBF 2]", FP_ERR_FORMAT);
    /* a BOM and nothing else is an empty (truncated) document */
    parse_fail("\xEF\xBB\xBF", FP_ERR_TRUNCATED);
    parse_fail("\xEF\xBB", FP_ERR_FORMAT); /* half a BOM is garbage */
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    fp_json_doc *doc = parse_ok("{\"a\": 1, \"b\": \"x\", \"a\": 2, \"a\": 3}");
    const fp_json *r = root_of(doc);
    /* all members are kept in order; lookups see the last one */
    assert_int_equal(r->length, 4);
    assert_string_equal(r->keys[0], "a");
    assert_string_equal(r->keys[2], "a");
    assert_true(r->items[0]->number == 1.0);
    double v = 0;
    assert_true(fp_json_get_number(r, "a", &v));
    assert_true(v == 3.0);
    assert_string_equal(fp_json_get_string(r, "b"), "x");
    fp_json_doc_free(doc);
    /* a later duplicate of another type shadows the earlier one */
    doc = parse_ok("{\"a\": \"s\", \"a\": null}");
    assert_null(fp_json_get_string(root_of(doc), "a"));
    assert_int_equal(fp_json_get(root_of(doc), "a")->type, FP_JSON_NULL);
    fp_json_doc_free(doc);
}

/* Documents bigger than one 64 KiB arena block: long strings, many nodes. */
static void test_large_documents(void **state)
{
    (void)state;
    size_t n_str = 200000;
    char *text = malloc(n_str + 3);
    assert_non_null(text);
    text[0] = '"';
    for (size_t i = 0; i < n_str; i++)
        text[i + 1] = (char)('a' + i % 26);
    text[n_str + 1] = '"';
    text[n_str + 2] = 0;
    fp_json_doc *doc = parse_ok_n(text, n_str + 2);
    assert_int_equal(root_of(doc)->length, n_str);
    assert_memory_equal(root_of(doc)->string, text + 1, n_str);
    fp_json_doc_free(doc);
    free(text);

    int count = 50000;
    text = malloc((size_t)count * 16 + 16);
    assert_non_null(text);
    size_t len = 0;
    text[len++] = '[';
    for (int i = 0; i < count; i++)
        len += (size_t)sprintf(text + len, "%s{\"k\":%d}", i ? "," : "", i);
    text[len++] = ']';
    doc = parse_ok_n(text, len);
    const fp_json *r = root_of(doc);
    assert_int_equal(r->length, (size_t)count);
    for (int i = 0; i < count; i += 997) {
        double v = -1;
        assert_true(fp_json_get_number(fp_json_at(r, (size_t)i), "k", &v));
        assert_true(v == (double)i);
    }
    fp_json_doc_free(doc);
    free(text);
}

/* The parser reads exactly len bytes: no NUL terminator needed, and bytes
 * after len are never looked at. */
static void test_length_bounded(void **state)
{
    (void)state;
    const char buf[] = {'[', '1', ',', '2', ']', 'x', 'y'};
    fp_json_doc *doc = parse_ok_n(buf, 5);
    assert_int_equal(root_of(doc)->length, 2);
    fp_json_doc_free(doc);
    /* same bytes, one short: truncated */
    parse_fail_n(buf, 4, NULL, FP_ERR_TRUNCATED);
    /* an embedded NUL byte outside a string is garbage, inside one a control char */
    parse_fail_n("[1]\0", 4, NULL, FP_ERR_FORMAT);
    parse_fail_n("\"a\0b\"", 5, NULL, FP_ERR_FORMAT);
    /* the exact heap copy, so ASan sees any overread */
    char *heap = malloc(8);
    assert_non_null(heap);
    memcpy(heap, "{\"a\":1}", 7);
    doc = parse_ok_n(heap, 7);
    fp_json_doc_free(doc);
    memcpy(heap, "\"\\uD83D", 7); /* ends inside an escape */
    parse_fail_n(heap, 7, NULL, FP_ERR_TRUNCATED);
    memcpy(heap, "\"\xF0\x9F\x98", 4); /* ends inside a UTF-8 sequence */
    parse_fail_n(heap, 4, NULL, FP_ERR_TRUNCATED);
    free(heap);
}

/* ---- invalid documents -------------------------------------------------------------- */

static void test_truncated(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "", " ", "\n\t ", "[", "[1", "[1,", "[1, ", "[[]", "{", "{ ", "{\"a\"", "{\"a\" ", "{\"a\":",
        "{\"a\": ", "{\"a\":1", "{\"a\":1,", "{\"a\":1, ", "\"", "\"abc", "\"abc\\", "\"abc\\\"",
        "\"\\u00", "{\"ke", "[\"a\", {\"b\": [1, 2, {\"c\": \"", "-", "[-",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_fail(cases[i], FP_ERR_TRUNCATED);
}

/* Any strict prefix of a valid document fails cleanly (never OK, never a
 * crash), and a prefix that stops inside a container, a string or an escape
 * reports FP_ERR_TRUNCATED. A prefix that stops inside a bare literal
 * ("tr", "-2.", "1e+") may be reported either way: see
 * test_truncated_literals. */
static int bare_token_char(char c)
{
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

static void test_every_prefix(void **state)
{
    (void)state;
    const char *text = "{\"a\": [1, -2.5e+3, true, false, null, \"s\\u00e9\\uD83D\\uDE00\\n\"], "
                       "\"b\": {\"c\": {}}, \"d\": [0.125]}";
    size_t len = strlen(text);
    int in_string = 0, lenient = 0;
    for (size_t n = 0; n < len; n++) {
        /* in_string describes text[0..n) (the text has no escaped quotes) */
        int mid_token = !in_string && n > 0 && bare_token_char(text[n - 1]) && bare_token_char(text[n]);
        char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, text, n);
        fp_json_doc *doc = NULL;
        fp_error err = {FP_OK, {0}};
        fp_status st = fp_json_parse(copy, n, NULL, &doc, &err);
        int ok = st == FP_ERR_TRUNCATED || (mid_token && st == FP_ERR_FORMAT);
        if (!ok)
            print_error("prefix of %zu bytes [%.*s]: %s (%s)\n", n, (int)n, text, fp_status_name(st), err.message);
        assert_true(ok);
        lenient += st == FP_ERR_FORMAT;
        assert_null(doc);
        free(copy);
        if (text[n] == '"')
            in_string = !in_string;
    }
    if (lenient)
        printf("(%d prefixes ending inside a literal reported FP_ERR_FORMAT)\n", lenient);
    fp_json_doc_free(parse_ok(text));
}

/* Input that ends inside a bare literal or number. Strictly this is a
 * truncation too; the parser may call it FP_ERR_TRUNCATED or
 * FP_ERR_FORMAT, but never OK. */
static void test_truncated_literals(void **state)
{
    (void)state;
    static const char *const cases[] = {"t", "tr", "tru", "f", "fals", "n", "nul", "1.", "-1.", "1e", "1E",
                                        "1e+", "1e-", "[tru", "{\"a\": 2.", "[1e"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fp_json_doc *doc = NULL;
        fp_error err = {FP_OK, {0}};
        fp_status st = fp_json_parse(cases[i], strlen(cases[i]), NULL, &doc, &err);
        printf("  truncated literal %-10s -> %s (%s)\n", cases[i], fp_status_name(st), err.message);
        assert_true(st == FP_ERR_TRUNCATED || st == FP_ERR_FORMAT);
        assert_null(doc);
        assert_non_null(strstr(err.message, "at byte "));
    }
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const char *const cases[] = {
        /* garbage and bad literals */
        "x", "nulll", "nuls", "tx", "fa1se", "True", "NULL", "undefined", "NaN", "Infinity", "-Infinity", "'a'", "@",
        /* structure */
        "]", "}", "[}", "{]", "[1 2]", "[1,]", "[,1]", "[,]", "{,}", "{\"a\" 1}", "{\"a\":1,}", "{\"a\"}",
        "{a:1}", "{1:1}", "{\"a\":1 \"b\":2}", "{\"a\"::1}", "[1]]", "[[1]}", "{}}", "[1;2]",
        /* numbers */
        "+1", ".5", "1.x", "1.e5", "1ex", "1e+]", "-a", "--1", "0x10", "1_000", "1.5.2", "- 1", "[1e]", "[.1]",
        /* whitespace JSON does not allow */
        "\f1", "\v1", "[1,\f2]", "\xC2\xA0" "1",
        /* strings */
        "\"\\x41\"", "\"\\a\"", "\"\\'\"", "\"\\U0041\"", "\"\\u12G4\"", "\"\\u\"", "\"\\u12\"",
        "\"\\u-123\"",
        /* trailing garbage */
        "{} x", "[1] [2]", "1 2", "\"a\"\"b\"", "true false", "null,", "{}/", "[]\n,",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_fail(cases[i], FP_ERR_FORMAT);
}

static void test_leading_zeros(void **state)
{
    (void)state;
    static const char *const cases[] = {"01", "00", "-01", "007", "[01]", "{\"a\": 00}", "0123.5", "-00.5",
                                        "[1, 02]"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_fail(cases[i], FP_ERR_FORMAT);
    /* but a single zero before a fraction or exponent is fine */
    fp_json_doc_free(parse_ok("[0, -0, 0.01, 0e5, -0.0e-1]"));
}

static void test_control_characters(void **state)
{
    (void)state;
    for (int c = 1; c < 0x20; c++) {
        char text[8];
        snprintf(text, sizeof text, "\"a%cb\"", c);
        const char *msg = parse_fail(text, FP_ERR_FORMAT);
        assert_int_equal(message_offset(msg), 2);
    }
    /* in keys too */
    parse_fail("{\"a\tb\": 1}", FP_ERR_FORMAT);
    /* DEL is allowed */
    fp_json_doc_free(parse_ok("\"\x7F\""));
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "\"\x80\"",                 /* lone continuation byte */
        "\"\xBF\"",
        "\"\xC0\xAF\"",             /* overlong '/' */
        "\"\xC1\xBF\"",             /* overlong */
        "\"\xE0\x80\xAF\"",         /* overlong 3-byte */
        "\"\xE0\x9F\xBF\"",         /* overlong: U+07FF in 3 bytes */
        "\"\xF0\x80\x80\xAF\"",     /* overlong 4-byte */
        "\"\xF0\x8F\xBF\xBF\"",     /* overlong: U+FFFF in 4 bytes */
        "\"\xED\xA0\x80\"",         /* encoded surrogate U+D800 */
        "\"\xED\xBF\xBF\"",         /* encoded surrogate U+DFFF */
        "\"\xF4\x90\x80\x80\"",     /* U+110000 */
        "\"\xF5\x80\x80\x80\"",     /* F5..FF never appear */
        "\"\xF8\x88\x80\x80\x80\"",
        "\"\xFE\"", "\"\xFF\"",
        "\"\xC3\"",                 /* sequence cut by the closing quote */
        "\"\xE2\x82\"",
        "\"\xF0\x9F\x98\"",
        "\"\xC3\x28\"",             /* bad continuation */
        "\"\xE2\x28\xA1\"",
        "\"\xF0\x9F\x28\x80\"",
        "{\"\xFF\": 1}",            /* in a key */
        "\xC3\xA9",                 /* UTF-8 outside a string */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_fail(cases[i], FP_ERR_FORMAT);
    /* boundary values that are valid */
    fp_json_doc_free(parse_ok("\"\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xF0\x90\x80\x80\""));
}

static void test_surrogates(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "\"\\uD800\"",            /* high surrogate, string ends */
        "\"\\uD83Dx\"",           /* high surrogate, then a plain char */
        "\"\\uD83D\\n\"",         /* then another escape */
        "\"\\uD83D\\u0041\"",     /* then a non-surrogate \u */
        "\"\\uD83D\\uD83D\"",     /* then another high surrogate */
        "\"\\uDE00\"",            /* low surrogate alone */
        "\"\\uDFFF\\uD800\"",     /* reversed pair */
        "\"\\uD83D\\uDE0\"",      /* short second escape */
        "{\"\\uDC00\": 1}",       /* in a key */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_fail(cases[i], FP_ERR_FORMAT);
}

static void test_error_offsets(void **state)
{
    (void)state;
    expect_offset("[1, 2, x]", FP_ERR_FORMAT, 7);
    expect_offset("{\"a\" 1}", FP_ERR_FORMAT, 5);
    expect_offset("{} x", FP_ERR_FORMAT, 3);
    expect_offset("[1 2]", FP_ERR_FORMAT, 3);
    expect_offset("\"ab\x01\"", FP_ERR_FORMAT, 3);
    expect_offset("[\"ok\", \"\xFF\"]", FP_ERR_FORMAT, 8);
    expect_offset("[1,", FP_ERR_TRUNCATED, 3);
    expect_offset("{\"key\": [1, 2", FP_ERR_TRUNCATED, 13);
    expect_offset("01", FP_ERR_FORMAT, 1);
    /* offsets count the BOM: they index the caller's buffer */
    expect_offset("\xEF\xBB\xBF[x]", FP_ERR_FORMAT, 4);
    /* offsets are not limited to small documents */
    size_t n = 100000;
    char *text = malloc(n + 8);
    assert_non_null(text);
    text[0] = '[';
    for (size_t i = 1; i < n; i += 2) {
        text[i] = '0';
        text[i + 1] = ',';
    }
    /* n is even: text[n-1] is '0', text[n] a ',' then garbage */
    text[n] = ',';
    text[n + 1] = '?';
    text[n + 2] = ']';
    text[n + 3] = 0;
    const char *msg = parse_fail(text, FP_ERR_FORMAT);
    assert_int_equal(message_offset(msg), (long)(n + 1));
    free(text);
    /* the message says what went wrong, not only where */
    assert_non_null(strstr(parse_fail("[1,]", FP_ERR_FORMAT), "JSON"));
}

static void test_depth_limit(void **state)
{
    (void)state;
    /* default 128 */
    char text[1024];
    for (int depth = 127; depth <= 129; depth++) {
        int k = 0;
        for (int i = 0; i < depth; i++)
            text[k++] = '[';
        for (int i = 0; i < depth; i++)
            text[k++] = ']';
        text[k] = 0;
        if (depth <= 128)
            fp_json_doc_free(parse_ok(text));
        else
            parse_fail(text, FP_ERR_LIMIT);
    }
    /* objects count as well, and the limit applies even to an unterminated input */
    char obj[1024];
    int k = 0;
    for (int i = 0; i < 200; i++)
        k += snprintf(obj + k, sizeof obj - (size_t)k, "{\"a\":");
    (void)k;
    parse_fail(obj, FP_ERR_LIMIT);

    /* configurable */
    fp_json_limits lim = {3, 0};
    fp_json_doc *doc = NULL;
    assert_int_equal(fp_json_parse("[[[1]]]", 7, &lim, &doc, NULL), FP_OK);
    fp_json_doc_free(doc);
    parse_fail_n("[[[[1]]]]", 9, &lim, FP_ERR_LIMIT);
    parse_fail_n("{\"a\":{\"b\":[{}]}}", 16, &lim, FP_ERR_LIMIT);
    /* scalars have no depth */
    lim.max_depth = 1;
    assert_int_equal(fp_json_parse("[1, \"a\", null]", 14, &lim, &doc, NULL), FP_OK);
    fp_json_doc_free(doc);
    parse_fail_n("[[]]", 4, &lim, FP_ERR_LIMIT);

    /* a hostile depth far beyond the limit fails fast without deep recursion */
    size_t deep = 1000000;
    char *huge = malloc(deep);
    assert_non_null(huge);
    memset(huge, '[', deep);
    parse_fail_n(huge, deep, NULL, FP_ERR_LIMIT);
    free(huge);
}

static void test_node_limit(void **state)
{
    (void)state;
    /* [1,2,3] = 4 values */
    fp_json_limits lim = {0, 4};
    fp_json_doc *doc = NULL;
    assert_int_equal(fp_json_parse("[1,2,3]", 7, &lim, &doc, NULL), FP_OK);
    fp_json_doc_free(doc);
    lim.max_nodes = 3;
    const char *msg = parse_fail_n("[1,2,3]", 7, &lim, FP_ERR_LIMIT);
    assert_non_null(strstr(msg, "at byte "));
    /* keys are not values; objects and strings are */
    lim.max_nodes = 3;
    assert_int_equal(fp_json_parse("{\"a\":\"x\",\"b\":1}", 15, &lim, &doc, NULL), FP_OK);
    fp_json_doc_free(doc);
    lim.max_nodes = 2;
    parse_fail_n("{\"a\":\"x\",\"b\":1}", 15, &lim, FP_ERR_LIMIT);
    lim.max_nodes = 1;
    assert_int_equal(fp_json_parse("\"s\"", 3, &lim, &doc, NULL), FP_OK);
    fp_json_doc_free(doc);
    /* the limit wins over a later syntax error only if it is hit first */
    lim.max_nodes = 2;
    parse_fail_n("[1, 2, x]", 9, &lim, FP_ERR_LIMIT);
    parse_fail_n("[x, 1, 2]", 9, &lim, FP_ERR_FORMAT);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    fp_error err = {FP_OK, {0}};
    fp_json_doc *doc = NULL;
    assert_int_equal(fp_json_parse("{}", 2, NULL, NULL, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(err.status, FP_ERR_INVALID_ARG);
    assert_int_equal(fp_json_parse(NULL, 5, NULL, &doc, &err), FP_ERR_INVALID_ARG);
    assert_null(doc);
    /* err is optional */
    assert_int_equal(fp_json_parse("[", 1, NULL, &doc, NULL), FP_ERR_TRUNCATED);
    assert_null(doc);
    assert_int_equal(fp_json_parse("1", 1, NULL, &doc, NULL), FP_OK);
    fp_json_doc_free(doc);
    /* an empty non-NULL buffer is an empty document */
    doc = NULL;
    assert_int_equal(fp_json_parse("", 0, NULL, &doc, &err), FP_ERR_TRUNCATED);
    assert_null(doc);
    /* freeing / reading NULL documents is harmless */
    fp_json_doc_free(NULL);
    assert_null(fp_json_root(NULL));
}

/* NULL text with length 0 is an empty document, not undefined behaviour
 * (pointer arithmetic on NULL trips UBSan's pointer-overflow check). */
static void test_null_empty_text(void **state)
{
    (void)state;
    fp_json_doc *doc = NULL;
    fp_error err = {FP_OK, {0}};
    fp_status st = fp_json_parse(NULL, 0, NULL, &doc, &err);
    assert_true(st == FP_ERR_TRUNCATED || st == FP_ERR_INVALID_ARG);
    assert_null(doc);
}

/* ---- lookups ---------------------------------------------------------------------- */

static void test_lookups(void **state)
{
    (void)state;
    fp_json_doc *doc = parse_ok("{\"s\": \"str\", \"n\": 2.5, \"a\": [10, \"x\"], \"o\": {\"k\": null}, "
                                "\"t\": true, \"\": 0}");
    const fp_json *r = root_of(doc);

    assert_string_equal(fp_json_get_string(r, "s"), "str");
    assert_null(fp_json_get_string(r, "n"));      /* wrong type */
    assert_null(fp_json_get_string(r, "missing"));
    double v = -1;
    assert_true(fp_json_get_number(r, "n", &v));
    assert_true(v == 2.5);
    v = -1;
    assert_false(fp_json_get_number(r, "s", &v)); /* wrong type: value untouched */
    assert_true(v == -1);
    assert_false(fp_json_get_number(r, "missing", &v));
    assert_false(fp_json_get_number(r, "t", &v));
    assert_true(fp_json_get_number(r, "", &v)); /* the empty key is a key */
    assert_true(v == 0);

    const fp_json *a = fp_json_get(r, "a");
    assert_non_null(a);
    assert_true(fp_json_at(a, 0)->number == 10);
    assert_string_equal(fp_json_at(a, 1)->string, "x");
    assert_null(fp_json_at(a, 2));
    assert_null(fp_json_at(a, (size_t)-1));
    assert_null(fp_json_at(r, 0));            /* object is not an array */
    assert_null(fp_json_get(a, "s"));         /* array is not an object */
    assert_null(fp_json_get(fp_json_get(r, "s"), "x"));
    assert_null(fp_json_get_string(a, "x"));
    assert_false(fp_json_get_number(a, "x", &v));

    /* present-but-null differs from absent */
    const fp_json *o = fp_json_get(r, "o");
    assert_non_null(fp_json_get(o, "k"));
    assert_int_equal(fp_json_get(o, "k")->type, FP_JSON_NULL);
    assert_null(fp_json_get(o, "K"));         /* case-sensitive */
    assert_null(fp_json_get(o, "k "));

    /* NULL-safe chains */
    assert_null(fp_json_get(NULL, "a"));
    assert_null(fp_json_get(r, NULL));
    assert_null(fp_json_at(NULL, 0));
    assert_null(fp_json_get_string(NULL, "a"));
    assert_false(fp_json_get_number(NULL, "a", &v));
    assert_null(fp_json_get(fp_json_get(fp_json_get(r, "nope"), "x"), "y"));
    fp_json_doc_free(doc);
}

/* Many documents alive at once are independent, and each frees cleanly. */
static void test_independent_documents(void **state)
{
    (void)state;
    fp_json_doc *docs[16];
    for (int i = 0; i < 16; i++) {
        char text[64];
        snprintf(text, sizeof text, "{\"i\": %d, \"s\": \"doc%d\"}", i, i);
        docs[i] = parse_ok(text);
    }
    for (int i = 0; i < 16; i++) {
        double v;
        char want[16];
        snprintf(want, sizeof want, "doc%d", i);
        assert_true(fp_json_get_number(fp_json_root(docs[i]), "i", &v));
        assert_true(v == i);
        assert_string_equal(fp_json_get_string(fp_json_root(docs[i]), "s"), want);
    }
    for (int i = 0; i < 16; i++)
        fp_json_doc_free(docs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_numbers_locale_independent),
        cmocka_unit_test(test_strings_and_escapes),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_large_documents),
        cmocka_unit_test(test_length_bounded),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_truncated_literals),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_leading_zeros),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_error_offsets),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_node_limit),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_null_empty_text),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_independent_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
