#include "ops.h"

#include <math.h>

void fc_rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float scale = (float)(1.0 / sqrt(ss / n + eps));
    for (int i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

void fc_rope(float *v, int n_heads, int head_dim, int n_rot, int pos, const double *inv_freq, enum rope_kind kind) {
    for (int i = 0; i < n_rot / 2; i++) {
        double theta = pos * inv_freq[i];
        float c = (float)cos(theta), s = (float)sin(theta);
        int a = kind == ROPE_NORM ? 2 * i : i, b = kind == ROPE_NORM ? 2 * i + 1 : i + n_rot / 2;
        for (int h = 0; h < n_heads; h++) {
            float *hv = v + (size_t)h * head_dim;
            float x0 = hv[a], x1 = hv[b];
            hv[a] = x0 * c - x1 * s;
            hv[b] = x0 * s + x1 * c;
        }
    }
}
