/* Parity of the TF.js graph-model runtime with TF.js itself: the 9 Human
 * graph models of ../shared/reference/tensors, both fixture cases, through
 * nn_ref_load + nn_ref_check (the same code path as `faceprint nn check`).
 * Every output the model produces must be one the reference stored, every
 * stored output must be produced, and each must match with
 * max|ours - ref| <= 1e-4 * max|ref| (and cosine >= 0.99999 for the
 * embeddings: faceres global_pooling/Mean, mobileface batchnorm0/add_1).
 *
 * Each model runs in several configurations: the best ISA of this CPU
 * single-threaded and with a 2-thread pool, then every lower ISA (forced
 * with nn_cpu_isa_override, which affects kernels prepared afterwards; each
 * nn_ref_check loads and prepares the model anew), down to scalar.
 *
 * Prints one "PARITY" line per model/case/output/configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faceprint/nn.h"
#include "nn/kernels/kernels.h"
#include "nn/refcase.h"
#include "support/fixture.h"

#define REL_TOL 1e-4
#define COS_TOL 0.99999

typedef struct {
    nn_isa isa;
    int threads;
} config;

static int is_embedding(const char *model, const char *output)
{
    return (strcmp(model, "faceres") == 0 && nn_ref_name_matches(output, "global_pooling/Mean")) ||
           (strcmp(model, "mobileface") == 0 && nn_ref_name_matches(output, "batchnorm0/add_1"));
}

static int n_ref_outputs(const nn_ref_case *rc)
{
    int n = 0;
    for (int i = 0; i < rc->n_tensors; i++)
        n += !rc->tensors[i].is_input;
    return n;
}

static double check_case(const char *model, int case_index, const config *cfg, fp_threadpool *tp)
{
    nn_ref_case rc;
    fp_error err = {FP_OK, {0}};
    char tensors_dir[4096];
    snprintf(tensors_dir, sizeof tensors_dir, "%s", fx_shared_path("reference/tensors"));
    char models_dir[4096];
    snprintf(models_dir, sizeof models_dir, "%s", fx_model_path(""));
    size_t ml = strlen(models_dir);
    if (ml > 1 && models_dir[ml - 1] == '/')
        models_dir[ml - 1] = 0;

    fp_status st = nn_ref_load(tensors_dir, models_dir, model, case_index, &rc, &err);
    if (st != FP_OK)
        print_error("%s case %d: nn_ref_load: %s (%s)\n", model, case_index, err.message, fp_status_name(st));
    assert_int_equal(st, FP_OK);
    assert_string_equal(rc.model, model);
    assert_true(rc.n_tensors >= 2);

    nn_ref_diff diffs[NN_REF_MAX_TENSORS];
    int n_diffs = 0;
    memset(diffs, 0, sizeof diffs);
    st = nn_ref_check(&rc, tp, diffs, &n_diffs, &err);
    if (st != FP_OK)
        print_error("%s/%s [%s, %d thread(s)]: nn_ref_check: %s (%s)\n", model, rc.case_id, nn_isa_name(cfg->isa),
                    cfg->threads, err.message, fp_status_name(st));
    assert_int_equal(st, FP_OK);

    /* outputs: produced == stored, one to one */
    int want = n_ref_outputs(&rc);
    if (n_diffs != want)
        print_error("%s/%s: the model has %d outputs, the reference %d\n", model, rc.case_id, n_diffs, want);
    assert_int_equal(n_diffs, want);
    for (int t = 0; t < rc.n_tensors; t++) {
        if (rc.tensors[t].is_input)
            continue;
        int hits = 0;
        for (int i = 0; i < n_diffs; i++)
            hits += diffs[i].matched && nn_ref_name_matches(diffs[i].name, rc.tensors[t].name);
        if (hits != 1)
            print_error("%s/%s: reference output '%s' matched %d graph outputs\n", model, rc.case_id,
                        rc.tensors[t].name, hits);
        assert_int_equal(hits, 1);
    }

    double worst = 0;
    for (int i = 0; i < n_diffs; i++) {
        const nn_ref_diff *d = &diffs[i];
        printf("PARITY %-16s %-22s %-22s %-7s t=%d max_abs=%.3e max_ref=%.3e rel=%.3e cos=%.9f\n", model,
               rc.case_id, d->name, nn_isa_name(cfg->isa), cfg->threads, d->max_abs, d->max_ref, d->rel,
               d->cosine);
        if (!d->matched)
            print_error("%s/%s: output '%s' has no reference\n", model, rc.case_id, d->name);
        assert_true(d->matched);
        assert_true(d->raw);
        if (!(d->rel <= REL_TOL))
            print_error("%s/%s/%s [%s, %d thread(s)]: rel %.3e > %.0e (max_abs %.3e, max_ref %.3e)\n", model,
                        rc.case_id, d->name, nn_isa_name(cfg->isa), cfg->threads, d->rel, REL_TOL, d->max_abs,
                        d->max_ref);
        assert_true(d->rel <= REL_TOL);
        if (is_embedding(model, d->name)) {
            if (!(d->cosine >= COS_TOL))
                print_error("%s/%s/%s: cosine %.9f < %.5f\n", model, rc.case_id, d->name, d->cosine, COS_TOL);
            assert_true(d->cosine >= COS_TOL);
        }
        if (d->rel > worst)
            worst = d->rel;
    }
    return worst;
}

