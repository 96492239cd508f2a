/* From MachSuite (https://github.com/breagen/MachSuite, backprop/backprop/backprop.c), backprop.
 * Copyright (c)2008-2011 University of Virginia
 * Copyright (c) 2014-2015, the President and Fellows of Harvard College
 * BSD-3 licence: its conditions, which a redistribution must keep, are in LICENSE.txt beside this file
 * (MachSuite's LICENSE, unchanged).
 * Adapted by scripts/import-machsuite.py: TYPE (double) and double are float; real literals are float
 * literals; libm calls are their float versions (expf); the sizes are int parameters (training_sets); the
 * header's constants and types it uses are defined here; the arrays are restrict parameters, const where it
 * does not write them; its helper functions are static, their array parameters const where they do not
 * write them. */
#include <math.h>

#define input_dimension 13
#define possible_outputs 3
#define nodes_per_layer 64
#define learning_rate 0.01f

static void soft_max(float net_outputs[possible_outputs], const float activations[possible_outputs]) {
    int i;
    float sum;
    sum = (float) 0.0f;

    for(i=0; i < possible_outputs; i++) {
        sum += expf(-activations[i]);
    }
    for(i=0; i < possible_outputs; i++) {
        net_outputs[i] = expf(-activations[i])/sum;
    }
}

static void RELU(float activations[nodes_per_layer], float dactivations[nodes_per_layer], int size) {
    int i;
    for( i = 0; i < size; i++) {
        dactivations[i] = activations[i]*(1.0f-activations[i]);
        activations[i] = 1.0f/(1.0f+expf(-activations[i]));
    }
}

static void add_bias_to_activations(const float biases[nodes_per_layer],
                               float activations[nodes_per_layer],
                               int size) {
    int i;
    for( i = 0; i < size; i++){
        activations[i] = activations[i] + biases[i];
    }
}

static void matrix_vector_product_with_bias_input_layer(const float biases[nodes_per_layer],
                                                 const float weights[input_dimension*nodes_per_layer],
                                                 float activations[nodes_per_layer],
                                                 const float input_sample[input_dimension]){
    int i,j;
    for(j = 0; j < nodes_per_layer; j++){
        activations[j] = (float)0.0f;
        for (i = 0; i < input_dimension; i++){
            activations[j] += weights[j*input_dimension + i] * input_sample[i];
        }
    }
    add_bias_to_activations(biases, activations, nodes_per_layer);
}

static void matrix_vector_product_with_bias_second_layer(const float biases[nodes_per_layer],
                                                 const float weights[nodes_per_layer*nodes_per_layer],
                                                 float activations[nodes_per_layer],
                                                 const float input_activations[nodes_per_layer]){
    int i,j;
    for (i = 0; i < nodes_per_layer; i++){
        activations[i] = (float)0.0f;
        for(j = 0; j < nodes_per_layer; j++){
            activations[i] += weights[i*nodes_per_layer + j] * input_activations[j];
        }
    }
    add_bias_to_activations(biases, activations, nodes_per_layer);
}

static void matrix_vector_product_with_bias_output_layer(const float biases[possible_outputs],
                                                 const float weights[nodes_per_layer*possible_outputs],
                                                 float activations[possible_outputs],
                                                 const float input_activations[nodes_per_layer]){
    int i, j;
    for(j = 0; j < possible_outputs; j++){
        activations[j] = (float)0.0f;
        for (i = 0; i < nodes_per_layer; i++){
            activations[j] += weights[j*nodes_per_layer + i] * input_activations[i];
        }
    }
    add_bias_to_activations(biases, activations, possible_outputs);
}

static void take_difference(const float net_outputs[possible_outputs],
                     const float solutions[possible_outputs],
                     float output_difference[possible_outputs],
                     const float dactivations[possible_outputs]) {
    int i;
    for( i = 0; i < possible_outputs; i++){
        output_difference[i] = (((net_outputs[i]) - solutions[i]) * -1.0f) * dactivations[i];
    }
}

static void get_delta_matrix_weights3(float delta_weights3[nodes_per_layer*possible_outputs],
                               const float output_difference[possible_outputs],
                               const float last_activations[nodes_per_layer]) {
    int i, j;
    for( i = 0; i < nodes_per_layer; i++) {
        for( j = 0; j < possible_outputs; j++) {
            delta_weights3[i*possible_outputs + j] = last_activations[i] * output_difference[j];
        }
    }
}

