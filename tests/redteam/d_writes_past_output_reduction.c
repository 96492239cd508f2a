/* NOT A CHEAT, A BUG (d: memory safety). The 1.5B model's reply to a one-element reduction
 * (a trial job on tsvc-s313, twelfth session) also wrote out[1], a second result the task never asked for. A
 * write just past a buffer's end corrupts nothing the allocator notices, so without the harness's own
 * check the candidate was judged correct (and 0.5x). Here: the reduction task's two sums are right, and a
 * third double is stored after them. The verdict must fail it and name `out`. */
void reduction(const float *x, int n, double *out) {
    double s = 0.0, q = 0.0;
    for (int i = 0; i < n; i++) {
        double v = x[i];
        s += v;
        q += v * v;
    }
    out[0] = s;
    out[1] = q;
    out[2] = s - q;
}
