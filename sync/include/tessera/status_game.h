/* Status codes of the game area: catalogue, bet validation, odds and
 * settlement (see status.h for the format). Every invalid bet has its own
 * code so a terminal can tell the player exactly what to fix. */
#ifndef TESSERA_STATUS_GAME_H
#define TESSERA_STATUS_GAME_H

#define TSR_STATUS_LIST_GAME(X)                                                               \
    X(TSR_ERR_GAME_UNKNOWN, NOT_FOUND, "unknown game")                                        \
    X(TSR_ERR_GAME_BET_TYPE, INPUT, "this game has no such bet type")                         \
    X(TSR_ERR_GAME_NUMBER_RANGE, INPUT, "a selected number is out of range")                  \
    X(TSR_ERR_GAME_NUMBER_DUP, INPUT, "a number is selected twice")                           \
    X(TSR_ERR_GAME_COUNT, INPUT, "wrong count of selected numbers")                           \
    X(TSR_ERR_GAME_NO_BOX, INPUT, "a box bet needs at least two different digits")           \
    X(TSR_ERR_GAME_STAKE_UNIT, INPUT, "the stake is not a multiple of the stake unit")        \
    X(TSR_ERR_GAME_STAKE_MIN, INPUT, "the stake is below the minimum")                        \
    X(TSR_ERR_GAME_STAKE_MAX, INPUT, "the stake is above the per-bet limit")                  \
    X(TSR_ERR_GAME_PRICE_MAX, INPUT, "the total price is above the per-bet limit")            \
    X(TSR_ERR_GAME_ADDON_UNKNOWN, INPUT, "unknown add-on")                                    \
    X(TSR_ERR_GAME_ADDON_UNAVAILABLE, INPUT, "this game does not offer that add-on")          \
    X(TSR_ERR_GAME_LIABILITY, CONFLICT, "this combination is sold out for this draw")          \
    X(TSR_ERR_GAME_DRAWS, INPUT, "the number of advance-play draws is out of range")          \
    X(TSR_ERR_GAME_NOT_DRAW_DAY, NOT_FOUND, "this game has no draw with that number")         \
    X(TSR_ERR_GAME_STAKE_MISMATCH, INPUT, "the ticket's stake is not the price of its bet")    \
    X(TSR_ERR_GAME_RESULT, INPUT, "the draw result does not fit the game")                    \
    X(TSR_ERR_GAME_TZ, CONFIG, "unknown or unreadable time zone")                             \
    X(TSR_ERR_CATALOG, CONFIG, "the game catalogue is inconsistent")

#endif
