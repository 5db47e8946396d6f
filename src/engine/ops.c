#include "ops.h"

#include <math.h>

#include "kvrot.h"
#include "vecmath.h"

void fc_rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
    /* four independent chains (one double add chain bounded the loop), the
     * lanes of a vector in vecmath's builds */
    vm_rmsnorm(out, x, w, n, eps);
}

void fc_rope_angles(float *cs, int n_rot, int pos, const double *inv_freq) {
    for (int i = 0; i < n_rot / 2; i++) {
        double theta = pos * inv_freq[i];
        cs[2 * i] = (float)cos(theta);
        cs[2 * i + 1] = (float)sin(theta);
    }
}

void fc_rope_apply(float *v, int n_heads, int head_dim, int n_rot, const float *cs, enum rope_kind kind) {
    for (int i = 0; i < n_rot / 2; i++) {
        const float c = cs[2 * i], s = cs[2 * i + 1];
        int a = kind == ROPE_NORM ? 2 * i : i, b = kind == ROPE_NORM ? 2 * i + 1 : i + n_rot / 2;
        for (int h = 0; h < n_heads; h++) {
            float *hv = v + (size_t)h * head_dim;
            float x0 = hv[a], x1 = hv[b];
            hv[a] = x0 * c - x1 * s;
            hv[b] = x0 * s + x1 * c;
        }
    }
}

void fc_rope(float *v, int n_heads, int head_dim, int n_rot, int pos, const double *inv_freq, enum rope_kind kind) {
    float cs[n_rot > 0 ? n_rot : 1]; /* VLA: n_rot <= head_dim floats */
    fc_rope_angles(cs, n_rot, pos, inv_freq);
    fc_rope_apply(v, n_heads, head_dim, n_rot, cs, kind);
}

void fc_kv_rotate_ref(float *x, int n_vec, int head_dim) {
    const int n = kvrot_chunk(head_dim);
    const float scale = kvrot_scale(n);
    for (int v = 0; v < n_vec; v++) {
        float *h = x + (size_t)v * head_dim;
        for (int c = 0; c < head_dim; c += n)
            for (int span = 1; span < n; span *= 2)
                for (int i = c; i < c + n; i += 2 * span)
                    for (int j = i; j < i + span; j++) {
                        const float a = h[j], b = h[j + span];
                        h[j] = a + b;
                        h[j + span] = a - b;
                    }
        for (int i = 0; i < head_dim; i++) h[i] *= scale;
    }
}
