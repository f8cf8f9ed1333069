#include "tessera/money.h"

#include "tessera/fmt.h"

#include <stdio.h>
#include <string.h>

static tsr_status in_range(__int128 v, tsr_cents *out)
{
    if (v > TSR_MONEY_MAX || v < -TSR_MONEY_MAX)
        return TSR_ERR_OVERFLOW;
    *out = (tsr_cents)v;
    return TSR_OK;
}

tsr_status tsr_money_add(tsr_cents a, tsr_cents b, tsr_cents *out)
{
    return in_range((__int128)a + b, out);
}

tsr_status tsr_money_sub(tsr_cents a, tsr_cents b, tsr_cents *out)
{
    return in_range((__int128)a - b, out);
}

tsr_status tsr_money_mul(tsr_cents a, int64_t k, tsr_cents *out)
{
    return in_range((__int128)a * k, out);
}

tsr_status tsr_money_muldiv(tsr_cents a, int64_t num, int64_t den, tsr_cents *out)
{
    if (den <= 0 || a < 0 || num < 0)
        return TSR_ERR_ARG;
    return in_range((__int128)a * num / den, out);
}

char *tsr_money_format(tsr_cents a, char *buf, size_t len)
{
    char text[TSR_FMT_MONEY_MAX];
    size_t n = tsr_fmt_money(text, a);
    if (len > 0) { /* as snprintf: cut to fit, always terminated */
        n = n < len ? n : len - 1;
        memcpy(buf, text, n);
        buf[n] = '\0';
    }
    return buf;
}

tsr_status tsr_money_parse(const char *s, tsr_cents *out)
{
    if (!s || !*s)
        return TSR_ERR_MONEY_FORMAT;
    int sign = 1;
    if (*s == '-') {
        sign = -1;
        s++;
    }
    __int128 units = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        units = units * 10 + (*s - '0');
        if (units > TSR_MONEY_MAX)
            return TSR_ERR_OVERFLOW;
    }
    if (digits == 0)
        return TSR_ERR_MONEY_FORMAT;
    int cents = 0, decimals = 0;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, decimals++) {
            if (decimals == 2)
                return TSR_ERR_MONEY_FORMAT;
            cents = cents * 10 + (*s - '0');
        }
        if (decimals == 0)
            return TSR_ERR_MONEY_FORMAT;
        if (decimals == 1)
            cents *= 10;
    }
    if (*s != '\0')
        return TSR_ERR_MONEY_FORMAT;
    return in_range(sign * (units * 100 + cents), out);
}
