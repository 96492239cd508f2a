/* From MachSuite (https://github.com/breagen/MachSuite, viterbi/viterbi/viterbi.c), viterbi.
 * Copyright (c) 2014-2015, the President and Fellows of Harvard College.
 * BSD-3 licence: its conditions, which a redistribution must keep, are in LICENSE.txt beside this file
 * (MachSuite's LICENSE, unchanged).
 * Adapted by scripts/import-machsuite.py: TYPE (double) is float; the typedefs are spelled out (tok_t is
 * uint8_t, prob_t is float, state_t is uint8_t, step_t is int32_t); real literals are float literals; the
 * HLS loop labels are dropped; the sizes are int parameters (N_OBS is n_obs, N_STATES is n_states, N_TOKENS
 * is n_tokens); the arrays are restrict parameters, const where it does not write them; it returns void
 * (MachSuite's returns 0). */
#include <stdint.h>

void viterbi(int n_obs, int n_states, int n_tokens, const uint8_t *restrict obs, const float *restrict init, const float *restrict transition, const float *restrict emission, uint8_t *restrict path)
{
  float llike[n_obs][n_states];
  int32_t t;
  uint8_t prev, curr;
  float min_p, p;
  uint8_t min_s, s;
  // All probabilities are in -log space. (i.e.: P(x) => -log(P(x)) )

  // Initialize with first observation and initial probabilities
  for( s=0; s<n_states; s++ ) {
    llike[0][s] = init[s] + emission[s*n_tokens+obs[0]];
  }

  // Iteratively compute the probabilities over time
  for( t=1; t<n_obs; t++ ) {
    for( curr=0; curr<n_states; curr++ ) {
      // Compute likelihood HMM is in current state and where it came from.
      prev = 0;
      min_p = llike[t-1][prev] +
              transition[prev*n_states+curr] +
              emission[curr*n_tokens+obs[t]];
      for( prev=1; prev<n_states; prev++ ) {
        p = llike[t-1][prev] +
            transition[prev*n_states+curr] +
            emission[curr*n_tokens+obs[t]];
        if( p<min_p ) {
          min_p = p;
        }
      }
      llike[t][curr] = min_p;
    }
  }

  // Identify end state
  min_s = 0;
  min_p = llike[n_obs-1][min_s];
  for( s=1; s<n_states; s++ ) {
    p = llike[n_obs-1][s];
    if( p<min_p ) {
      min_p = p;
      min_s = s;
    }
  }
  path[n_obs-1] = min_s;

  // Backtrack to recover full path
  for( t=n_obs-2; t>=0; t-- ) {
    min_s = 0;
    min_p = llike[t][min_s] + transition[min_s*n_states+path[t+1]];
    for( s=1; s<n_states; s++ ) {
      p = llike[t][s] + transition[s*n_states+path[t+1]];
      if( p<min_p ) {
        min_p = p;
        min_s = s;
      }
    }
    path[t] = min_s;
  }
}
