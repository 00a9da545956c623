/* faceprint command-line tool: dispatches to one subcommand per module. */
#include <stdio.h>
#include <string.h>

#include "cmd_face.h"
#include "commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: faceprint <command> [options]\n"
            "\n"
            "commands:\n"
            "  nn info MODEL            load a model, print inputs, outputs, memory plan and cost\n"
            "  nn run MODEL IN.f32...   run a model on raw float32 inputs, write OUT files\n"
            "  bench nn [--json] [--threads N] [--vs-tfjs] [--runs N] [--only a,b]\n"
            "                           time every packaged model (see docs/BENCHMARKS.md)\n"
            "  bench kernels            GEMM / convolution micro-benchmarks\n"
            "  detect [--json] [--threads N] [--min-score S] IMAGE...\n"
            "                           find faces: boxes, scores, key points\n"
            "  compare [--json] [--threshold T] A B\n"
            "                           same person or not (main face of each image)\n"
            "  version                  print the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "nn"))
        return cmd_nn(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench"))
        return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "detect"))
        return cmd_detect(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare"))
        return cmd_compare(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("faceprint 0.1.0\n");
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "faceprint: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
