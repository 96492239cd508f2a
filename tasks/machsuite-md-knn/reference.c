/* From MachSuite (https://github.com/breagen/MachSuite, md/knn/md.c), md_kernel.
 * Copyright (c) 2011, UT-Battelle, LLC
 * Copyright (c) 2014-2015, the President and Fellows of Harvard College
 * BSD-3 licence: its conditions, which a redistribution must keep, are in LICENSE.txt beside this file
 * (MachSuite's LICENSE, unchanged).
 * Adapted by scripts/import-machsuite.py: TYPE (double) is float; real literals are float literals; the HLS
 * loop labels are dropped; the sizes are int parameters (nAtoms is n_atoms, maxNeighbors is max_neighbors);
 * the header's constants and types it uses are defined here; the arrays are restrict parameters, const
 * where it does not write them. */
#include <stdint.h>

#define lj1 1.5f
#define lj2 2.0f

/*
Implemenataion based on:
A. Danalis, G. Marin, C. McCurdy, J. S. Meredith, P. C. Roth, K. Spafford, V. Tipparaju, and J. S. Vetter.
The scalable heterogeneous computing (shoc) benchmark suite.
In Proceedings of the 3rd Workshop on General-Purpose Computation on Graphics Processing Units, 2010.
*/

void md_kernel(int n_atoms, int max_neighbors, float *restrict force_x, float *restrict force_y, float *restrict force_z, const float *restrict position_x, const float *restrict position_y, const float *restrict position_z, const int32_t *restrict NL)
{
    float delx, dely, delz, r2inv;
    float r6inv, potential, force, j_x, j_y, j_z;
    float i_x, i_y, i_z, fx, fy, fz;

    int32_t i, j, jidx;

         for (i = 0; i < n_atoms; i++){
             i_x = position_x[i];
             i_y = position_y[i];
             i_z = position_z[i];
             fx = 0;
             fy = 0;
             fz = 0;
         for( j = 0; j < max_neighbors; j++){
             // Get neighbor
             jidx = NL[i*max_neighbors + j];
             // Look up x,y,z positions
             j_x = position_x[jidx];
             j_y = position_y[jidx];
             j_z = position_z[jidx];
             // Calc distance
             delx = i_x - j_x;
             dely = i_y - j_y;
             delz = i_z - j_z;
             r2inv = 1.0f/( delx*delx + dely*dely + delz*delz );
             // Assume no cutoff and aways account for all nodes in area
             r6inv = r2inv * r2inv * r2inv;
             potential = r6inv*(lj1*r6inv - lj2);
             // Sum changes in force
             force = r2inv*potential;
             fx += delx * force;
             fy += dely * force;
             fz += delz * force;
         }
         //Update forces after all neighbors accounted for.
         force_x[i] = fx;
         force_y[i] = fy;
         force_z[i] = fz;
         //printf("dF=%lf,%lf,%lf\n", fx, fy, fz);
         }
}
