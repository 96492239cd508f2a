/* From MachSuite (https://github.com/breagen/MachSuite, md/grid/md.c), md.
 * Copyright (c) 2014-2015, the President and Fellows of Harvard College.
 * BSD-3 licence: its conditions, which a redistribution must keep, are in LICENSE.txt beside this file
 * (MachSuite's LICENSE, unchanged).
 * Adapted by scripts/import-machsuite.py: TYPE (double) is float; real literals are float literals; the HLS
 * loop labels are dropped; the sizes are int parameters (blockSide is block_side, densityFactor is
 * density); the header's constants and types it uses are defined here; the arrays are restrict parameters,
 * const where it does not write them; n_points, force and position are views of the flat parameters
 * n_points_flat, force_flat and position_flat, as MachSuite's arrays of blocks. */
#include <stdint.h>

#define lj1 1.5f
#define lj2 2.0f

typedef struct {
  float x, y, z;
} dvector_t;
typedef struct {
  int32_t x, y, z;
} ivector_t;

#define MIN(x,y) ( (x)<(y) ? (x) : (y) )
#define MAX(x,y) ( (x)>(y) ? (x) : (y) )

void md(int block_side, int density, const int32_t *restrict n_points_flat, float *restrict force_flat, const float *restrict position_flat)
{
  /* MachSuite's arrays over the flat parameters: block (x, y, z) of the block_side^3 has n_points[x][y][z]
   * atoms, whose positions and forces are position[x][y][z][0 .. n) and force[x][y][z][0 .. n) */
  const int32_t (*n_points)[block_side][block_side] = (const int32_t (*)[block_side][block_side])n_points_flat;
  dvector_t (*force)[block_side][block_side][density] = (dvector_t (*)[block_side][block_side][density])force_flat;
  const dvector_t (*position)[block_side][block_side][density] =
      (const dvector_t (*)[block_side][block_side][density])position_flat;

  ivector_t b0, b1; // b0 is the current block, b1 is b0 or a neighboring block
  dvector_t p, q; // p is a point in b0, q is a point in either b0 or b1
  int32_t p_idx, q_idx;
  float dx, dy, dz, r2inv, r6inv, potential, f;

  // Iterate over the grid, block by block
  for( b0.x=0; b0.x<block_side; b0.x++ ) {
  for( b0.y=0; b0.y<block_side; b0.y++ ) {
  for( b0.z=0; b0.z<block_side; b0.z++ ) {
  // Iterate over the 3x3x3 (modulo boundary conditions) cube of blocks around b0
  for( b1.x=MAX(0,b0.x-1); b1.x<MIN(block_side,b0.x+2); b1.x++ ) {
  for( b1.y=MAX(0,b0.y-1); b1.y<MIN(block_side,b0.y+2); b1.y++ ) {
  for( b1.z=MAX(0,b0.z-1); b1.z<MIN(block_side,b0.z+2); b1.z++ ) {
    // For all points in b0
    const dvector_t *base_q = position[b1.x][b1.y][b1.z];
    int q_idx_range = n_points[b1.x][b1.y][b1.z];
    for( p_idx=0; p_idx<n_points[b0.x][b0.y][b0.z]; p_idx++ ) {
      p = position[b0.x][b0.y][b0.z][p_idx];
      float sum_x = force[b0.x][b0.y][b0.z][p_idx].x;
      float sum_y = force[b0.x][b0.y][b0.z][p_idx].y;
      float sum_z = force[b0.x][b0.y][b0.z][p_idx].z;
      // For all points in b1
      for( q_idx=0; q_idx< q_idx_range ; q_idx++ ) {
        q = *(base_q + q_idx);

        // Don't compute our own
        if( q.x!=p.x || q.y!=p.y || q.z!=p.z ) {
          // Compute the LJ-potential
          dx = p.x - q.x;
          dy = p.y - q.y;
          dz = p.z - q.z;
          r2inv = 1.0f/( dx*dx + dy*dy + dz*dz );
          r6inv = r2inv*r2inv*r2inv;
          potential = r6inv*(lj1*r6inv - lj2);
          // Update forces
          f = r2inv*potential;
          sum_x += f*dx;
          sum_y += f*dy;
          sum_z += f*dz;
        }
      } // loop_q
      force[b0.x][b0.y][b0.z][p_idx].x = sum_x ;
      force[b0.x][b0.y][b0.z][p_idx].y = sum_y ;
      force[b0.x][b0.y][b0.z][p_idx].z = sum_z ;
    } // loop_p
  }}} // loop_grid1_*
  }}} // loop_grid0_*
}
