/* CHEAT (EVALUATION #1: call the reference). The driver links the reference into the same binary
 * under the name mf_ref; this candidate declares it and calls it, doing no work of its own. The
 * object's symbol check must reject the undefined reference to mf_ref. */
void mf_ref(const float *A, const float *B, float *C, int n);

void matmul(const float *A, const float *B, float *C, int n) {
    mf_ref(A, B, C, n);
}
