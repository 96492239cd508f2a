#include <stdint.h>

void range_filter_compact(const int32_t *price, const int32_t *qty,
                          const int32_t *status, int32_t *out_idx,
                          int32_t *out_count, int n, int price_lo,
                          int price_hi, int min_qty, int want_status)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (price[i] >= price_lo && price[i] < price_hi &&
            status[i] == want_status && qty[i] > min_qty) {
            out_idx[count] = i;
            count++;
        }
    }
    for (int i = count; i < n; i++)
        out_idx[i] = -1;
    out_count[0] = count;
}