static void check_model(const char *model)
{
    nn_cpu_isa_override(-1);
    nn_isa best = nn_cpu_isa();
    config cfgs[8];
    int n_cfg = 0;
    cfgs[n_cfg++] = (config){best, 1};
    cfgs[n_cfg++] = (config){best, 2};
    for (int isa = (int)best - 1; isa >= (int)NN_ISA_SCALAR; isa--)
        cfgs[n_cfg++] = (config){(nn_isa)isa, 1};
    /* the scalar kernels with threads too (partitioning is ISA independent,
     * but the scalar tails are the ones that see every remainder) */
    if (best != NN_ISA_SCALAR)
        cfgs[n_cfg++] = (config){NN_ISA_SCALAR, 2};

    double worst = 0;
    int runs = 0;
    for (int c = 0; c < n_cfg; c++) {
        nn_cpu_isa_override((int)cfgs[c].isa);
        assert_int_equal(nn_cpu_isa(), cfgs[c].isa);
        fp_threadpool *tp = NULL;
        if (cfgs[c].threads > 1)
            assert_int_equal(fp_threadpool_new(cfgs[c].threads, &tp), FP_OK);
        for (int k = 0; k < 2; k++) {
            double w = check_case(model, k, &cfgs[c], tp);
            worst = w > worst ? w : worst;
            runs++;
        }
        fp_threadpool_free(tp);
    }
    nn_cpu_isa_override(-1);
    printf("PARITY %-16s %d runs, worst rel %.3e\n", model, runs, worst);
}

/* The fixture set has exactly two cases per model, and no third one. */
static void test_fixture_cases(void **state)
{
    (void)state;
    static const char *const models[] = {"blazeface", "blazeface-front", "facemesh", "iris", "faceres",
                                         "antispoof", "liveness", "emotion", "mobileface"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        nn_ref_case rc;
        fp_error err;
        char tensors_dir[4096];
        snprintf(tensors_dir, sizeof tensors_dir, "%s", fx_shared_path("reference/tensors"));
        assert_int_equal(nn_ref_load(tensors_dir, FP_MODELS_DIR, models[i], 0, &rc, &err), FP_OK);
        assert_int_equal(nn_ref_load(tensors_dir, FP_MODELS_DIR, models[i], 1, &rc, &err), FP_OK);
        assert_int_equal(nn_ref_load(tensors_dir, FP_MODELS_DIR, models[i], 2, &rc, &err), FP_ERR_FORMAT);
        assert_int_not_equal(nn_ref_load(tensors_dir, FP_MODELS_DIR, "no-such-model", 0, &rc, &err), FP_OK);
    }
}

#define MODEL_TEST(fn, name)          \
    static void fn(void **state)      \
    {                                 \
        (void)state;                  \
        check_model(name);            \
    }

MODEL_TEST(test_blazeface, "blazeface")
MODEL_TEST(test_blazeface_front, "blazeface-front")
MODEL_TEST(test_facemesh, "facemesh")
MODEL_TEST(test_iris, "iris")
MODEL_TEST(test_faceres, "faceres")
MODEL_TEST(test_antispoof, "antispoof")
MODEL_TEST(test_liveness, "liveness")
MODEL_TEST(test_emotion, "emotion")
MODEL_TEST(test_mobileface, "mobileface")

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_cases),
        cmocka_unit_test(test_blazeface),
        cmocka_unit_test(test_blazeface_front),
        cmocka_unit_test(test_facemesh),
        cmocka_unit_test(test_iris),
        cmocka_unit_test(test_faceres),
        cmocka_unit_test(test_antispoof),
        cmocka_unit_test(test_liveness),
        cmocka_unit_test(test_emotion),
        cmocka_unit_test(test_mobileface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
