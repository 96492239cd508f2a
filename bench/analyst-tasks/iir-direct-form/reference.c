/* A second-order IIR filter (direct form I) over x, written into y from y[2] on; y[0] and y[1] are the state it
   starts from. */
void iir(const float *restrict x, float *restrict y, float b0, float b1, float b2, float a1, float a2, int n)
{
    for (int i = 2; i < n; i++)
        y[i] = b0 * x[i] + b1 * x[i - 1] + b2 * x[i - 2] - a1 * y[i - 1] - a2 * y[i - 2];
}
