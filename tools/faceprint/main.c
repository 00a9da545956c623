/* faceprint command-line tool: dispatches to one subcommand per module. */
#include <stdio.h>
#include <string.h>

#include "cmd_embed.h"
#include "cmd_eval.h"
#include "cmd_face.h"
#include "cmd_landmarks.h"
#include "cmd_quality.h"
#include "commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: faceprint <command> [options]\n"
            "\n"
            "commands:\n"
            "  nn info MODEL            load a model, print inputs, outputs, memory plan and cost\n"
            "  nn check [--model NAME]  compare every packaged model with the TF.js reference outputs\n"
            "  bench nn [--json] [--threads N] [--vs-tfjs] [--runs N] [--only a,b]\n"
            "                           time every packaged model (see docs/BENCHMARKS.md)\n"
            "  bench pipeline [--json] [--threads N] [--vs-tfjs] [--image P] [--runs N]\n"
            "                           decode + detect + align + descriptor, per stage\n"
            "  bench kernels            GEMM / convolution micro-benchmarks\n"
            "  detect [--json] [--multiscale] [--threads N] [--min-score S] IMAGE...\n"
            "                           find faces: boxes, scores, key points\n"
            "  compare [--json] [--threshold T] A B\n"
            "                           same person or not (main face of each image)\n"
            "  embed [--json] [--threads N] IMAGE... | -\n"
            "                           face boxes + 128-d descriptors, one JSON line per image\n"
            "  eval all-pairs --dir DIR [--json] [--threads N] [--cache FILE] [--det-svg FILE]\n"
            "                           TAR at FAR, EER, FTA over every pair (docs/ACCURACY.md)\n"
            "  eval verify --dir DIR --pairs PAIRS.txt [--json] [--threads N] [--cache FILE]\n"
            "                           LFW 10-fold verification accuracy\n"
            "  landmarks [--json] [--threads N] IMAGE...\n"
            "                           468-point mesh, 5 alignment points, head pose, eye/mouth openness\n"
            "  quality [--json] [--summary] [--set NAME=VALUE] [--disable CHECK] IMAGE...\n"
            "                           quality checks (size, blur, light, pose, eyes, mouth, cover)\n"
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
    if (!strcmp(cmd, "landmarks"))
        return cmd_landmarks(argc - 1, argv + 1);
    if (!strcmp(cmd, "quality"))
        return cmd_quality(argc - 1, argv + 1);
    if (!strcmp(cmd, "embed"))
        return cmd_embed(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval"))
        return cmd_eval(argc - 1, argv + 1);

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
