#include <stdio.h>
#include <string.h>

#include "bench_kernels.h"
#include "bench_nn.h"
#include "bench_pipeline.h"
#include "commands.h"

int cmd_bench(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: faceprint bench nn|kernels|pipeline [options]\n");
        return 2;
    }
    if (!strcmp(argv[1], "nn"))
        return fp_bench_nn_main(argc - 1, argv + 1, tool_models_dir(), tool_shared_dir());
    if (!strcmp(argv[1], "pipeline"))
        return fp_bench_pipeline_main(argc - 1, argv + 1, tool_models_dir(), tool_shared_dir());
    if (!strcmp(argv[1], "kernels"))
        return fp_bench_kernels_main(argc - 1, argv + 1);
    fprintf(stderr, "faceprint bench: unknown benchmark '%s'\n", argv[1]);
    return 2;
}
