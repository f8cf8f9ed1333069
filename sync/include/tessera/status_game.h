/* Status codes of the game area (see status.h for the format). */
#ifndef TESSERA_STATUS_GAME_H
#define TESSERA_STATUS_GAME_H

#define TSR_STATUS_LIST_GAME(X)

#endif