static void get_oracle_activations2(const float weights3[nodes_per_layer*possible_outputs],
                             const float output_differences[possible_outputs],
                             float oracle_activations[nodes_per_layer],
                             const float dactivations[nodes_per_layer]) {
    int i, j;
    for( i = 0; i < nodes_per_layer; i++) {
        oracle_activations[i] = (float)0.0f;
        for( j = 0; j < possible_outputs; j++) {
            oracle_activations[i] += output_differences[j] * weights3[i*possible_outputs + j];
        }
        oracle_activations[i] = oracle_activations[i] * dactivations[i];
    }
}

static void get_delta_matrix_weights2(float delta_weights2[nodes_per_layer*nodes_per_layer],
                               const float output_difference[nodes_per_layer],
                               const float last_activations[nodes_per_layer]) {
    int i, j;
    for( i = 0; i < nodes_per_layer; i++) {
        for( j = 0; j < nodes_per_layer; j++) {
            delta_weights2[i*nodes_per_layer + j] = last_activations[i] * output_difference[j];
        }
    }
}

static void get_oracle_activations1(const float weights2[nodes_per_layer*nodes_per_layer],
                             const float output_differences[nodes_per_layer],
                             float oracle_activations[nodes_per_layer],
                             const float dactivations[nodes_per_layer]) {
    int i, j;
    for( i = 0; i < nodes_per_layer; i++) {
        oracle_activations[i] = (float)0.0f;
        for( j = 0; j < nodes_per_layer; j++) {
            oracle_activations[i] += output_differences[j] * weights2[i*nodes_per_layer + j];
        }
        oracle_activations[i] = oracle_activations[i] * dactivations[i];
    }
}

static void get_delta_matrix_weights1(float delta_weights1[input_dimension*nodes_per_layer],
                               const float output_difference[nodes_per_layer],
                               const float last_activations[input_dimension]) {
    int i, j;
    for( i = 0; i < input_dimension; i++) {
        for( j = 0; j < nodes_per_layer; j++) {
            delta_weights1[i*nodes_per_layer + j] = last_activations[i] * output_difference[j];
        }
    }
}

static void update_weights(float weights1[input_dimension*nodes_per_layer],
                    float weights2[nodes_per_layer*nodes_per_layer],
                    float weights3[nodes_per_layer*possible_outputs],
                    const float d_weights1[input_dimension*nodes_per_layer],
                    const float d_weights2[nodes_per_layer*nodes_per_layer],
                    const float d_weights3[nodes_per_layer*possible_outputs],
                    float biases1[nodes_per_layer],
                    float biases2[nodes_per_layer],
                    float biases3[possible_outputs],
                    const float d_biases1[nodes_per_layer],
                    const float d_biases2[nodes_per_layer],
                    const float d_biases3[possible_outputs]) {
    int i, j;
    float norm, bias_norm;
    norm = 0.0f;
    bias_norm = 0.0f;

    for(i=0; i < input_dimension; i++){
        for(j = 0; j < nodes_per_layer; j++){
            weights1[i*nodes_per_layer + j] -= (d_weights1[i*nodes_per_layer + j] * learning_rate);
            norm += weights1[i*nodes_per_layer + j]*weights1[i*nodes_per_layer + j];
        }
    }
    for(i=0; i < nodes_per_layer; i++){
        biases1[i] -= (d_biases1[i]*learning_rate);
        bias_norm += biases1[i]*biases1[i];
    }

    norm = sqrtf(norm);
    bias_norm = sqrtf(bias_norm);

    for(i=0; i < input_dimension; i++){
        for(j = 0; j < nodes_per_layer; j++){
            weights1[i*nodes_per_layer + j] = (weights1[i*nodes_per_layer + j]/norm);
        }
    }
    for(i=0; i < nodes_per_layer; i++){
        biases1[i] = (biases1[i]/bias_norm);
    }

    norm = (float)0.0f;
    bias_norm = (float)0.0f;

    for(i=0; i < nodes_per_layer; i++){
        for(j = 0; j < nodes_per_layer; j++){
            weights2[i*nodes_per_layer + j] -= (d_weights2[i*nodes_per_layer + j] * learning_rate);
            norm += weights2[i*nodes_per_layer + j]*weights2[i*nodes_per_layer + j];
        }
    }
    for(i=0; i < nodes_per_layer; i++){
        biases2[i] -= (d_biases2[i]*learning_rate);
        bias_norm += biases2[i]*biases2[i];
    }

    norm = sqrtf(norm);
    bias_norm = sqrtf(bias_norm);

    for(i=0; i < nodes_per_layer; i++){
        for(j = 0; j < nodes_per_layer; j++){
            weights2[i*nodes_per_layer + j] = (weights2[i*nodes_per_layer + j]/norm);
        }
    }
    for(i=0; i < nodes_per_layer; i++){
        biases2[i] = (biases2[i]/bias_norm);
    }

    norm = (float)0.0f;
    bias_norm = (float)0.0f;

    for(i=0; i < nodes_per_layer; i++){
        for(j = 0; j < possible_outputs; j++){
            weights3[i*possible_outputs + j] -= (d_weights3[i*possible_outputs + j] * learning_rate);
            norm += weights3[i*possible_outputs + j]*weights3[i*possible_outputs + j];
        }
    }
    for(i=0; i<possible_outputs;i++){
        biases3[i] -= d_biases3[i]*learning_rate;
        bias_norm += biases3[i]*biases3[i];
    }

    norm = sqrtf(norm);
    bias_norm = sqrtf(bias_norm);

    for(i=0; i < nodes_per_layer; i++){
        for(j = 0; j < possible_outputs; j++){
            weights3[i*possible_outputs + j] = (weights3[i*possible_outputs + j]/norm);
        }
    }
    for(i=0; i < possible_outputs; i++){
        biases3[i] = (biases3[i]/bias_norm);
    }
}

