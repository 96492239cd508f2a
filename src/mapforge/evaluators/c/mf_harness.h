/* mapforge harness runtime for native optimize tasks. Included by the generated driver.c only;
 * candidates never see or link against anything here by name (their symbols are checked). */
#ifndef MF_HARNESS_H
#define MF_HARNESS_H
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum mf_kind { MF_F32, MF_F64, MF_I8, MF_U8, MF_I16, MF_U16, MF_I32, MF_U32, MF_I64, MF_U64 };
enum mf_role { MF_IN, MF_OUT, MF_INOUT, MF_SCALAR };
enum mf_init { MF_NONE, MF_UNIFORM, MF_RANDINT };

typedef struct {
    int role, kind, init;
    double lo, hi;
    size_t elem;
} mf_arg;

static inline uint64_t mf_splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void mf_fill(void *buf, const mf_arg *a, size_t n, uint64_t seed, uint64_t argi, uint64_t rep) {
    uint64_t s = seed * 0x100000001B3ull ^ (argi + 1) * 0x9E3779B97F4A7C15ull ^ (rep + 7) * 0xD1B54A32D192ED03ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = mf_splitmix(&s);
        double u = (double)(r >> 11) * (1.0 / 9007199254740992.0); /* [0,1) */
        double v;
        if (a->init == MF_UNIFORM) {
            v = a->lo + (a->hi - a->lo) * u;
        } else {
            double span = a->hi - a->lo + 1.0;
            v = a->lo + floor(u * span);
            if (v > a->hi) v = a->hi;
        }
        switch (a->kind) {
        case MF_F32: ((float *)buf)[i] = (float)v; break;
        case MF_F64: ((double *)buf)[i] = v; break;
        case MF_I8: ((int8_t *)buf)[i] = (int8_t)v; break;
        case MF_U8: ((uint8_t *)buf)[i] = (uint8_t)v; break;
        case MF_I16: ((int16_t *)buf)[i] = (int16_t)v; break;
        case MF_U16: ((uint16_t *)buf)[i] = (uint16_t)v; break;
        case MF_I32: ((int32_t *)buf)[i] = (int32_t)v; break;
        case MF_U32: ((uint32_t *)buf)[i] = (uint32_t)v; break;
        case MF_I64: ((int64_t *)buf)[i] = (int64_t)v; break;
        case MF_U64: ((uint64_t *)buf)[i] = (uint64_t)v; break;
        }
    }
}

static void *mf_alloc(size_t bytes) {
    void *p = NULL;
    /* 64-byte aligned, plus slack so a zero-size buffer is still a valid pointer */
    if (posix_memalign(&p, 64, bytes + 64) != 0) {
        fprintf(stderr, "mapforge harness: out of memory allocating %zu bytes\n", bytes);
        exit(97);
    }
    return p;
}

static double mf_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Number of elements of a and b (same kind) that differ beyond tolerance; NaN/Inf in a count as differing. */
static size_t mf_mismatches(int kind, const void *a, const void *b, size_t n, double rtol, double atol) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double x, y;
        switch (kind) {
        case MF_F32: x = ((const float *)a)[i]; y = ((const float *)b)[i]; break;
        case MF_F64: x = ((const double *)a)[i]; y = ((const double *)b)[i]; break;
        default: {
            size_t w = kind == MF_I8 || kind == MF_U8 ? 1 : kind == MF_I16 || kind == MF_U16 ? 2
                     : kind == MF_I32 || kind == MF_U32 ? 4 : 8;
            bad += memcmp((const char *)a + i * w, (const char *)b + i * w, w) != 0;
            continue;
        }
        }
        if (!isfinite(x) || fabs(x - y) > atol + rtol * fabs(y)) bad++;
    }
    return bad;
}

static void mf_write(FILE *f, const void *p, size_t bytes) {
    if (bytes && fwrite(p, 1, bytes, f) != bytes) {
        fprintf(stderr, "mapforge harness: short write\n");
        exit(98);
    }
}
#endif
