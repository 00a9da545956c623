/* Run-time ISA selection. The answer is cached because prepare() calls this
 * for every node and __builtin_cpu_supports + getenv are not free; the cache
 * is the only mutable state of the kernels. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

static nn_isa hw_isa(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("fma"))
        return NN_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return NN_ISA_AVX2;
#endif
    return NN_ISA_SCALAR;
}

static nn_isa env_cap(void)
{
    const char *v = getenv("FP_NN_ISA");
    if (!v || !*v)
        return NN_ISA_AVX512;
    if (!strcmp(v, "scalar"))
        return NN_ISA_SCALAR;
    if (!strcmp(v, "avx2"))
        return NN_ISA_AVX2;
    return NN_ISA_AVX512;
}

/* -1 = not computed yet. Racing first calls compute the same value, so a
 * plain atomic store is enough (no once-guard needed). */
static _Atomic int *isa_cache(void)
{
    static _Atomic int cache = -1;
    return &cache;
}

static nn_isa detect(int cap)
{
    nn_isa hw = hw_isa();
    return (int)hw < cap ? hw : (nn_isa)cap;
}

nn_isa nn_cpu_isa(void)
{
    int v = atomic_load_explicit(isa_cache(), memory_order_acquire);
    if (v < 0) {
        v = (int)detect((int)env_cap());
        atomic_store_explicit(isa_cache(), v, memory_order_release);
    }
    return (nn_isa)v;
}

void nn_cpu_isa_override(int isa)
{
    int v = isa < 0 ? (int)detect((int)env_cap()) : (int)detect(isa);
    atomic_store_explicit(isa_cache(), v, memory_order_release);
}

const char *nn_isa_name(nn_isa isa)
{
    switch (isa) {
    case NN_ISA_SCALAR: return "scalar";
    case NN_ISA_AVX2: return "avx2";
    case NN_ISA_AVX512: return "avx512";
    }
    return "unknown";
}