void backprop(int training_sets, float *restrict weights1, float *restrict weights2, float *restrict weights3, float *restrict biases1, float *restrict biases2, float *restrict biases3, const float *restrict training_data, const float *restrict training_targets)
{
    int i,j;
    //Forward and training structures
    float activations1[nodes_per_layer];
    float activations2[nodes_per_layer];
    float activations3[possible_outputs];
    float dactivations1[nodes_per_layer];
    float dactivations2[nodes_per_layer];
    float dactivations3[possible_outputs];
    float net_outputs[possible_outputs];
    //Training structure
    float output_difference[possible_outputs];
    float delta_weights1[input_dimension*nodes_per_layer];
    float delta_weights2[nodes_per_layer*nodes_per_layer];
    float delta_weights3[nodes_per_layer*possible_outputs];
    float oracle_activations1[nodes_per_layer];
    float oracle_activations2[nodes_per_layer];

    for(i=0; i<training_sets; i++){
        for(j=0;j<nodes_per_layer;j++){
            activations1[j] = (float)0.0f;
            activations2[j] = (float)0.0f;
            if(j<possible_outputs){
                activations3[j] = (float)0.0f;
            }
        }
        matrix_vector_product_with_bias_input_layer(biases1, weights1, activations1, &training_data[i*input_dimension]);
        RELU(activations1, dactivations1, nodes_per_layer);
        matrix_vector_product_with_bias_second_layer(biases2, weights2, activations2, activations1);
        RELU(activations2, dactivations2, nodes_per_layer);
        matrix_vector_product_with_bias_output_layer(biases3, weights3, activations3, activations2);
        RELU(activations3, dactivations3, possible_outputs);
        soft_max(net_outputs, activations3);
        take_difference(net_outputs, &training_targets[i*possible_outputs], output_difference, dactivations3);
        get_delta_matrix_weights3(delta_weights3, output_difference, activations2);
        get_oracle_activations2(weights3, output_difference, oracle_activations2, dactivations2);
        get_delta_matrix_weights2(delta_weights2, oracle_activations2, activations1);
        get_oracle_activations1(weights2, oracle_activations2, oracle_activations1, dactivations1);
        get_delta_matrix_weights1(delta_weights1, oracle_activations1, &training_data[i*input_dimension]);
        update_weights(weights1, weights2, weights3, delta_weights1, delta_weights2, delta_weights3,
                       biases1, biases2, biases3, oracle_activations1, oracle_activations2, output_difference);
    }
}
