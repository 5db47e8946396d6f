/* cmp_logits — compares two float32 logits dumps (fitchat run --logits-out),
 * rows of n_vocab values:
 *   cmp_logits A B N_VOCAB [TOL]
 * Prints the largest difference relative to the row's largest |logit| and
 * how many rows' argmax differ; exits 0 when every row is within TOL
 * (default 0: bit-identical) and every argmax agrees, 1 otherwise, 2 on bad
 * input (sizes differ, unreadable file). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cmp_logits: %s: cannot open\n", path); return NULL; }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *v = len > 0 ? malloc((size_t)len) : NULL;
    if (!v || fread(v, 1, (size_t)len, f) != (size_t)len) { fprintf(stderr, "cmp_logits: %s: cannot read\n", path); fclose(f); free(v); return NULL; }
    fclose(f);
    *n = (size_t)len / sizeof(float);
    return v;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: cmp_logits A B N_VOCAB [TOL]\n"); return 2; }
    size_t na, nb, nv = strtoul(argv[3], NULL, 10);
    double tol = argc > 4 ? atof(argv[4]) : 0.0;
    float *a = slurp(argv[1], &na), *b = slurp(argv[2], &nb);
    if (!a || !b || na != nb || nv == 0 || na % nv) {
        fprintf(stderr, "cmp_logits: sizes differ or are not rows of %zu (%zu vs %zu values)\n", nv, na, nb);
        return 2;
    }
    size_t rows = na / nv, argmax_diff = 0, argmax_tie = 0, identical = 1;
    double worst = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *x = a + r * nv, *y = b + r * nv;
        double mx = 0, d = 0;
        size_t ia = 0, ib = 0;
        for (size_t i = 0; i < nv; i++) {
            if (fabs(x[i]) > mx) mx = fabs(x[i]);
            if (fabs((double)x[i] - y[i]) > d) d = fabs((double)x[i] - y[i]);
            if (x[i] > x[ia]) ia = i;
            if (y[i] > y[ib]) ib = i;
            if (memcmp(&x[i], &y[i], sizeof *x)) identical = 0;
            if (!isfinite(x[i]) || !isfinite(y[i])) d = INFINITY;
        }
        double rel = mx > 0 ? d / mx : d;
        if (rel > worst) worst = rel;
        /* A different argmax is a near-tie when A's two candidates are
         * within twice the tolerance (each may be off by tol): allowed. */
        if (ia != ib) {
            if ((double)x[ia] - x[ib] <= 2 * tol * mx) argmax_tie++;
            else argmax_diff++;
        }
    }
    printf("%zu rows: max relative difference %.3g, %zu argmax differ", rows, worst, argmax_diff);
    if (argmax_tie) printf(" (+%zu near-ties within the tolerance)", argmax_tie);
    printf("%s\n", identical ? ", bit-identical" : "");
    free(a);
    free(b);
    return worst <= tol && argmax_diff == 0 ? 0 : 1;
}
